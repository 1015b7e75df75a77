"""The per-user sliding window, on a clock we move by hand."""

from __future__ import annotations

import pytest

from cogs.ratelimit import SWEEP_AFTER_USERS, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_allows_uses_then_says_how_long_to_wait() -> None:
    clock = Clock()
    limiter = RateLimiter(2, 30, clock=clock)

    assert limiter.hit("alice") == 0
    clock.t += 10
    assert limiter.hit("alice") == 0
    clock.t += 5
    assert limiter.hit("alice") == pytest.approx(15)


def test_a_refused_call_does_not_extend_the_wait() -> None:
    """Hammering while limited must not lock a user out for longer."""
    clock = Clock()
    limiter = RateLimiter(1, 30, clock=clock)
    limiter.hit("alice")
    for _ in range(5):
        clock.t += 5
        limiter.hit("alice")
    clock.t = 130.0
    assert limiter.hit("alice") == 0


def test_users_are_counted_separately() -> None:
    limiter = RateLimiter(1, 30, clock=Clock())
    assert limiter.hit("alice") == 0
    assert limiter.hit("bob") == 0
    assert limiter.hit("alice") > 0


def test_the_window_slides() -> None:
    clock = Clock()
    limiter = RateLimiter(2, 30, clock=clock)
    limiter.hit("alice")
    clock.t += 20
    limiter.hit("alice")
    clock.t += 10  # the first use leaves the window
    assert limiter.hit("alice") == 0
    assert limiter.hit("alice") == pytest.approx(20)  # until the second use leaves


def test_idle_users_are_swept_so_memory_stays_bounded() -> None:
    clock = Clock()
    limiter = RateLimiter(1, 30, clock=clock)
    for user in range(SWEEP_AFTER_USERS):
        limiter.hit(user)
    clock.t += 31
    limiter.hit("newcomer")
    assert len(limiter._hits) == 1


def test_bad_limits_fail_at_construction() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0, 30)
    with pytest.raises(ValueError):
        RateLimiter(1, 0)
