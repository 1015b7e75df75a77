"""Pub/sub messages and the waiters they wake: the channels are shared, so trust nothing.

Categories: round trips; garbage ignored; a waiter keeps an answer published
before it knew its holder, and ignores other holders' answers.
"""

from __future__ import annotations

import pytest

from bot.plans.shared.keyspace import Invalidation
from bot.plans.shared.messages import (
    BreakerNews,
    ClearNews,
    Done,
    parse_breaker,
    parse_clear,
    parse_done,
)
from bot.plans.shared.waiters import LOOK_AGAIN, Waiters


def test_messages_round_trip() -> None:
    done = Done("ab:2024-11-08", "tok", "ok", 60000, "", b'{"v":"x","d":"a\nb"}')
    assert parse_done(done.encode()) == done
    assert parse_done(Done("n", "t", "failed", detail="timeout").encode()) == Done(
        "n", "t", "failed", detail="timeout"
    )
    news = ClearNews("me", Invalidation("ab", None), 7)
    assert parse_clear(news.encode()) == news
    assert parse_breaker(BreakerNews("me", 30000).encode()) == BreakerNews("me", 30000)


@pytest.mark.parametrize(
    "data", [b"", b"junk", b"a\nb\nc\nd\ne\nf", b"n\nt\nok\n-1\n\nv", b"\xff\n\n\n"]
)
def test_garbage_done_is_ignored(data: bytes) -> None:
    assert parse_done(data) is None


@pytest.mark.parametrize(
    "data",
    [b"", b"[]", b"{}", b'{"o": 1, "g": 2}', b'{"o": "x", "g": "2"}', b'{"o": "x", "g": 1, "c": 5}',
     b"[" * 50000],
)  # fmt: skip
def test_garbage_clears_are_ignored(data: bytes) -> None:
    assert parse_clear(data) is None


@pytest.mark.parametrize(
    "data", [b"", b'{"o": "x"}', b'{"o": "x", "ms": -1}', b'{"o": "x", "ms": 1.5}']
)
def test_garbage_breaker_news_is_ignored(data: bytes) -> None:
    assert parse_breaker(data) is None


async def test_an_answer_published_before_the_lookup_returned_is_kept() -> None:
    """No lost wake-up: the holder may publish between our lookup and our wait."""
    waiters = Waiters()
    waiter = waiters.register("k")
    answer = Done("k", "holder", "ok", 1000, "", b"v")
    waiters.dispatch(answer)
    assert not waiter.future.done()
    waiter.expect("holder")
    assert waiter.future.result() is answer


async def test_other_holders_answers_are_ignored() -> None:
    """An answer from a holder that began before a clear is not ours to take."""
    waiters = Waiters()
    waiter = waiters.register("k")
    waiter.expect("new-holder")
    waiters.dispatch(Done("k", "old-holder", "ok", 1000, "", b"old"))
    waiters.dispatch(Done("other", "new-holder", "ok", 1000, "", b"other key"))
    assert not waiter.future.done()
    waiters.wake_all()
    assert waiter.future.result() is LOOK_AGAIN
    waiters.unregister(waiter)
    assert len(waiters) == 0
