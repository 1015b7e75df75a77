"""Retries only where they help, with injectable backoff; failures become fallbacks."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.plans import BadResponse, CoachPlanClient, PlanNotFound, PlanUnavailable, Rejected
from bot.plans.retry import RetryPolicy, parse_retry_after
from tests.conftest import TODAY, FakeTime
from tests.contract_server import ContractServer

Make = Callable[..., CoachPlanClient]


async def test_no_retry_on_400(
    plan_server: ContractServer, make_client: Make, fake_time: FakeTime
) -> None:
    """A 4xx other than 429 fails the same way again: one attempt, category `rejected`."""
    plan_server.fail("status", endpoint="plan", status=400, times=5)
    plan = await make_client().fetch_coach_plan("d", TODAY)
    assert plan["error"] == "rejected" and plan_server.requests_to("plan") == 1
    assert fake_time.sleeps == []


@pytest.mark.parametrize("status", [500, 502, 503, 429])
async def test_retry_on_transient_status(
    plan_server: ContractServer, make_client: Make, fake_time: FakeTime, status: int
) -> None:
    """5xx and 429 are retried with backoff, and a later success is the answer."""
    plan_server.add_plan("d", TODAY)
    plan_server.fail("status", endpoint="plan", status=status, times=2)
    client = make_client()
    plan = await client.fetch_coach_plan("d", TODAY)
    assert plan["found"] and plan["error"] is None
    assert plan_server.requests_to("plan") == 3
    assert len(fake_time.sleeps) == 2
    assert client.get_metrics()["api"]["retries"] == 2


async def test_max_retries_is_total_attempts(
    plan_server: ContractServer, make_client: Make
) -> None:
    """`max_retries` keeps the seed's meaning: the total number of attempts."""
    plan_server.fail("status", endpoint="plan", status=503, times=10)
    plan = await make_client(max_retries=4).fetch_coach_plan("d", TODAY)
    assert plan["error"] == "unavailable" and plan_server.requests_to("plan") == 4


async def test_backoff_is_exponential_full_jitter_and_capped() -> None:
    """The delay before retry n is uniform in [0, min(wait_max, initial * base**(n-1))]."""
    policy = RetryPolicy(attempts=10, wait_initial=0.5, wait_max=3.0, wait_exp_base=2.0)
    assert [policy.backoff(n, lambda: 1.0) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert policy.backoff(3, lambda: 0.25) == 0.5
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)


def test_retry_after_parses_seconds_and_http_dates() -> None:
    """Both Retry-After forms of RFC 9110 are understood; garbage is ignored."""
    assert parse_retry_after({"Retry-After": "7"}) == 7.0
    now = 784111777.0  # Sun, 06 Nov 1994 08:49:37 GMT
    assert parse_retry_after({"Retry-After": "Sun, 06 Nov 1994 08:49:47 GMT"}, lambda: now) == 10
    assert parse_retry_after({"Retry-After": "Sun, 06 Nov 1994 08:49:27 GMT"}, lambda: now) == 0
    assert parse_retry_after({"Retry-After": "soon"}) is None
    assert parse_retry_after({}) is None


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        ("invalid_json", {}),
        ("html", {}),
        ("wrong_types", {}),
        ("error_200", {}),
        ("huge", {"size": 2 * 1024 * 1024}),
    ],
)
async def test_malformed_answers_are_bad_response(
    plan_server: ContractServer, make_client: Make, kind: str, extra: dict[str, int]
) -> None:
    """A 200 that breaks the contract is a failure (`bad_response`), never cached, not retried."""
    plan_server.add_plan("d", TODAY)
    plan_server.fail(kind, endpoint="plan", **extra)  # type: ignore[arg-type]
    client = make_client()
    plan = await client.fetch_coach_plan("d", TODAY)
    assert plan["error"] == "bad_response" and not plan["found"] and plan["charts"] == ()
    assert plan_server.requests_to("plan") == 1
    assert (await client.fetch_coach_plan("d", TODAY))["found"]


async def test_body_cut_off_is_retried(plan_server: ContractServer, make_client: Make) -> None:
    """A connection dropped mid-body is a network failure: another attempt can succeed."""
    plan_server.add_plan("d", TODAY)
    plan_server.fail("cut", endpoint="plan")
    plan = await make_client().fetch_coach_plan("d", TODAY)
    assert plan["found"] and plan_server.requests_to("plan") == 2


async def test_fallback_text_hides_url_and_exception(make_client: Make, unused_port: int) -> None:
    """A fallback's text is the seed client's sentence and the category: no URL, no exception."""
    url = f"http://127.0.0.1:{unused_port}"
    plan = await make_client(api_base_url=url).fetch_coach_plan("d", TODAY)
    assert plan["error"] == "unavailable" and not plan["found"] and plan["charts"] == ()
    text = plan["plan"]
    assert text == "Error retrieving plan for coach d: unavailable"
    assert "127.0.0.1" not in text and str(unused_port) not in text


async def test_strict_mode_raises_typed_errors(
    plan_server: ContractServer, make_client: Make
) -> None:
    """Callers who prefer exceptions get them, by what they can do about it."""
    client = make_client(strict=True)
    with pytest.raises(PlanNotFound):
        await client.fetch_coach_plan("d", TODAY)
    plan_server.fail("invalid_json", endpoint="plan")
    with pytest.raises(BadResponse):
        await client.fetch_coach_plan("i", TODAY)
    plan_server.fail("status", endpoint="plan", status=403)
    with pytest.raises(Rejected):
        await client.fetch_coach_plan("s", TODAY)
    plan_server.fail("status", endpoint="plan", status=503, times=3)
    with pytest.raises(PlanUnavailable) as info:
        await client.fetch_coach_plan("n", TODAY)
    assert info.value.category == "unavailable" and "127.0.0.1" not in str(info.value)


async def test_health_and_server_metrics_never_raise(
    plan_server: ContractServer, make_client: Make, unused_port: int
) -> None:
    """check_health and get_server_metrics report, whatever the API does."""
    client = make_client()
    health = await client.check_health()
    assert health["healthy"] and health["status"] == "healthy"
    assert health["client"] == {"breaker": "closed", "last_error": None}
    plan_server.healthy = False
    sick = await client.check_health()
    assert not sick["healthy"] and sick["http_status"] == 503
    assert (await client.get_server_metrics())["database"]["total_plans"] == 0
    down = make_client(api_base_url=f"http://127.0.0.1:{unused_port}")
    assert (await down.check_health())["status"] == "unreachable"
    assert (await down.get_server_metrics()) == {"error": "unavailable"}


async def test_upstream_fetch_logs_one_info_line(
    plan_server: ContractServer, make_client: Make, caplog: pytest.LogCaptureFixture
) -> None:
    """Each upstream fetch logs key, status, attempts and ms at INFO; hits only at DEBUG."""
    caplog.set_level("DEBUG", logger="bot.plans")
    client = make_client()
    await client.fetch_coach_plan("d", TODAY)
    await client.fetch_coach_plan("d", TODAY)
    info = [r.getMessage() for r in caplog.records if r.levelname == "INFO"]
    assert len(info) == 1 and f"d/{TODAY}: 200 after 1 attempt in" in info[0] and "ms" in info[0]
    assert any("cache hit" in r.getMessage() for r in caplog.records if r.levelname == "DEBUG")
