"""One breaker for all: a process that opens it opens it for every process, new ones included."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.plans.shared.tier import RedisTier

from .helpers import listening, until

MakeTier = Callable[..., RedisTier]


async def test_an_opened_breaker_reaches_the_others_at_once(make_tier: MakeTier) -> None:
    heard: dict[str, list[float]] = {"a": [], "b": []}
    a = await listening(make_tier(on_breaker=heard["a"].append))
    b = await listening(make_tier(on_breaker=heard["b"].append))
    assert await a.open_breaker(30.0)
    await until(lambda: len(heard["b"]) == 1)
    assert heard["a"] == [] and heard["b"] == [30.0]
    left = await b.breaker_open_for()
    assert left is not None and 25.0 < left <= 30.0
    assert await a.close_breaker()
    await until(lambda: len(heard["b"]) == 2)
    assert heard["b"][1] == 0.0 and await b.breaker_open_for() == 0.0


async def test_a_process_started_later_reads_the_open_breaker(make_tier: MakeTier) -> None:
    a = await listening(make_tier())
    assert await a.open_breaker(30.0)
    heard: list[float] = []
    late = await listening(make_tier(on_breaker=heard.append))
    await until(lambda: len(heard) == 1)
    assert 25.0 < heard[0] <= 30.0
    assert late.stats.breaker_news_received == 1


async def test_one_process_claims_the_half_open_probe(make_tier: MakeTier) -> None:
    """After the cooldown, one probe for all processes, not one each."""
    a, b = make_tier(), make_tier()
    assert await a.claim_probe(5.0)
    assert not await b.claim_probe(5.0)
    assert not await a.claim_probe(5.0)


@pytest.mark.parametrize("seconds", [0.0004, 1e-9])
async def test_a_tiny_opening_still_opens(make_tier: MakeTier, seconds: float) -> None:
    tier = make_tier()
    assert await tier.open_breaker(seconds)
    assert tier.stats.breaker_opens_sent == 1
