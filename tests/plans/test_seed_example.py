"""The seed report's usage example runs unchanged against SyncCoachPlanClient."""

from __future__ import annotations

from tests.contract_server import ContractServer


def test_seed_usage_example(threaded_plan_server: ContractServer, capsys) -> None:  # type: ignore[no-untyped-def]
    """Code written for the earlier synchronous client keeps working."""
    threaded_plan_server.add_plan("d", "2024-11-09", charts=["https://cdn.example.com/1.png"])
    threaded_plan_server.add_plan("s", "2024-11-09")
    from bot.plans import SyncCoachPlanClient as EnhancedWebhookClient

    # --- from the seed report, only the URL changed ---
    client = EnhancedWebhookClient(
        api_base_url=threaded_plan_server.url,
        cache_ttl_seconds=3600,  # 1 hour
        max_cache_size=100,
        timeout=10,
        max_retries=3,
    )
    plan = client.fetch_coach_plan("d", "2024-11-09")
    print(f"Plan: {plan['plan']}")
    print(f"Charts: {len(plan['charts'])}")
    all_plans = client.fetch_all_coach_plans("2024-11-09")
    print(f"Total plans: {len(all_plans)}")
    metrics = client.get_metrics()
    print(f"Cache hit rate: {metrics['requests']['cache_hit_rate_percent']}%")
    print(f"API errors: {metrics['api']['errors']}")
    cleared = client.clear_cache()
    print(f"Cleared {cleared} cached plans")
    # --- end of the seed's example ---
    client.close()
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Plan: NVDA bull flag")
    assert out[1:3] == ["Charts: 1", "Total plans: 2"]  # the two posted, as the seed counted
    assert out[4] == "API errors: 0"
    # clear_cache counts cache entries (keys), not plans: d alone, the day's /all and the
    # four coaches' entries it filled, d's replaced: 5. `cached_plans()` would say 2.
    assert out[5] == "Cleared 5 cached plans"
