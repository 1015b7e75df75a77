"""Cache behaviour: hits, misses, TTLs, LRU eviction, coalescing, isolation, immutability."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from bot.plans import CoachPlanClient
from tests.conftest import TODAY, FakeTime
from tests.contract_server import ContractServer

Make = Callable[..., CoachPlanClient]


async def test_second_fetch_is_a_hit_without_a_request(
    plan_server: ContractServer, make_client: Make
) -> None:
    """A cached plan is answered without touching the API, and says so."""
    plan_server.add_plan("d", TODAY)
    client = make_client()
    first = await client.fetch_coach_plan("d", TODAY)
    second = await client.fetch_coach_plan("D", TODAY)
    assert first["found"] and not first["from_cache"]
    assert second["from_cache"] and second["plan"] == first["plan"]
    assert plan_server.requests_to("plan") == 1
    m = client.get_metrics()["requests"]
    assert (m["total"], m["cache_hits"], m["cache_misses"]) == (2, 1, 1)
    assert m["cache_hit_rate_percent"] == 50.0


async def test_entry_expires_after_ttl(
    plan_server: ContractServer, make_client: Make, fake_time: FakeTime
) -> None:
    """After cache_ttl_seconds the next call goes upstream again (on the injected clock)."""
    plan_server.add_plan("d", TODAY)
    client = make_client(cache_ttl_seconds=100, refresh_ahead_ratio=0)
    await client.fetch_coach_plan("d", TODAY)
    fake_time.advance(99)
    assert (await client.fetch_coach_plan("d", TODAY))["from_cache"]
    fake_time.advance(2)
    assert not (await client.fetch_coach_plan("d", TODAY))["from_cache"]
    assert plan_server.requests_to("plan") == 2


async def test_no_plan_is_cached_only_briefly(
    plan_server: ContractServer, make_client: Make, fake_time: FakeTime
) -> None:
    """A plan posted after a "no plan" answer shows up once not_found_ttl_seconds pass."""
    client = make_client(not_found_ttl_seconds=60, refresh_ahead_ratio=0)
    empty = await client.fetch_coach_plan("s", TODAY)
    assert not empty["found"] and empty["error"] is None
    plan_server.add_plan("s", TODAY, "Swing idea: AAPL 220 calls")
    assert not (await client.fetch_coach_plan("s", TODAY))["found"]
    fake_time.advance(61)
    posted = await client.fetch_coach_plan("s", TODAY)
    assert posted["found"] and posted["plan"] == "Swing idea: AAPL 220 calls"


async def test_404_is_no_plan_too(plan_server: ContractServer, make_client: Make) -> None:
    """Deployments that answer 404 for "no plan" read the same as the 200 quirk."""
    plan_server.fail("not_found_404", endpoint="plan")
    plan = await make_client().fetch_coach_plan("d", TODAY)
    assert not plan["found"] and plan["error"] is None and plan["charts"] == ()


async def test_settled_days_are_kept_longer(
    plan_server: ContractServer, make_client: Make, fake_time: FakeTime
) -> None:
    """A closed session's plan outlives cache_ttl_seconds (past_ttl_seconds applies)."""
    plan_server.add_plan("d", "2024-11-07")  # now is Saturday: Friday is the current session
    client = make_client(cache_ttl_seconds=100, past_ttl_seconds=10_000, refresh_ahead_ratio=0)
    await client.fetch_coach_plan("d", "2024-11-07")
    fake_time.advance(5_000)
    assert (await client.fetch_coach_plan("d", "2024-11-07"))["from_cache"]
    assert plan_server.requests_to("plan") == 1


async def test_lru_evicts_least_recently_used(
    plan_server: ContractServer, make_client: Make
) -> None:
    """At max size the least recently used key goes, and a recently used one stays."""
    client = make_client(max_cache_size=2)
    for day in ("2024-11-05", "2024-11-06"):
        await client.fetch_coach_plan("d", day)
    await client.fetch_coach_plan("d", "2024-11-05")  # touch: 06 is now the oldest
    await client.fetch_coach_plan("d", "2024-11-07")  # evicts 06
    assert client.get_metrics()["cache"]["size"] == 2
    assert client.get_metrics()["cache"]["evictions"] == 1
    assert (await client.fetch_coach_plan("d", "2024-11-05"))["from_cache"]
    assert not (await client.fetch_coach_plan("d", "2024-11-06"))["from_cache"]


async def test_concurrent_calls_for_one_key_make_one_request(
    plan_server: ContractServer, make_client: Make
) -> None:
    """100 concurrent callers of an uncached key share one upstream request."""
    plan_server.add_plan("i", TODAY)
    plan_server.fail("delay", endpoint="plan", seconds=0.05)
    client = make_client()
    plans = await asyncio.gather(*(client.fetch_coach_plan("i", TODAY) for _ in range(100)))
    assert plan_server.requests_to("plan") == 1
    assert all(p["found"] for p in plans)
    requests = client.get_metrics()["requests"]
    assert requests["coalesced"] == 99 and requests["cache_misses"] == 1


async def test_fetch_all_fills_per_coach_entries(
    plan_server: ContractServer, make_client: Make
) -> None:
    """After /all, each coach's single fetch is a hit (the seed's key mismatch made it a miss),
    "no plan" included for a coach /all left out."""
    plan_server.add_plan("d", TODAY)
    plan_server.add_plan("s", TODAY, "Swing")
    client = make_client()
    plans = await client.fetch_all_coach_plans(TODAY)
    assert set(plans) == {"d", "s"}
    assert plans["d"]["found"] and plans["s"]["plan"] == "Swing"
    for coach in "dis":
        assert (await client.fetch_coach_plan(coach, TODAY))["from_cache"]
    assert not (await client.fetch_coach_plan("i", TODAY))["found"]
    assert plan_server.requests_to("plan") == 0
    again = await client.fetch_all_coach_plans(TODAY)
    assert all(p["from_cache"] for p in again.values())
    assert plan_server.requests_to("all") == 1


async def test_all_accepts_plain_id_keys(plan_server: ContractServer, make_client: Make) -> None:
    """Deployments keying /all by "d" instead of "coach_d" read the same."""
    plan_server.all_key_prefix = ""
    plan_server.add_plan("n", TODAY, "CPI at 8:30")
    plans = await make_client().fetch_all_coach_plans(TODAY)
    assert plans["n"]["plan"] == "CPI at 8:30" and "coach_n" not in plans


async def test_mutating_a_result_does_not_change_the_cache(
    plan_server: ContractServer, make_client: Make
) -> None:
    """Callers cannot change what later hits see: results and chart lists are immutable."""
    plan_server.add_plan("d", TODAY, charts=["https://cdn.example.com/a.png"])
    client = make_client()
    plan = await client.fetch_coach_plan("d", TODAY)
    with pytest.raises(AttributeError):
        plan.charts.append("https://evil.example.com/x.png")  # type: ignore[attr-defined]
    with pytest.raises((AttributeError, TypeError)):
        plan["plan"] = "changed"  # type: ignore[index]
    exported = plan.to_dict()
    exported["charts"].append("https://evil.example.com/x.png")
    everything = await client.fetch_all_coach_plans(TODAY)
    everything["d"] = None  # type: ignore[assignment]
    hit = await client.fetch_coach_plan("d", TODAY)
    assert hit["charts"] == ("https://cdn.example.com/a.png",)
    assert (await client.fetch_all_coach_plans(TODAY))["d"] is not None


async def test_clear_cache_counts_and_filters(
    plan_server: ContractServer, make_client: Make
) -> None:
    """clear_cache drops what it is asked to and says how many entries went."""
    client = make_client()
    for coach in "dis":
        await client.fetch_coach_plan(coach, TODAY)
    await client.fetch_coach_plan("d", "2024-11-08")
    assert client.clear_cache(coach="d", date=TODAY) == 1
    assert client.clear_cache(coach="d") == 1
    assert client.clear_cache() == 2
    assert client.get_metrics()["cache"]["size"] == 0
    assert not (await client.fetch_coach_plan("i", TODAY))["from_cache"]


async def test_the_cache_counts_plans_not_entries(
    plan_server: ContractServer, make_client: Make
) -> None:
    """A day's /all entry holds several plans, which the coaches' own entries hold too: each
    coach's day is one plan, and a "no plan" answer is none (what /cachestats shows)."""
    plan_server.add_plan("d", TODAY)
    plan_server.add_plan("s", TODAY)
    plan_server.add_plan("x", TODAY)  # unlisted: held by the /all entry only
    plan_server.add_plan("d", "2024-11-08")
    client = make_client()
    await client.fetch_all_coach_plans(TODAY)
    await client.fetch_coach_plan("d", "2024-11-08")
    await client.fetch_coach_plan("i", "2024-11-08")  # "no plan"

    cache = client.get_metrics()["cache"]

    assert (cache["size"], cache["plans"]) == (7, 4)  # d, i, s, n, /all; d and i on the 8th
    assert client.cached_plans() == 4
    assert client.cached_plans(coach="d") == 2
    assert client.cached_plans(date=TODAY) == 3
    assert client.cached_plans("coach_s", TODAY) == 1
    assert client.cached_plans("i") == 0


async def test_cached_plans_before_a_clear_is_what_it_drops(
    plan_server: ContractServer, make_client: Make
) -> None:
    """/clearcache reports `cached_plans` for its scope; `clear_cache` returns entries."""
    plan_server.add_plan("d", TODAY)
    plan_server.add_plan("s", TODAY)
    client = make_client()
    await client.fetch_all_coach_plans(TODAY)
    before = client.cached_plans()

    plans, entries = client.cached_plans("s"), client.clear_cache("s")

    assert (plans, entries) == (1, 2)  # s's own entry and the day's /all, which holds it
    assert client.cached_plans() == before - plans == 1
    assert client.cached_plans("s") == 0


async def test_clearing_one_client_leaves_another(
    plan_server: ContractServer, make_client: Make
) -> None:
    """Each client has its own cache."""
    first, second = make_client(), make_client()
    await first.fetch_coach_plan("d", TODAY)
    await second.fetch_coach_plan("d", TODAY)
    assert first.clear_cache() == 1
    assert (await second.fetch_coach_plan("d", TODAY))["from_cache"]


async def test_fallbacks_are_never_cached(plan_server: ContractServer, make_client: Make) -> None:
    """A failure answer is not remembered: the next call asks the API again."""
    plan_server.add_plan("d", TODAY)
    plan_server.fail("status", endpoint="plan", status=500, times=3)
    client = make_client()
    failed = await client.fetch_coach_plan("d", TODAY)
    assert failed["error"] == "unavailable" and not failed["found"]
    assert client.get_metrics()["cache"]["size"] == 0
    assert (await client.fetch_coach_plan("d", TODAY))["found"]
