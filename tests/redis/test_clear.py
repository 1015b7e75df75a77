"""Clears: matching keys leave Redis, every other process hears of it, old loads cannot write back.

Categories: what a clear by coach, day or everything drops (stale copies and
other namespaces stay); the broadcast (others apply it, the clearer does not
hear itself); the generation rule (a load begun before the clear answers its
callers but stores nothing); catching up on clears missed while disconnected.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from bot.plans.shared import ALL_COACH, PLAN_CODEC, Answer, Found, Invalidation
from bot.plans.shared.tier import RedisTier

from .helpers import DAY, KEY, Upstream, listening, make_plan, until
from .server import RedisServer

MakeTier = Callable[..., RedisTier]
OTHER_DAY = "2024-11-07"


def far() -> float:
    return time.monotonic() + 60


async def _store(tier: RedisTier, *keys: tuple[str, str]) -> None:
    items = [(key, Answer(make_plan(key[0], key[1]), 60.0, 600.0)) for key in keys]
    assert await tier.put(items, PLAN_CODEC, generation=await _generation(tier))


async def _generation(tier: RedisTier) -> int:
    await listening(tier)
    return tier.broadcasts.seen_generation or 0


async def test_clears_by_coach_day_and_all_drop_what_the_process_cache_would(
    make_tier: MakeTier, redis_server: RedisServer
) -> None:
    """A coach's clear takes the /all answers that hold the coach; stale copies stay."""
    tier = make_tier()
    keys = [("ab", DAY), ("ab", OTHER_DAY), ("cd", DAY), (ALL_COACH, DAY), (ALL_COACH, OTHER_DAY)]
    await _store(tier, *keys)
    with redis_server.client() as client:
        client.set("someone-else:v1:fresh:ab:" + DAY, b"theirs")
    cleared = await tier.clear(coach="ab", day=DAY)
    assert (cleared.dropped, cleared.everywhere) == (2, True)
    assert (await tier.clear(day=OTHER_DAY)).dropped == 2
    assert (await tier.clear()).dropped == 1
    assert (await tier.clear()).dropped == 0
    with redis_server.client() as client:
        assert client.exists("someone-else:v1:fresh:ab:" + DAY)
        assert client.exists(*(tier.keys.redis_key("stale", key) for key in keys)) == 5
    assert tier.stats.keys_dropped == 5


async def test_a_clear_reaches_the_other_processes_but_not_its_own(make_tier: MakeTier) -> None:
    heard: dict[str, list[Invalidation]] = {"a": [], "b": []}
    a = await listening(make_tier(on_invalidate=heard["a"].append))
    b = await listening(make_tier(on_invalidate=heard["b"].append))
    await a.clear(coach="ab")
    await until(lambda: len(heard["b"]) == 1)
    assert heard == {"a": [], "b": [Invalidation("ab", None)]}
    assert b.stats.invalidations_received == 1 and a.stats.invalidations_sent == 1


async def test_a_load_begun_before_a_clear_does_not_write_back(make_tier: MakeTier) -> None:
    """Its callers get their answer; Redis keeps nothing, so the next call asks again."""
    a, b = await listening(make_tier()), await listening(make_tier())
    upstream = Upstream().gated()
    holder = asyncio.ensure_future(a.load(KEY, PLAN_CODEC, upstream, deadline_at=far()))
    await upstream.started.wait()
    waiter = asyncio.ensure_future(a.load(KEY, PLAN_CODEC, upstream, deadline_at=far()))
    await until(lambda: a.stats.lock_waits == 1)
    assert (await b.clear()).everywhere
    assert upstream.gate is not None
    upstream.gate.set()
    before, joined = await holder, await waiter
    assert isinstance(before, Found) and before.source == "upstream"
    assert isinstance(joined, Found) and joined.value == before.value
    assert a.stats.puts_refused == 1 and a.stats.puts == 0
    assert await a.get(KEY, PLAN_CODEC) is None
    after = await b.load(KEY, PLAN_CODEC, Upstream(), deadline_at=far())
    assert isinstance(after, Found) and after.source == "upstream"


async def test_a_put_with_an_old_generation_is_refused(make_tier: MakeTier) -> None:
    """The /all load's per-coach answers follow the same rule as the load itself."""
    tier = make_tier()
    old = await _generation(tier)
    await tier.clear()
    answer = Answer(make_plan(), 60.0, 600.0)
    assert not await tier.put([(KEY, answer)], PLAN_CODEC, generation=old)
    assert tier.stats.puts_refused == 1
    assert await tier.put([(KEY, answer)], PLAN_CODEC, generation=old + 1)


async def test_a_callers_waiting_after_a_clear_do_not_take_an_older_answer(
    make_tier: MakeTier,
) -> None:
    """A clear frees the key: later callers start afresh instead of joining the old load."""
    a, b = await listening(make_tier()), await listening(make_tier())
    old_upstream, new_upstream = Upstream().gated(), Upstream()
    holder = asyncio.ensure_future(a.load(KEY, PLAN_CODEC, old_upstream, deadline_at=far()))
    await old_upstream.started.wait()
    await b.clear()
    fresh = await b.load(KEY, PLAN_CODEC, new_upstream, deadline_at=far())
    assert isinstance(fresh, Found) and fresh.source == "upstream" and new_upstream.calls == 1
    assert old_upstream.gate is not None
    old_upstream.gate.set()
    await holder
    stored = await b.get(KEY, PLAN_CODEC)
    assert isinstance(stored, Found) and stored.value == fresh.value


async def test_clears_missed_while_disconnected_become_one_clear_of_everything(
    make_tier: MakeTier, redis_server: RedisServer
) -> None:
    """A process cannot know what it missed, so it drops everything: the safe side."""
    heard: list[Invalidation] = []
    reconnect = asyncio.Event()

    async def held_sleep(seconds: float) -> None:
        await reconnect.wait()

    a = await listening(make_tier(on_invalidate=heard.append, sleep=held_sleep))
    b = make_tier()
    with redis_server.client() as client:
        client.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
    await until(lambda: not a.listening.is_set())
    await b.clear(coach="ab")
    reconnect.set()
    await until(lambda: len(heard) == 1)
    assert heard == [Invalidation()]
    assert a.stats.reconnects == 1
