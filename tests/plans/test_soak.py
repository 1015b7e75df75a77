"""Soak: thousands of mixed calls from 50 tasks against ~20 % injected faults of every kind.

Invariants: no exception escapes the seed's methods, the cache never exceeds its
maximum, requests in flight never exceed max_concurrency, and every answer is
one of fresh, cached, stale, no plan or a fallback. The counts are printed.
The CI run makes 5,000 calls; `-m slow` runs a 20,000-call version.

It runs on its own event loop, a `VirtualTimeLoop`: the loop's clock stands
still while any task can run and jumps to the next timer when all wait. So the
client's 0.05 s timeout ends hangs and trickles at no real cost, yet never an
answer that is merely slow because the machine is busy (on real time, a loaded
machine turned every call into a timeout). TTLs and the breaker's cooldown run
on the fake clock, moved by the test.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest

from bot.plans import CoachPlanClient
from tests.conftest import FakeTime
from tests.contract_server import ContractServer, Fault
from tests.loop_time import VirtualTimeLoop
from tests.plans.test_fault_matrix import kind_of

FAULTS = [
    Fault("hang"),
    Fault("trickle", interval=0.05),
    Fault("status", status=500),
    Fault("status", status=502, html=True),
    Fault("status", status=503),
    Fault("status", status=503, retry_after="1"),
    Fault("status", status=429, retry_after="2"),
    Fault("invalid_json"),
    Fault("html"),
    Fault("huge", size=2 * 1024 * 1024),
    Fault("wrong_types"),
    Fault("error_200"),
    Fault("cut"),
    Fault("status", status=400),
    Fault("not_found_404"),
    Fault("delay", seconds=0.01),
]
KINDS = {"fresh", "cached", "stale", "no plan", "fallback"}


def soak(fake_time: FakeTime, calls: int) -> Counter[str]:
    """Run the soak on a VirtualTimeLoop of its own; the answers by kind."""
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        return runner.run(_soak(fake_time, calls))


async def _soak(fake_time: FakeTime, calls: int) -> Counter[str]:
    plan_server = ContractServer()
    await plan_server.start()
    try:
        return await _calls(plan_server, fake_time, calls)
    finally:
        await plan_server.stop()


async def _calls(plan_server: ContractServer, fake_time: FakeTime, calls: int) -> Counter[str]:
    days = [f"2024-{m:02d}-{d:02d}" for m in range(1, 3) for d in range(1, 26)]  # 50 days
    for coach in "dis":
        for day in days[::2]:
            plan_server.add_plan(coach, day, f"{coach} {day}")
    plan_server.chaos(0.2, FAULTS, seed=7)
    client = CoachPlanClient(
        plan_server.url,
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        now=fake_time.now,
        timeout=0.05,
        max_cache_size=100,
        max_concurrency=10,
        breaker_failures=4,  # failures no longer bunch up on a busy machine: 4 still opens it
        breaker_cooldown_seconds=0.5,
        cache_ttl_seconds=2,
        not_found_ttl_seconds=1,
        past_ttl_seconds=3,
    )
    answers: Counter[str] = Counter()
    rng = random.Random(1)
    max_size = 0

    async def worker(n: int) -> None:
        nonlocal max_size
        for i in range(calls // 50):
            coach = rng.choice("dins")
            day = rng.choice(days)
            if i % 10 == 9:
                plans = await client.fetch_all_coach_plans(day)
                # Posted plans only, or on a failure an answer per configured coach.
                posted_only = all(p.found and not p.stale for p in plans.values())
                assert posted_only or set(plans) == set(client.coaches)
                for plan in plans.values():
                    answers[kind_of(plan)] += 1
            else:
                answers[kind_of(await client.fetch_coach_plan(coach, day))] += 1
            max_size = max(max_size, client.get_metrics()["cache"]["size"])
            if n == 0 and i % 5 == 0:
                fake_time.advance(0.1)  # TTLs and the breaker's cooldown run on it

    async with client:
        await asyncio.gather(*(worker(n) for n in range(50)))
    metrics = client.get_metrics()
    assert set(answers) <= KINDS
    assert max_size <= 100
    assert metrics["api"]["peak_in_flight"] <= 10 and plan_server.peak_in_flight <= 10
    print(
        f"\nsoak: {calls} calls, answers {dict(answers)}, faults served "
        f"{sum(plan_server.chaos_served.values())}, requests {sum(plan_server.hits.values())}, "
        f"breaker opens {metrics['breaker']['opens']}, "
        f"short-circuited {metrics['breaker']['short_circuited']}"
    )
    return answers


def test_soak_short(fake_time: FakeTime) -> None:
    """5,000 calls over 200 keys from 50 tasks: invariants hold, every answer has a kind."""
    answers = soak(fake_time, 5_000)
    assert answers["fallback"] and answers["fresh"] and answers["cached"]


@pytest.mark.slow
def test_soak_long(fake_time: FakeTime) -> None:
    """The same for 20,000 calls."""
    soak(fake_time, 20_000)
