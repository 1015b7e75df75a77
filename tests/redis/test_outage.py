"""Redis down, slow or silent is never the caller's problem.

Categories: a paused Redis (every command times out: "unavailable" at once,
then no I/O during the back-off, and the lock it may still take is undone);
no Redis at all; a Redis killed mid-run and restarted on the same port (no
exception escapes, one WARNING, the tier comes back by itself); a Redis that
stops answering without closing its sockets (the heartbeat notices).
Redis is the subject here, so its own timeouts run for real.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import pytest

from bot.plans.shared import PLAN_CODEC, Found, Unavailable
from bot.plans.shared.tier import RedisTier
from tests.loop_time import LoopClock

from .helpers import KEY, Upstream, listening, until
from .server import RedisServer, free_port

MakeTier = Callable[..., RedisTier]


class Clock:
    """The guard's clock: the back-off ends when the test says."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def far() -> float:
    return time.monotonic() + 60


async def test_a_paused_redis_costs_one_timeout_then_nothing(
    make_tier: MakeTier, redis_server: RedisServer
) -> None:
    clock = Clock()
    tier = await listening(make_tier(timeout_seconds=0.05, clock=clock))
    upstream = Upstream()
    with redis_server.client() as client:
        # WRITE: scripts wait, the test's own UNPAUSE does not (ALL would hold it too).
        client.execute_command("CLIENT", "PAUSE", 60_000, "WRITE")
        try:
            first = await tier.load(KEY, PLAN_CODEC, upstream, deadline_at=far())
            sent = tier.stats.commands
            second = await tier.load(KEY, PLAN_CODEC, upstream, deadline_at=far())
        finally:
            client.execute_command("CLIENT", "UNPAUSE")
    assert isinstance(first, Unavailable) and isinstance(second, Unavailable)
    assert second.commands == 0 and tier.stats.skipped == 1
    assert tier.stats.commands == sent
    assert tier.stats.errors >= 1 and not tier.available
    assert upstream.calls == 0  # the caller goes to the API itself, not through the tier
    with redis_server.client() as client:  # the abandoned lookup took no lock for nobody
        await until(lambda: not client.exists(tier.keys.redis_key("lock", KEY)))
    clock.t += 60
    back = await tier.load(KEY, PLAN_CODEC, upstream, deadline_at=far())
    assert isinstance(back, Found) and back.source == "upstream" and tier.available


async def test_no_redis_at_all_is_unavailable_not_an_error(make_tier: MakeTier) -> None:
    never = asyncio.Event()

    async def held(seconds: float) -> None:
        await never.wait()

    tier = make_tier(url=f"redis://127.0.0.1:{free_port()}/0", sleep=held)
    outcome = await tier.load(KEY, PLAN_CODEC, Upstream(), deadline_at=far())
    assert isinstance(outcome, Unavailable)
    assert await tier.get(KEY, PLAN_CODEC) == Unavailable("backing off after a Redis failure", 0)
    assert (await tier.clear()).everywhere is False
    assert await tier.get_stale([KEY], PLAN_CODEC) == {}
    assert await tier.breaker_open_for() is None
    assert await tier.claim_probe(5.0)
    assert tier.snapshot()["available"] is False and tier.snapshot()["listening"] is False


async def test_redis_killed_and_restarted_the_tier_comes_back_by_itself(
    make_tier: MakeTier, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.plans.shared")
    clock, server_back = Clock(), asyncio.Event()

    async def until_back(seconds: float) -> None:
        await server_back.wait()

    tier = await listening(make_tier(clock=clock, sleep=until_back, timeout_seconds=0.5))
    upstream = Upstream().gated()
    other = ("cd", KEY[1])  # mid-run: one load holds a lock, another waits for it
    holder = asyncio.ensure_future(tier.load(other, PLAN_CODEC, upstream, deadline_at=far()))
    await upstream.started.wait()
    waiter = asyncio.ensure_future(tier.load(other, PLAN_CODEC, upstream, deadline_at=far()))
    await until(lambda: tier.stats.lock_waits == 1)

    redis_server.kill()
    assert upstream.gate is not None
    upstream.gate.set()
    held, waited = await holder, await waiter
    assert isinstance(held, Found) and held.source == "upstream"  # its answer, stored or not
    assert isinstance(waited, Unavailable)  # woken when the listener lost Redis
    outcomes = [await tier.load(KEY, PLAN_CODEC, upstream, deadline_at=far()) for _ in range(50)]
    assert all(isinstance(o, Unavailable) for o in outcomes)
    assert tier.stats.skipped >= 49
    await until(lambda: not tier.listening.is_set())

    redis_server.start()
    server_back.set()
    clock.t += 60
    await until(lambda: tier.listening.is_set() and tier.available)  # caught up, probe done
    again = await tier.load(KEY, PLAN_CODEC, upstream, deadline_at=far())
    assert isinstance(again, Found) and again.source == "upstream"  # the restart lost the data
    hit = await tier.load(KEY, PLAN_CODEC, upstream, deadline_at=far())
    assert isinstance(hit, Found) and hit.source == "redis"
    assert tier.stats.reconnects == 1 and tier.available
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]


async def test_a_silent_redis_is_noticed_by_the_heartbeat(
    make_tier: MakeTier, redis_server: RedisServer
) -> None:
    """SIGSTOP keeps the sockets open: only the missing PONG tells the listener."""
    loop_clock = LoopClock.install()
    tier = await listening(make_tier(heartbeat_seconds=5.0))
    redis_server.pause()
    try:
        for _ in range(3):  # silence, PING, silence: lost
            await asyncio.sleep(0.01)
            loop_clock.skip(5.0)
        await until(lambda: not tier.listening.is_set())
    finally:
        redis_server.resume()
    await until(lambda: tier.listening.is_set())
    assert tier.stats.reconnects == 1


async def test_without_its_listener_a_caller_goes_alone_instead_of_waiting(
    make_tier: MakeTier, redis_server: RedisServer
) -> None:
    """Nothing could wake it, so it must not sit out another holder's lock."""
    held = asyncio.Event()

    async def held_sleep(seconds: float) -> None:
        await held.wait()

    holder_tier = await listening(make_tier())
    deaf = await listening(make_tier(sleep=held_sleep))
    upstream = Upstream().gated()
    holder = asyncio.ensure_future(holder_tier.load(KEY, PLAN_CODEC, upstream, deadline_at=far()))
    await upstream.started.wait()
    with redis_server.client() as client:
        client.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
    await until(lambda: not deaf.listening.is_set())
    outcome = await deaf.load(KEY, PLAN_CODEC, upstream, deadline_at=far())
    assert isinstance(outcome, Unavailable) and outcome.commands == 2  # GET, lookup
    assert upstream.gate is not None
    upstream.gate.set()
    assert isinstance(await holder, Found)
    held.set()
