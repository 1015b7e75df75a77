"""Several processes, one cache: each peer is its own interpreter with its own tier.

Categories: a value fetched by one process is a Redis hit for another; N
processes x M concurrent callers on one uncached key make one upstream
request with a bounded number of Redis commands per waiting caller; a lock
holder killed with SIGKILL does not stop the others; clears and the breaker
reach other processes. "Upstream" is an INCR every fetch makes, so requests
of killed processes count too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from bot.plans.shared import PLAN_CODEC, Found, Invalidation
from bot.plans.shared.tier import RedisTier

from .helpers import DAY, KEY, Upstream, listening, until
from .peers import Peer
from .server import RedisServer

MakeTier = Callable[..., RedisTier]
StartPeer = Callable[..., Any]
PROCESSES = 8
CALLS_PER_PROCESS = 50


def upstream_requests(server: RedisServer, prefix: str) -> int:
    with server.client() as client:
        return int(client.get(f"{prefix}:test:upstream") or 0)


def script_round_trips(server: RedisServer) -> int:
    """Script calls and other script-free commands clients sent, as Redis counted them.

    GETs are left out: commandstats also counts the commands scripts run inside
    Redis (they cost no round trip), so a client's GET cannot be told from a
    script's; the tiers' own count (`commands`) has them.
    """
    stats = server.commands()
    return sum(stats.get(name, 0) for name in ("evalsha", "eval", "script|load", "ping"))


async def test_a_value_fetched_by_one_process_is_a_hit_for_another(
    start_peer: StartPeer, make_tier: MakeTier, redis_server: RedisServer, prefix: str
) -> None:
    peer: Peer = await start_peer()
    await peer.send("load", coach="ab", day=DAY)
    (result,) = (await peer.expect("loaded"))["results"]
    assert result["source"] == "upstream"
    upstream = Upstream()
    here = await make_tier().load(KEY, PLAN_CODEC, upstream, deadline_at=time.monotonic() + 60)
    assert isinstance(here, Found) and here.source == "redis"
    assert here.value.plan == result["plan"] == f"fetched by {peer.pid}"
    assert upstream.calls == 0 and upstream_requests(redis_server, prefix) == 1


async def test_many_processes_missing_one_key_make_one_request(
    start_peer: StartPeer, redis_server: RedisServer, prefix: str
) -> None:
    """8 processes x 50 concurrent callers: one upstream request; each waiting caller
    costs two Redis commands (the GET that misses, its lookup) and is woken by
    pub/sub, never by polling."""
    peers: list[Peer] = await asyncio.gather(*(start_peer() for _ in range(PROCESSES)))
    before = sum([(await peer.stats())["commands"] for peer in peers])
    with redis_server.client() as client:
        client.config_resetstat()
    await asyncio.gather(*(
        peer.send("load", coach="ab", day=DAY, n=CALLS_PER_PROCESS, fetch_seconds=1.0)
        for peer in peers
    ))  # fmt: skip
    loaded = await asyncio.gather(*(peer.expect("loaded") for peer in peers))
    results = [r for event in loaded for r in event["results"]]
    assert len(results) == PROCESSES * CALLS_PER_PROCESS
    assert upstream_requests(redis_server, prefix) == 1
    assert {r["kind"] for r in results} == {"found"}
    assert len({r["plan"] for r in results}) == 1
    sources = [r["source"] for r in results]
    assert sources.count("upstream") == 1
    waiters = [r for r in results if r["source"] == "peer"]
    assert len(waiters) >= PROCESSES * CALLS_PER_PROCESS // 2  # most arrived during the fetch
    assert max(r["commands"] for r in results if r["source"] != "upstream") <= 3
    sent = sum(event["stats"]["commands"] for event in loaded) - before
    seen = script_round_trips(redis_server)
    print(
        f"\n{len(results)} callers, {len(waiters)} waited: the tiers sent {sent} commands "
        f"({sent / len(results):.2f} per caller), Redis saw {seen} script calls and pings; "
        "1 upstream request"
    )
    # A GET and a lookup per caller, the holder's DONE, at most a heartbeat PING a process.
    assert sent <= 2 * len(results) + 1 + PROCESSES
    assert seen <= len(results) + 1 + PROCESSES


async def test_a_killed_lock_holder_does_not_stop_the_others(
    start_peer: StartPeer, redis_server: RedisServer, prefix: str
) -> None:
    """SIGKILL mid-fetch: its lock expires, one waiter takes over, all answer in time."""
    holder, *others = [await start_peer(lock_ttl_seconds=1.0) for _ in range(3)]
    await holder.send("load", coach="ab", day=DAY, gated=True)
    await holder.expect("fetching")
    for peer in others:
        await peer.send("load", coach="ab", day=DAY, n=5, deadline_seconds=60)
    for peer in others:
        while (await peer.stats())["lock_waits"] < 5:  # noqa: ASYNC110  (another process)
            await asyncio.sleep(0.01)
    holder.kill()
    loaded = [await peer.expect("loaded") for peer in others]
    results = [r for event in loaded for r in event["results"]]
    assert {r["kind"] for r in results} == {"found"}
    assert [r["source"] for r in results].count("upstream") == 1
    assert upstream_requests(redis_server, prefix) == 2  # the dead one's and the takeover


async def test_a_clear_in_one_process_reaches_another(
    start_peer: StartPeer, make_tier: MakeTier
) -> None:
    peer: Peer = await start_peer()
    here = await listening(make_tier())
    cleared = await here.clear(coach="ab")
    assert cleared.everywhere
    event = await peer.expect("invalidated")
    assert (event["coach"], event["day"]) == ("ab", None)


async def test_a_load_begun_before_another_process_cleared_does_not_write_back(
    start_peer: StartPeer, make_tier: MakeTier, redis_server: RedisServer, prefix: str
) -> None:
    peer: Peer = await start_peer()
    await peer.send("load", coach="ab", day=DAY, gated=True)
    await peer.expect("fetching")
    here = await listening(make_tier())
    await here.clear()
    await peer.send("open_gate")
    event = await peer.expect("loaded")
    assert event["results"][0]["source"] == "upstream"  # its caller got the answer
    assert event["stats"]["puts_refused"] == 1
    assert await here.get(KEY, PLAN_CODEC) is None
    upstream = Upstream()
    after = await here.load(KEY, PLAN_CODEC, upstream, deadline_at=time.monotonic() + 60)
    assert isinstance(after, Found) and after.source == "upstream" and upstream.calls == 1


async def test_a_breaker_opened_in_one_process_is_open_in_the_others(
    start_peer: StartPeer, make_tier: MakeTier
) -> None:
    heard: list[float] = []
    here = await listening(make_tier(on_breaker=heard.append))
    peer: Peer = await start_peer()
    await peer.send("open_breaker", seconds=30)
    assert (await peer.expect("breaker_set"))["ok"]
    await until(lambda: len(heard) == 1)
    assert heard == [30.0]
    late: Peer = await start_peer()  # a process started after the opening reads it
    assert 25.0 < (await late.expect("breaker"))["seconds"] <= 30.0
    await here.close_breaker()
    assert (await peer.expect("breaker"))["seconds"] == 0.0


async def test_invalidations_carry_the_clear_exactly(
    start_peer: StartPeer, make_tier: MakeTier
) -> None:
    heard: list[Invalidation] = []
    await listening(make_tier(on_invalidate=heard.append))
    peer: Peer = await start_peer()
    await peer.send("clear", day=DAY)
    assert (await peer.expect("cleared"))["everywhere"]
    await until(lambda: len(heard) == 1)
    assert heard == [Invalidation(None, DAY)]
