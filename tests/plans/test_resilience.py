"""Deadline, stale answers, circuit breaker, concurrency limit, cancellation, refresh-ahead.

No test waits for real time or measures it: deadlines and hung attempts run on
the event loop's clock, moved by the test (`tests/loop_time.py`), and ordering
comes from the server's `in_flight_at_least`, never from a sleep.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable

import pytest

from bot.plans import CoachPlanClient
from tests.conftest import TODAY, FakeTime
from tests.contract_server import ContractServer
from tests.loop_time import LoopClock, finished

Make = Callable[..., CoachPlanClient]


async def _drain(client: CoachPlanClient) -> None:
    """Let background refreshes finish (they run on the loop, not on the clock)."""
    await asyncio.gather(*client._cache._running, return_exceptions=True)
    assert not client.get_metrics()["refresh"]["in_progress"]


# -- deadline ----------------------------------------------------------------------
async def test_per_call_deadline_bounds_a_hung_api(plan_server: ContractServer) -> None:
    """A call with deadline=2 answers (timeout fallback) once 2 s have passed, not 3 x timeout."""
    plan_server.fail("hang", endpoint="plan", times=9)
    clock = LoopClock.install()
    async with CoachPlanClient(
        plan_server.url, timeout=10, clock=clock, sleep=clock.sleep
    ) as client:
        with clock.frozen():
            call = asyncio.ensure_future(client.fetch_coach_plan("d", TODAY, deadline=2))
            await plan_server.in_flight_at_least(1)
            clock.skip(2)
            plan = await finished(call)  # now, with no more time passing
    assert plan["error"] == "timeout" and plan_server.requests_to("plan") == 1
    assert client.get_metrics()["deadline_exceeded"] == 1


async def test_backoff_that_does_not_fit_the_deadline_ends_the_call(
    plan_server: ContractServer, make_client: Make, fake_time: FakeTime
) -> None:
    """With 1 s of deadline left a 2 s backoff is not taken: answer now, one attempt."""
    plan_server.fail("status", endpoint="plan", status=500, times=9)
    client = make_client(wait_initial=2, rand=lambda: 1.0)
    plan = await client.fetch_coach_plan("d", TODAY, deadline=1)
    assert plan["error"] == "unavailable"
    assert plan_server.requests_to("plan") == 1 and fake_time.sleeps == []


# -- stale -------------------------------------------------------------------------
async def test_stale_copy_is_served_when_the_api_fails(
    plan_server: ContractServer, make_client: Make, fake_time: FakeTime
) -> None:
    """The last good answer comes back marked stale, with its original fetched_at."""
    plan_server.add_plan("d", TODAY)
    client = make_client(cache_ttl_seconds=10, refresh_ahead_ratio=0)
    fresh = await client.fetch_coach_plan("d", TODAY)
    assert fresh["stale"] is False
    fake_time.advance(3600)
    plan_server.fail("status", endpoint="plan", status=503, times=9)
    stale = await client.fetch_coach_plan("d", TODAY)
    assert stale["stale"] and stale["found"] and stale["error"] is None
    assert stale["plan"] == fresh["plan"] and stale["fetched_at"] == fresh["fetched_at"]
    assert client.get_metrics()["requests"]["stale_served"] == 1


async def test_stale_copy_expires(
    plan_server: ContractServer, make_client: Make, fake_time: FakeTime
) -> None:
    """Older than stale_ttl_seconds, a copy is not shown: the fallback is."""
    plan_server.add_plan("d", TODAY)
    client = make_client(cache_ttl_seconds=10, stale_ttl_seconds=100)
    await client.fetch_coach_plan("d", TODAY)
    fake_time.advance(101)
    plan_server.fail("status", endpoint="plan", status=503, times=9)
    assert (await client.fetch_coach_plan("d", TODAY))["error"] == "unavailable"


async def test_fetch_all_failure_uses_stale_copies_per_coach(
    plan_server: ContractServer, make_client: Make, fake_time: FakeTime
) -> None:
    """/all down: coaches we have copies of come back stale, the rest as fallbacks."""
    plan_server.add_plan("d", TODAY)
    client = make_client(cache_ttl_seconds=10)
    await client.fetch_coach_plan("d", TODAY)
    fake_time.advance(20)
    plan_server.fail("status", endpoint="all", status=500, times=9)
    plans = await client.fetch_all_coach_plans(TODAY)
    assert plans["d"]["stale"] and plans["i"]["error"] == "unavailable"


# -- breaker -----------------------------------------------------------------------
async def test_breaker_opens_short_circuits_and_recovers(
    plan_server: ContractServer, make_client: Make, fake_time: FakeTime
) -> None:
    """5 failures open it; calls then cost no request; after the cooldown one probe decides."""
    plan_server.add_plan("d", TODAY)
    client = make_client(max_retries=1, breaker_failures=5, breaker_cooldown_seconds=30)
    plan_server.fail("status", endpoint="plan", status=500, times=99)
    for day in range(1, 6):
        await client.fetch_coach_plan("d", f"2024-11-0{day}")
    assert client.get_metrics()["breaker"]["state"] == "open"
    requests = plan_server.requests_to("plan")
    assert requests == 5
    blocked = await client.fetch_coach_plan("d", TODAY)
    assert blocked["error"] == "unavailable" and plan_server.requests_to("plan") == 5
    fake_time.advance(30)
    assert client.get_metrics()["breaker"]["state"] == "half_open"
    assert (await client.fetch_coach_plan("d", TODAY))["error"] == "unavailable"  # probe fails
    assert plan_server.requests_to("plan") == 6
    assert client.get_metrics()["breaker"]["state"] == "open"
    plan_server.faults.clear()
    fake_time.advance(30)
    assert (await client.fetch_coach_plan("d", TODAY))["found"]  # probe succeeds
    breaker = client.get_metrics()["breaker"]
    assert breaker["state"] == "closed" and breaker["opens"] == 2
    assert breaker["short_circuited"] == 1
    health = await client.check_health()
    assert health["client"] == {"breaker": "closed", "last_error": "unavailable"}


async def test_rejections_and_no_plan_do_not_open_the_breaker(
    plan_server: ContractServer, make_client: Make
) -> None:
    """A 4xx or "no plan" says the API is up: the breaker stays closed."""
    client = make_client(breaker_failures=2)
    plan_server.fail("status", endpoint="plan", status=400, times=5)
    for day in range(1, 6):
        await client.fetch_coach_plan("d", f"2024-11-0{day}")
    for day in range(1, 6):
        await client.fetch_coach_plan("i", f"2024-11-0{day}")
    assert client.get_metrics()["breaker"]["state"] == "closed"


async def test_open_breaker_serves_stale_at_once(
    plan_server: ContractServer, make_client: Make, fake_time: FakeTime
) -> None:
    """With the breaker open a key we have a copy of answers stale, without a request."""
    plan_server.add_plan("d", TODAY)
    client = make_client(max_retries=1, breaker_failures=1, cache_ttl_seconds=10)
    await client.fetch_coach_plan("d", TODAY)
    fake_time.advance(11)
    plan_server.fail("status", endpoint="plan", status=500, times=99)
    await client.fetch_coach_plan("i", TODAY)
    before = plan_server.requests_to("plan")
    plan = await client.fetch_coach_plan("d", TODAY)
    assert plan["stale"] and plan_server.requests_to("plan") == before


# -- overload ----------------------------------------------------------------------
async def test_concurrency_limit_bounds_requests_in_flight(
    plan_server: ContractServer, make_client: Make
) -> None:
    """60 distinct keys at once never put more than max_concurrency requests in flight."""
    plan_server.fail("delay", endpoint="plan", seconds=0.02, times=60)
    # A slot is awaited at most `timeout`: far more than a busy machine needs for 60 answers.
    client = make_client(max_concurrency=4, max_cache_size=100, timeout=30)
    days = [f"2024-{m:02d}-{d:02d}" for m in (9, 10) for d in range(1, 31)]
    plans = await asyncio.gather(*(client.fetch_coach_plan("d", day) for day in days))
    assert all(p["error"] is None for p in plans)
    assert plan_server.peak_in_flight <= 4 and client.get_metrics()["api"]["peak_in_flight"] <= 4
    assert plan_server.requests_to("plan") == 60


# -- cancellation ------------------------------------------------------------------
async def test_cancelled_caller_does_not_cancel_the_shared_fetch(
    plan_server: ContractServer, make_client: Make
) -> None:
    """One caller gives up; the other still gets the plan from the same single request."""
    plan_server.add_plan("d", TODAY)
    plan_server.fail("held", endpoint="plan")
    client = make_client(timeout=60)
    quitter = asyncio.ensure_future(client.fetch_coach_plan("d", TODAY))
    stayer = asyncio.ensure_future(client.fetch_coach_plan("d", TODAY))
    await plan_server.in_flight_at_least(1)  # both joined; the answer waits for release()
    quitter.cancel()
    plan_server.release()
    plan = await stayer
    assert quitter.cancelled() and plan["found"]
    assert plan_server.requests_to("plan") == 1
    assert (await client.fetch_coach_plan("d", TODAY))["from_cache"]


async def test_cancelled_sole_caller_leaves_no_broken_entry(
    plan_server: ContractServer, make_client: Make
) -> None:
    """The only caller is cancelled mid-fetch; the next call works normally."""
    plan_server.add_plan("d", TODAY)
    plan_server.fail("hang", endpoint="plan")
    client = make_client(timeout=10)
    task = asyncio.ensure_future(client.fetch_coach_plan("d", TODAY))
    await plan_server.in_flight_at_least(1)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    following = asyncio.ensure_future(client.fetch_coach_plan("d", TODAY))
    LoopClock.install().skip(11)  # the hung attempt times out; its retry gets the plan
    plan = await following
    assert plan["found"] and not plan["from_cache"]


# -- refresh-ahead -----------------------------------------------------------------
async def test_hit_near_expiry_refreshes_in_the_background(
    plan_server: ContractServer, make_client: Make, fake_time: FakeTime
) -> None:
    """In the last 10 % of the TTL a hit answers at once and one refresh runs behind it."""
    plan_server.add_plan("d", TODAY, "v1")
    client = make_client(cache_ttl_seconds=100, refresh_ahead_ratio=0.1)
    await client.fetch_coach_plan("d", TODAY)
    fake_time.advance(95)
    plan_server.add_plan("d", TODAY, "v2")
    hits = await asyncio.gather(*(client.fetch_coach_plan("d", TODAY) for _ in range(5)))
    assert all(h["plan"] == "v1" and h["from_cache"] for h in hits)
    await _drain(client)
    assert plan_server.requests_to("plan") == 2
    assert client.get_metrics()["refresh"]["background_refreshes"] == 1
    fake_time.advance(10)  # past the first entry's TTL: the refreshed one still holds
    newer = await client.fetch_coach_plan("d", TODAY)
    assert newer["plan"] == "v2" and newer["from_cache"]


async def test_close_cancels_background_refreshes(
    plan_server: ContractServer, make_client: Make, fake_time: FakeTime
) -> None:
    """A refresh stuck on a hung API is cancelled by close(), with nothing left running."""
    plan_server.add_plan("d", TODAY)
    client = make_client(cache_ttl_seconds=100)
    await client.fetch_coach_plan("d", TODAY)
    fake_time.advance(95)
    plan_server.fail("hang", endpoint="plan")
    await client.fetch_coach_plan("d", TODAY)
    await plan_server.in_flight_at_least(1)
    assert client.get_metrics()["refresh"]["in_progress"] == 1
    await client.close()
    assert client.get_metrics()["refresh"]["in_progress"] == 0


async def test_a_load_nobody_waits_for_leaves_no_unread_error(
    plan_server: ContractServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A caller gone at its deadline as the load fails: no "exception never retrieved"."""
    plan_server.fail("hang", endpoint="plan", times=9, clock_jump=3)  # past the deadline
    clock = LoopClock.install()
    async with CoachPlanClient(
        plan_server.url, deadline_seconds=2, clock=clock, sleep=clock.sleep
    ) as client:
        assert (await client.fetch_coach_plan("d", TODAY))["error"] == "timeout"
        running = set(client._cache._running)
        if running:
            await asyncio.wait(running)  # reads no result, unlike gather
        del running
        gc.collect()
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]
