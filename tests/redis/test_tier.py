"""The tier in one process against a real Redis: the second level and one load per key.

Categories: round trips and TTLs; values this version cannot read (a miss,
counted, then overwritten); single flight among concurrent callers and what
waiters get when the holder fails, gives up or is cancelled; a waiter's own
deadline; stale copies.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from bot.plans.models import CoachPlan
from bot.plans.shared import PLAN_CODEC, Answer, Failed, Found, Outcome, Unavailable
from bot.plans.shared.tier import RedisTier
from tests.loop_time import LoopClock

from .helpers import DAY, KEY, Upstream, listening, make_plan, unavailable, until
from .server import RedisServer

MakeTier = Callable[..., RedisTier]


def far() -> float:
    return time.monotonic() + 60


async def test_put_then_get_round_trips(make_tier: MakeTier) -> None:
    """What one call stores, the next reads equal, with the TTL Redis has left."""
    tier = make_tier()
    plan = make_plan()
    assert await tier.put([(KEY, Answer(plan, 60.0, 600.0))], PLAN_CODEC, generation=0)
    found = await tier.get(KEY, PLAN_CODEC)
    assert isinstance(found, Found)
    assert found.value == plan and found.source == "redis"
    assert found.ttl_seconds is not None and 0 < found.ttl_seconds <= 60
    assert await tier.get(("cd", DAY), PLAN_CODEC) is None


async def test_a_hit_is_one_plain_get(make_tier: MakeTier, redis_server: RedisServer) -> None:
    """No script and no PTTL on a hit: the value says how long it has left."""
    tier = make_tier()
    assert await tier.put([(KEY, Answer(make_plan(), 60.0, 600.0))], PLAN_CODEC, generation=0)
    with redis_server.client() as client:
        client.config_resetstat()
    found = await tier.load(KEY, PLAN_CODEC, Upstream(), deadline_at=far())
    assert isinstance(found, Found) and found.source == "redis" and found.commands == 1
    assert found.ttl_seconds is not None and 59 < found.ttl_seconds <= 60
    seen = redis_server.commands()
    assert seen["get"] == 1 and not {"evalsha", "eval", "pttl"} & set(seen)


async def test_a_value_refused_by_the_caller_is_fetched_anew(make_tier: MakeTier) -> None:
    """A refresh near a value's end wants a newer one; the answer replaces it for all."""
    tier, upstream = make_tier(), Upstream()
    assert await tier.put([(KEY, Answer(make_plan(), 60.0, 600.0))], PLAN_CODEC, generation=0)
    outcome = await tier.load(
        KEY, PLAN_CODEC, upstream, deadline_at=far(), accept=lambda value, left: False
    )
    assert isinstance(outcome, Found) and outcome.source == "upstream" and upstream.calls == 1
    assert tier.stats.decode_failures == 0
    stored = await tier.get(KEY, PLAN_CODEC)
    assert isinstance(stored, Found) and stored.value == outcome.value


async def test_a_miss_fetches_once_and_stores_with_the_callers_ttls(
    make_tier: MakeTier, redis_server: RedisServer
) -> None:
    """Each answer keeps its own TTL; its stale copy lives longer, for stale-on-error."""
    tier, upstream = make_tier(), Upstream(ttl_seconds=30.0, stale_ttl_seconds=900.0)
    first = await tier.load(KEY, PLAN_CODEC, upstream, deadline_at=far())
    assert isinstance(first, Found) and first.source == "upstream"
    second = await tier.load(KEY, PLAN_CODEC, upstream, deadline_at=far())
    assert isinstance(second, Found) and second.source == "redis" and second.commands == 1
    assert second.value == first.value and upstream.calls == 1
    with redis_server.client() as client:
        assert 0 < client.pttl(tier.keys.redis_key("fresh", KEY)) <= 30_000
        assert 30_000 < client.pttl(tier.keys.redis_key("stale", KEY)) <= 900_000
        assert not client.exists(tier.keys.redis_key("lock", KEY))
    assert await tier.get_stale([KEY, ("cd", DAY)], PLAN_CODEC) == {KEY: first.value}


@pytest.mark.parametrize(
    "store",
    [
        lambda c, k: c.set(k, b"\x80\x04\x95 a pickle, never loaded"),
        lambda c, k: c.set(k, b'{"v":"plan/1/00000000","d":{}}'),  # another schema
        lambda c, k: c.hset(k, "a", "b"),  # another type altogether
    ],
)
async def test_a_value_we_cannot_read_is_a_miss_then_overwritten(
    make_tier: MakeTier, redis_server: RedisServer, store: Callable[..., object]
) -> None:
    tier, upstream = make_tier(), Upstream()
    with redis_server.client() as client:
        store(client, tier.keys.redis_key("fresh", KEY))
    assert await tier.get(KEY, PLAN_CODEC) is None
    outcome = await tier.load(KEY, PLAN_CODEC, upstream, deadline_at=far())
    assert isinstance(outcome, Found) and outcome.source == "upstream"
    assert tier.stats.decode_failures >= 1 and upstream.calls == 1
    again = await tier.get(KEY, PLAN_CODEC)
    assert isinstance(again, Found) and again.value == outcome.value


async def test_a_corrupt_value_with_our_header_is_a_miss_then_overwritten(
    make_tier: MakeTier, redis_server: RedisServer
) -> None:
    """The Lua lookup trusts the header; the decoder catches the rest and fetches."""
    tier, upstream = make_tier(), Upstream()
    with redis_server.client() as client:
        client.set(tier.keys.redis_key("fresh", KEY), PLAN_CODEC.header + b'{"coach": 1}}')
    outcome = await tier.load(KEY, PLAN_CODEC, upstream, deadline_at=far())
    assert isinstance(outcome, Found) and outcome.source == "upstream"
    assert outcome.commands == 3  # GET (unreadable), lookup (lock), done
    assert tier.stats.decode_failures == 1
    assert isinstance(await tier.get(KEY, PLAN_CODEC), Found)


async def test_concurrent_callers_in_one_process_make_one_request(make_tier: MakeTier) -> None:
    """Without the process cache in front, the tier alone still fetches once."""
    tier, upstream = await listening(make_tier()), Upstream().gated()
    calls = [asyncio.ensure_future(tier.load(KEY, PLAN_CODEC, upstream, deadline_at=far()))
             for _ in range(20)]  # fmt: skip
    await until(lambda: tier.stats.lock_waits == 19)
    assert upstream.gate is not None
    upstream.gate.set()
    outcomes = await asyncio.gather(*calls)
    assert upstream.calls == 1
    assert all(isinstance(o, Found) for o in outcomes)
    peers = [o for o in outcomes if isinstance(o, Found) and o.source == "peer"]
    assert len(peers) == 19 and all(o.commands == 2 for o in peers)  # GET, lookup
    assert len({o.value for o in outcomes if isinstance(o, Found)}) == 1
    assert tier.stats.lock_waits == 19 and tier.stats.lock_acquired == 1


async def _holder_and_waiter(
    tier: RedisTier, upstream: Upstream
) -> tuple[asyncio.Future[Outcome[CoachPlan]], asyncio.Future[Outcome[CoachPlan]]]:
    await listening(tier)
    holder = asyncio.ensure_future(tier.load(KEY, PLAN_CODEC, upstream, deadline_at=far()))
    await upstream.started.wait()
    waiter = asyncio.ensure_future(tier.load(KEY, PLAN_CODEC, upstream, deadline_at=far()))
    await until(lambda: tier.stats.lock_waits == 1)
    return holder, waiter


async def test_waiters_share_the_holders_upstream_failure(make_tier: MakeTier) -> None:
    """As joiners of one load do: no second request to an API that just failed."""
    tier, upstream = make_tier(), Upstream().gated()
    upstream.failure = unavailable("timeout")
    holder, waiter = await _holder_and_waiter(tier, upstream)
    assert upstream.gate is not None
    upstream.gate.set()
    with pytest.raises(Exception, match="the API failed"):
        await holder
    outcome = await waiter
    assert outcome == Failed("timeout", False, 2)
    assert upstream.calls == 1 and tier.stats.peer_failures == 1


async def test_a_holder_out_of_its_own_time_leaves_the_key_to_a_waiter(make_tier: MakeTier) -> None:
    """A short deadline of one caller must not fail callers who have more time."""
    tier, upstream = make_tier(), Upstream().gated()
    upstream.failure = unavailable("timeout", by_deadline=True)
    holder, waiter = await _holder_and_waiter(tier, upstream)
    assert upstream.gate is not None
    upstream.gate.set()
    with pytest.raises(Exception, match="the API failed"):
        await holder
    upstream.failure = None  # the waiter, now holder, gets its answer
    outcome = await waiter
    assert isinstance(outcome, Found) and outcome.source == "upstream"
    assert upstream.calls == 2 and outcome.commands == 4  # GET, wait, look again, done


async def test_a_cancelled_holder_leaves_the_key_to_a_waiter(make_tier: MakeTier) -> None:
    tier, upstream = make_tier(), Upstream().gated()
    holder, waiter = await _holder_and_waiter(tier, upstream)
    holder.cancel()
    await until(lambda: upstream.calls == 2)
    assert upstream.gate is not None
    upstream.gate.set()
    outcome = await waiter
    assert isinstance(outcome, Found) and outcome.source == "upstream"
    assert holder.cancelled()


async def test_a_waiter_answers_by_its_own_deadline(make_tier: MakeTier) -> None:
    """The holder hangs (lock kept alive); the waiter's deadline ends its wait, not the lock."""
    clock = LoopClock.install()
    tier, upstream = await listening(make_tier(clock=clock)), Upstream().gated()
    holder = asyncio.ensure_future(tier.load(KEY, PLAN_CODEC, upstream, deadline_at=clock() + 60))
    await upstream.started.wait()
    waiter = asyncio.ensure_future(tier.load(KEY, PLAN_CODEC, upstream, deadline_at=clock() + 1))
    await until(lambda: tier.stats.lock_waits == 1)
    clock.skip(1.5)
    assert await waiter == Failed("timeout", True, 2)
    assert tier.stats.lock_wait_timeouts == 1
    assert upstream.gate is not None
    upstream.gate.set()
    assert isinstance(await holder, Found)


async def test_a_closed_tier_is_unavailable(make_tier: MakeTier) -> None:
    tier = make_tier()
    await tier.close()
    assert isinstance(await tier.load(KEY, PLAN_CODEC, Upstream(), deadline_at=far()), Unavailable)


async def test_the_all_answer_has_a_key_of_its_own(make_tier: MakeTier) -> None:
    """A day's /all answer (coach `*`) is stored and read like any other key."""
    from bot.plans.shared import ALL_COACH, ALL_CODEC

    tier = make_tier()
    answer = {"ab": make_plan("ab"), "cd": make_plan("cd")}

    async def fetch_all(generation: int) -> Answer[dict[str, CoachPlan]]:
        return Answer(answer, 60.0)

    key = (ALL_COACH, DAY)
    first = await tier.load(key, ALL_CODEC, fetch_all, deadline_at=far())
    second = await tier.load(key, ALL_CODEC, fetch_all, deadline_at=far())
    assert isinstance(first, Found) and first.source == "upstream"
    assert isinstance(second, Found) and second.source == "redis" and second.value == answer
    assert await tier.get(KEY, PLAN_CODEC) is None  # /all does not fill coaches by itself
