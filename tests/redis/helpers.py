"""Small builders for the tier tests: plans, and an "upstream" fetch that counts and obeys."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from bot.plans import CoachPlanClient
from bot.plans.models import CoachPlan, PlanUnavailable
from bot.plans.shared import Answer
from bot.plans.shared.tier import RedisTier

DAY = "2024-11-08"
KEY = ("ab", DAY)


def make_plan(coach: str = "ab", day: str = DAY, text: str = "Buy the dip") -> CoachPlan:
    return CoachPlan(
        coach=coach,
        day=dt.date.fromisoformat(day),
        plan=text,
        author="Coach",
        found=True,
        fetched_at=dt.datetime(2024, 11, 8, 15, tzinfo=dt.UTC),
    )


class Upstream:
    """A fetch for `RedisTier.load`: counts calls, and can wait for a gate or fail."""

    def __init__(self, *, ttl_seconds: float = 60.0, stale_ttl_seconds: float = 600.0) -> None:
        self.calls = 0
        self.generations: list[int] = []
        self.gate: asyncio.Event | None = None
        self.failure: Exception | None = None
        self.ttl_seconds = ttl_seconds
        self.stale_ttl_seconds = stale_ttl_seconds
        self.started = asyncio.Event()

    def gated(self) -> Upstream:
        self.gate = asyncio.Event()
        return self

    async def __call__(self, generation: int) -> Answer[CoachPlan]:
        self.calls += 1
        self.generations.append(generation)
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.failure is not None:
            raise self.failure
        value = make_plan(text=f"answer {self.calls}")
        return Answer(value, self.ttl_seconds, self.stale_ttl_seconds)


def unavailable(category: str = "unavailable", *, by_deadline: bool = False) -> PlanUnavailable:
    return PlanUnavailable("the API failed", category=category, by_deadline=by_deadline)  # type: ignore[arg-type]


async def listening(tier: RedisTier) -> RedisTier:
    """`tier`, once subscribed: from then on no publication passes it by."""
    tier.start()
    await asyncio.wait_for(tier.listening.wait(), 30)
    return tier


async def until(condition: Callable[[], bool]) -> None:
    """Let the loop run until `condition` holds (no timer: each pass reads the sockets)."""
    async with asyncio.timeout(60):  # a safety net for a hung test, not a measurement
        while not condition():  # noqa: ASYNC110  (state of other tasks and processes)
            await asyncio.sleep(0.001)


def tier_of(client: CoachPlanClient) -> RedisTier:
    """The shared tier under a client built with a `redis_url`."""
    shared = client._shared
    assert shared is not None, "the client has no redis_url"
    return shared.tier


async def subscribed(client: CoachPlanClient) -> CoachPlanClient:
    """`client`, once its tier listens to the other processes' news."""
    await listening(tier_of(client))
    return client
