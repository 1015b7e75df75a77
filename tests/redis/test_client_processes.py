"""Several processes, one cache, end to end: each peer runs a real CoachPlanClient.

Every peer is its own interpreter (`client_worker.py`) with its own process
cache and tier, on the loopback contract server and the test's redis-server:
what the API saw (`requests_to`) counts every process's requests, dead ones
included. Categories: a plan one process fetched is a Redis hit for another;
8 processes x 50 concurrent calls make one upstream request with a bounded
number of Redis commands; a lock holder killed mid-fetch; the breaker; clears;
Redis killed and restarted under them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

from tests.conftest import TODAY
from tests.contract_server import ContractServer

from .peers import Peer
from .server import RedisServer

StartPeer = Callable[..., Any]
PROCESSES = 8
CALLS_PER_PROCESS = 50


async def fetched(peer: Peer, coach: str, **args: Any) -> list[dict[str, Any]]:
    await peer.send("fetch", coach=coach, **({"date": TODAY} | args))
    results: list[dict[str, Any]] = (await peer.expect("fetched"))["results"]
    return results


async def redis_of(peer: Peer) -> dict[str, Any]:
    redis: dict[str, Any] = (await peer.metrics())["redis"]
    return redis


async def until_peer(peer: Peer, condition: Callable[[dict[str, Any]], bool]) -> None:
    """Ask `peer` for its metrics until `condition` holds (each answer a round trip to it)."""
    async with asyncio.timeout(60):  # a safety net for a hung test, not a measurement
        while not condition(await peer.metrics()):
            pass


async def test_a_plan_fetched_by_one_process_is_a_redis_hit_for_another(
    start_client_peer: StartPeer, plan_server: ContractServer
) -> None:
    plan_server.add_plan("d", TODAY, "Long NVDA over 950.")
    one, other = await start_client_peer(), await start_client_peer()
    (first,) = await fetched(one, "d")
    (second,) = await fetched(other, "d")
    assert first["plan"] == second["plan"] == "Long NVDA over 950."
    assert not first["from_cache"] and second["from_cache"]
    assert plan_server.requests_to("plan") == 1
    assert (await redis_of(other))["hits"] == 1


async def test_many_processes_missing_one_key_make_one_request(
    start_client_peer: StartPeer, plan_server: ContractServer
) -> None:
    """8 processes x 50 concurrent calls: one upstream request. Each process's callers
    share one load, and a waiting process costs Redis two commands (a GET, a lookup),
    then is woken by pub/sub: no polling."""
    plan_server.add_plan("d", TODAY, "The one answer.")
    plan_server.fail("held", endpoint="plan")  # in flight until every process waits
    peers: list[Peer] = await asyncio.gather(*(start_client_peer() for _ in range(PROCESSES)))
    before = [(await redis_of(peer))["commands"] for peer in peers]
    for peer in peers:
        await peer.send("fetch", coach="d", date=TODAY, n=CALLS_PER_PROCESS)
    await plan_server.in_flight_at_least(1)
    for peer in peers:
        await until_peer(peer, lambda m: m["redis"]["lock_waits"] + m["redis"]["lock_acquired"])
    plan_server.release()
    done = await asyncio.gather(*(peer.expect("fetched") for peer in peers))
    results = [r for event in done for r in event["results"]]
    assert len(results) == PROCESSES * CALLS_PER_PROCESS
    assert {r["plan"] for r in results} == {"The one answer."}
    assert plan_server.requests_to("plan") == 1
    redis = [event["metrics"]["redis"] for event in done]
    assert sum(r["lock_acquired"] for r in redis) == 1
    assert sum(r["lock_waits"] for r in redis) == PROCESSES - 1
    assert sum(r["peer_answers"] for r in redis) == PROCESSES - 1
    sent = sum(r["commands"] for r in redis) - sum(before)
    waiting = len(results) - CALLS_PER_PROCESS  # the callers in the other processes
    print(
        f"\n{len(results)} callers in {PROCESSES} processes, 1 upstream request; "
        f"{sent} Redis commands: {sent / waiting:.3f} per waiting caller, "
        f"{sent / PROCESSES:.2f} per process"
    )
    # A GET and a lookup per process, the holder's DONE, at most a heartbeat PING each.
    assert sent <= 2 * PROCESSES + 1 + PROCESSES


async def test_a_killed_lock_holder_does_not_stop_the_others(
    start_client_peer: StartPeer, plan_server: ContractServer
) -> None:
    """SIGKILL mid-fetch: its lock expires, another process takes over, and every caller
    gets the plan within its deadline (no fallback)."""
    plan_server.add_plan("d", TODAY, "Still answered.")
    plan_server.fail("held", endpoint="plan")  # the holder's request never answers
    holder, *others = [await start_client_peer(lock_ttl_seconds=1.0) for _ in range(3)]
    await holder.send("fetch", coach="d", date=TODAY)
    await plan_server.in_flight_at_least(1)
    for peer in others:
        await peer.send("fetch", coach="d", date=TODAY, n=5, deadline=30)
    for peer in others:
        await until_peer(peer, lambda m: m["redis"]["lock_waits"] == 1)
    holder.kill()
    done = [await peer.expect("fetched") for peer in others]
    results = [r for event in done for r in event["results"]]
    assert len(results) == 10
    assert {(r["plan"], r["found"], r["error"]) for r in results} == {
        ("Still answered.", True, None)
    }
    assert plan_server.requests_to("plan") == 2  # the dead one's and the takeover
    assert sum(e["metrics"]["redis"]["lock_acquired"] for e in done) == 1


async def test_a_breaker_opened_in_one_process_keeps_the_others_off_the_api(
    start_client_peer: StartPeer, plan_server: ContractServer
) -> None:
    """The other process answers from the stale copy in Redis, with no request of its own."""
    plan_server.add_plan("i", TODAY, "The last good plan.")
    opener = await start_client_peer(breaker_failures=1)
    other = await start_client_peer(breaker_failures=1)
    await fetched(opener, "i")
    await opener.send("clear", coach="i")  # the fresh copy goes; the stale copy stays
    await opener.expect("cleared")
    plan_server.fail("status", endpoint="plan", status=503, times=100)
    (failed,) = await fetched(opener, "d")
    assert failed["error"] == "unavailable"
    await until_peer(other, lambda m: m["breaker"]["state"] == "open")
    before = plan_server.requests_to("plan")
    (answer,) = await fetched(other, "i")
    assert answer["stale"] and answer["plan"] == "The last good plan."
    assert plan_server.requests_to("plan") == before
    metrics = await other.metrics()
    assert metrics["breaker"]["short_circuited"] == 1 and metrics["api"]["errors"] == 0


async def test_a_clear_in_one_process_sends_the_others_to_the_api(
    start_client_peer: StartPeer, plan_server: ContractServer
) -> None:
    plan_server.add_plan("d", TODAY)
    one, other = await start_client_peer(), await start_client_peer()
    await fetched(one, "d")
    assert (await fetched(other, "d"))[0]["from_cache"]
    await one.send("clear", coach="d")
    assert (await one.expect("cleared"))["dropped"] == 2  # Redis's copy and its own
    await until_peer(other, lambda m: m["redis"]["invalidations_received"] == 1)
    assert not (await fetched(other, "d"))[0]["from_cache"]
    assert plan_server.requests_to("plan") == 2


async def test_a_load_begun_before_another_process_cleared_does_not_write_back(
    start_client_peer: StartPeer, plan_server: ContractServer
) -> None:
    plan_server.add_plan("s", TODAY, "Fetched before the clear.")
    plan_server.fail("held", endpoint="plan")
    loader, clearer = await start_client_peer(), await start_client_peer()
    await loader.send("fetch", coach="s", date=TODAY)
    await plan_server.in_flight_at_least(1)
    await clearer.send("clear")
    await clearer.expect("cleared")
    plan_server.release()
    event = await loader.expect("fetched")
    assert event["results"][0]["plan"] == "Fetched before the clear."  # its caller's answer
    assert event["metrics"]["redis"]["puts_refused"] == 1
    assert not (await fetched(clearer, "s"))[0]["from_cache"]  # nothing in Redis
    assert plan_server.requests_to("plan") == 2


async def test_redis_stopped_mid_run_then_restarted_the_processes_go_on(
    start_client_peer: StartPeer, plan_server: ContractServer, redis_server: RedisServer
) -> None:
    """No exception escapes and answers go on while Redis is gone; once it is back, the
    processes reconnect by themselves and share answers again. Redis is the subject
    here: its back-offs run for real (well under a second the first time)."""
    for coach in ("d", "s"):
        plan_server.add_plan(coach, TODAY, f"Plan of {coach}.")
    one, other = await start_client_peer(), await start_client_peer()
    await fetched(one, "d")
    redis_server.kill()
    assert (await fetched(one, "d"))[0]["from_cache"]  # its process cache
    for peer in (one, other):
        (answer,) = await fetched(peer, "s")  # the API, Redis or not
        assert answer["plan"] == "Plan of s." and answer["error"] is None
    assert (await redis_of(other))["errors"] >= 1

    redis_server.start()
    async with asyncio.timeout(60):  # a safety net for a hung test, not a measurement
        for n in itertools.count():  # until both are listening and past their back-off
            for peer in (one, other):
                await until_peer(
                    peer, lambda m: m["redis"]["listening"] and m["redis"]["available"]
                )
            day = (dt.date(2024, 10, 1) + dt.timedelta(days=n)).isoformat()
            await fetched(one, "d", date=day)  # stored in Redis, unless a probe failed
            if (await fetched(other, "d", date=day))[0]["from_cache"]:
                break  # a Redis hit: the tier came back by itself
    assert (await redis_of(one))["reconnects"] == 1
