"""The real client with `redis_url`: two clients in one test are two processes on one Redis.

Categories: the second level (a plan one client fetched is a Redis hit for
the other; a day's /all fills every coach; what it keeps and for how long);
values this version cannot read; clears (this process at once, Redis and the
others in the background, never the old value back from Redis meanwhile);
stale copies from Redis when the API fails; refresh-ahead; metrics and their
Prometheus export. Separate interpreters are in `test_client_processes.py`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from bot.plans import CoachPlanClient, SyncCoachPlanClient
from bot.plans.prometheus import REDIS_COUNTERS, registry_for
from bot.plans.shared import PLAN_CODEC, Answer, Found
from tests.conftest import NOW, TODAY, FakeTime
from tests.contract_server import ContractServer

from .helpers import make_plan, subscribed, tier_of, until
from .server import RedisServer

MakeClient = Callable[..., CoachPlanClient]
KEY = ("d", TODAY)


def fresh_key(client: CoachPlanClient, key: tuple[str, str] = KEY) -> str:
    return tier_of(client).keys.redis_key("fresh", key)


async def test_a_plan_one_client_fetched_is_a_redis_hit_for_another(
    plan_server: ContractServer, make_shared_client: MakeClient
) -> None:
    plan_server.add_plan("d", TODAY, "Long NVDA over 950.")
    a, b = make_shared_client(), await subscribed(make_shared_client())
    first = await a.fetch_coach_plan("d", TODAY)
    before = b.get_metrics()["redis"]["commands"]  # subscribing, loading the scripts
    second = await b.fetch_coach_plan("d", TODAY)
    assert first.plan == second.plan == "Long NVDA over 950."
    assert not first.from_cache and second.from_cache and not second.stale
    assert second.fetched_at == first.fetched_at  # the answer as fetched, not re-dated
    assert plan_server.requests_to("plan") == 1
    redis = b.get_metrics()["redis"]
    assert (redis["hits"], redis["misses"], redis["commands"] - before) == (1, 0, 1)  # a GET
    assert (await b.fetch_coach_plan("d", TODAY)).from_cache  # now a process-cache hit
    assert b.get_metrics()["redis"]["commands"] - before == 1


async def test_what_comes_from_redis_is_kept_no_longer_than_redis_keeps_it(
    plan_server: ContractServer,
    make_shared_client: MakeClient,
    fake_time: FakeTime,
    redis_server: RedisServer,
) -> None:
    """The process cache takes the shorter of Redis's time left and its own TTL."""
    plan_server.add_plan("d", TODAY)
    a, b = make_shared_client(), make_shared_client()
    answer = Answer(make_plan("d", TODAY, "Stored by another process"), 30.0, 600.0)
    assert await tier_of(a).put([(KEY, answer)], PLAN_CODEC, generation=0)
    assert (await b.fetch_coach_plan("d", TODAY)).plan == "Stored by another process"
    fake_time.advance(29)
    assert (await b.fetch_coach_plan("d", TODAY)).plan == "Stored by another process"
    fake_time.advance(2)  # past Redis's 30 s, well within the client's own hour
    with redis_server.client() as client:
        client.delete(fresh_key(a))  # as its expiry would (no news to the processes)
    assert (await b.fetch_coach_plan("d", TODAY)).plan != "Stored by another process"
    assert plan_server.requests_to("plan") == 1


async def test_a_day_fetched_whole_fills_every_coach_for_the_others(
    plan_server: ContractServer, make_shared_client: MakeClient
) -> None:
    """/plans in one process, then /plan d and /plans in another: no more requests."""
    plan_server.add_plan("d", TODAY, "Day plan.")
    a, b = make_shared_client(), make_shared_client()
    everyone = await a.fetch_all_coach_plans(TODAY)
    assert set(everyone) == {"d"}
    one = await b.fetch_coach_plan("d", TODAY)
    nobody = await b.fetch_coach_plan("s", TODAY)  # "no plan", stored for the coach too
    again = await b.fetch_all_coach_plans(TODAY)
    assert one.plan == "Day plan." and one.from_cache and not nobody.found
    assert set(again) == {"d"} and again["d"].from_cache
    assert plan_server.requests_to("plan") + plan_server.requests_to("all") == 1


@pytest.mark.parametrize(
    "store",
    [
        lambda c, k: c.set(k, b"\x80\x04\x95 a pickle, never loaded"),
        lambda c, k: c.set(k, b'{"v":"plan/1/00000000","d":{}}'),  # an older version
        lambda c, k: c.set(k, b'{"v":"plan/2/00000000","x":0,"d":{}}'),  # another model
        lambda c, k: c.hset(k, "a", "b"),  # another type of key
    ],
)
async def test_a_value_this_version_cannot_read_is_a_miss_then_overwritten(
    plan_server: ContractServer,
    make_shared_client: MakeClient,
    redis_server: RedisServer,
    store: Callable[..., Any],
) -> None:
    plan_server.add_plan("d", TODAY)
    a, b = make_shared_client(), make_shared_client()
    with redis_server.client() as client:
        store(client, fresh_key(a))
    plan = await a.fetch_coach_plan("d", TODAY)
    assert plan.found and not plan.from_cache and plan_server.requests_to("plan") == 1
    assert a.get_metrics()["redis"]["decode_failures"] == 1
    assert (await b.fetch_coach_plan("d", TODAY)).from_cache  # overwritten: a hit
    assert plan_server.requests_to("plan") == 1


async def test_a_clear_keeps_this_process_off_the_old_value_until_redis_dropped_it(
    plan_server: ContractServer, make_shared_client: MakeClient, redis_server: RedisServer
) -> None:
    """clear_cache returns at once; a call right after it must not get the old plan
    back from Redis, whose clear is still on its way."""
    plan_server.add_plan("d", TODAY, "Old plan.")
    a, b = make_shared_client(), make_shared_client()
    await a.fetch_coach_plan("d", TODAY)
    plan_server.add_plan("d", TODAY, "New plan.")
    assert b.clear_cache("d") == 0  # b had nothing of its own; Redis's clear is under way
    assert (await b.fetch_coach_plan("d", TODAY)).plan == "New plan."
    await b.close()  # waits for the shared clear
    with redis_server.client() as client:
        assert not client.exists(fresh_key(a))  # the load during the clear stored nothing


async def test_a_clear_everywhere_counts_keys_dropped_and_reaches_the_others(
    plan_server: ContractServer, make_shared_client: MakeClient
) -> None:
    plan_server.add_plan("d", TODAY)
    a = await subscribed(make_shared_client())
    b = await subscribed(make_shared_client())
    await a.fetch_all_coach_plans(TODAY)  # Redis: the /all and 4 coaches; a: the same
    await b.fetch_coach_plan("d", TODAY)
    assert await a.clear_cache_everywhere(coach="d") == 2 + 2  # d and /all, here and there
    await until(lambda: b.get_metrics()["redis"]["invalidations_received"] == 1)
    assert b.get_metrics()["cache"]["size"] == 0
    assert not (await b.fetch_coach_plan("d", TODAY)).from_cache  # to the API
    assert (await a.fetch_coach_plan("s", TODAY)).from_cache  # another coach stays
    assert a.get_metrics()["redis"]["invalidations"] == 1
    assert b.get_metrics()["redis"]["invalidations"] == 1


async def test_a_load_begun_before_a_clear_does_not_write_back(
    plan_server: ContractServer, make_shared_client: MakeClient
) -> None:
    """Its caller gets the answer; Redis keeps nothing, so the other client asks again."""
    plan_server.add_plan("d", TODAY)
    plan_server.fail("held", endpoint="plan")
    a, b = make_shared_client(), make_shared_client()
    loading = asyncio.ensure_future(a.fetch_coach_plan("d", TODAY))
    await plan_server.in_flight_at_least(1)
    await b.clear_cache_everywhere()
    plan_server.release()
    assert (await loading).found
    assert not (await b.fetch_coach_plan("d", TODAY)).from_cache
    assert plan_server.requests_to("plan") == 2
    assert a.get_metrics()["redis"]["puts_refused"] == 1


async def test_stale_copies_in_redis_answer_when_the_api_fails(
    plan_server: ContractServer, make_shared_client: MakeClient
) -> None:
    """Another process's last good answer beats a fallback (one MGET)."""
    plan_server.add_plan("d", TODAY, "Yesterday's good answer.")
    a, b = make_shared_client(), make_shared_client(max_retries=1)
    await a.fetch_coach_plan("d", TODAY)
    await tier_of(a).clear()  # fresh copies gone, stale copies stay
    plan_server.fail("status", status=503, times=10)
    plan = await b.fetch_coach_plan("d", TODAY)
    assert plan.stale and plan.plan == "Yesterday's good answer."
    assert b.get_metrics()["redis"]["stale_hits"] == 1
    everyone = await b.fetch_all_coach_plans(TODAY)
    assert everyone["d"].stale and everyone["d"].plan == "Yesterday's good answer."


async def test_a_refresh_takes_what_another_process_refreshed(
    plan_server: ContractServer, make_shared_client: MakeClient, fake_time: FakeTime
) -> None:
    """Near its end, an entry refreshes through Redis: a value there with time to
    spare (another process refreshed it) is taken, not fetched again."""
    plan_server.add_plan("d", TODAY)
    a, b = make_shared_client(), make_shared_client()
    await a.fetch_coach_plan("d", TODAY)
    await b.fetch_coach_plan("d", TODAY)  # b's entry: the hour Redis has left
    fake_time.advance(3300)  # b's entry is in its refresh window; Redis's value is not
    await b.fetch_coach_plan("d", TODAY)
    await until(lambda: b.get_metrics()["refresh"]["in_progress"] == 0)
    assert plan_server.requests_to("plan") == 1
    assert b.get_metrics()["redis"]["hits"] == 2


async def test_a_refresh_fetches_when_redis_has_the_old_value_too(
    plan_server: ContractServer, make_shared_client: MakeClient, fake_time: FakeTime
) -> None:
    plan_server.add_plan("d", TODAY, "Newer.")
    a, b = make_shared_client(), make_shared_client()
    old = Answer(make_plan("d", TODAY, "Older."), 3600.0, 600.0)
    assert await tier_of(a).put([(KEY, old)], PLAN_CODEC, generation=0)
    await b.fetch_coach_plan("d", TODAY)
    await tier_of(a).put([(KEY, Answer(old.value, 100.0))], PLAN_CODEC, generation=0)
    fake_time.advance(3300)  # b refreshes; Redis's value has 100 s left of 3600
    await b.fetch_coach_plan("d", TODAY)
    await until(lambda: b.get_metrics()["refresh"]["in_progress"] == 0)
    assert plan_server.requests_to("plan") == 1
    stored = await tier_of(a).get(KEY, PLAN_CODEC)
    assert isinstance(stored, Found) and stored.value.plan == "Newer."


async def test_metrics_have_a_redis_section_only_with_a_redis_url(
    make_client: MakeClient, make_shared_client: MakeClient
) -> None:
    assert "redis" not in make_client().get_metrics()
    redis = make_shared_client().get_metrics()["redis"]
    for name in ("hits", "misses", "errors", "lock_waits", "invalidations"):
        assert redis[name] == 0, name
    assert {"available", "listening", "commands", "clears_in_flight"} <= set(redis)


async def test_prometheus_exports_the_redis_counters_as_get_metrics_has_them(
    plan_server: ContractServer, make_shared_client: MakeClient, redis_server: RedisServer
) -> None:
    plan_server.add_plan("d", TODAY)
    a, b = make_shared_client(), make_shared_client()
    await a.fetch_coach_plan("d", TODAY)
    await b.fetch_coach_plan("d", TODAY)  # a hit
    await b.fetch_coach_plan("s", TODAY)  # a miss
    with redis_server.client() as client:
        client.set(fresh_key(b, ("i", TODAY)), b"garbage")
    await b.fetch_coach_plan("i", TODAY)  # a value it cannot read
    await b.clear_cache_everywhere("n")  # an invalidation
    metrics = b.get_metrics()["redis"]
    text = generate_latest(registry_for(b.get_metrics, process="bot-1")).decode()
    samples = {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith("coachplans_redis_")
    }
    assert {name for name, _ in REDIS_COUNTERS} <= set(metrics)
    for name, _ in REDIS_COUNTERS:
        assert samples[f"coachplans_redis_{name}_total"] == metrics[name], name
    assert metrics["hits"] == 1 and metrics["misses"] == 2 and metrics["invalidations"] == 1
    assert metrics["decode_failures"] == 1 and metrics["commands"] > 0


async def test_redis_stopped_mid_run_then_restarted_is_never_the_callers_problem(
    plan_server: ContractServer,
    make_shared_client: MakeClient,
    fake_time: FakeTime,
    redis_server: RedisServer,
) -> None:
    """No exception escapes; answers go on from the process cache and the API; once Redis
    is back (and the back-off over), the tier comes back by itself."""
    for coach in ("d", "s", "i", "n"):
        plan_server.add_plan(coach, TODAY, f"Plan of {coach}.")
    a = await subscribed(make_shared_client())
    b = await subscribed(make_shared_client())
    await a.fetch_coach_plan("d", TODAY)
    redis_server.kill()
    assert (await a.fetch_coach_plan("d", TODAY)).from_cache  # the process cache
    assert (await a.fetch_coach_plan("s", TODAY)).plan == "Plan of s."  # the API
    assert (await b.fetch_coach_plan("d", TODAY)).plan == "Plan of d."  # the API
    assert (await b.fetch_all_coach_plans(TODAY))["i"].plan == "Plan of i."
    assert b.get_metrics()["redis"]["errors"] >= 1 and not b.get_metrics()["redis"]["available"]

    redis_server.start()
    fake_time.advance(60)  # the back-off is over
    await until(lambda: all(c.get_metrics()["redis"]["listening"] for c in (a, b)))
    assert not (await a.fetch_coach_plan("n", "2024-11-07")).from_cache  # stored in Redis
    assert (await b.fetch_coach_plan("n", "2024-11-07")).from_cache  # a Redis hit
    assert b.get_metrics()["redis"]["reconnects"] == 1


def test_the_blocking_facade_returns_from_a_clear_once_redis_dropped_the_keys(
    threaded_plan_server: ContractServer, redis_server: RedisServer, prefix: str
) -> None:
    """A script's next line may rely on the clear having reached Redis."""
    threaded_plan_server.add_plan("d", TODAY)
    with SyncCoachPlanClient(
        threaded_plan_server.url,
        redis_url=redis_server.url,
        redis_prefix=prefix,
        redis_timeout_seconds=2.0,
        now=lambda: NOW,
    ) as client:
        client.fetch_coach_plan("d", TODAY)
        stored = f"{prefix}:v1:fresh:d:{TODAY}"
        with redis_server.client() as redis:
            assert redis.exists(stored)
            assert client.clear_cache("d") == 1  # its own entry, as without Redis
            assert not redis.exists(stored)
        client.fetch_coach_plan("d", TODAY)
        assert client.clear_cache_everywhere() == 2  # Redis's copy and its own


def test_a_clear_outside_the_event_loop_clears_this_process_and_says_so(
    redis_server: RedisServer, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The seed's clear_cache is synchronous: with no loop to reach Redis from, it still
    clears this process, and a WARNING says the others were not told."""
    client = CoachPlanClient(redis_url=redis_server.url, redis_prefix=prefix)
    assert client.clear_cache() == 0
    assert "this process only" in caplog.text
    asyncio.run(client.close())
