"""The per-user sliding window, on a clock we move by hand.

Categories: the window's behaviour; its cost, counted in sweeps rather than
timed (a sweep at most once per window, however many users); its memory
(idle users forgotten, a hard cap).
"""

from __future__ import annotations

import itertools

import pytest

from cogs.ratelimit import RateLimiter


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


def count_sweeps(limiter: RateLimiter) -> list[float]:
    """Record the clock reading of every sweep the limiter runs."""
    sweeps: list[float] = []
    sweep = limiter._sweep

    def counted(now: float) -> None:
        sweeps.append(now)
        sweep(now)

    limiter._sweep = counted  # type: ignore[method-assign]
    return sweeps


def test_the_sweep_runs_at_most_once_per_window_with_40000_users() -> None:
    """40,000 users in one window once cost a scan of every user on every call."""
    clock = Clock()
    limiter = RateLimiter(5, 30, clock=clock)
    sweeps = count_sweeps(limiter)

    for user in range(40_000):
        clock.t += 0.0005  # all 40,000 within 20 s, one window
        assert limiter.hit(user) == 0

    assert len(sweeps) == 1
    assert len(limiter) == 40_000


def test_sweeps_stay_once_per_window_over_a_long_busy_run() -> None:
    clock = Clock()
    limiter = RateLimiter(2, 10, clock=clock)
    sweeps = count_sweeps(limiter)
    start = clock.t

    for n in range(60_000):
        clock.t += 0.001  # 60 s: six windows, 1,000 calls a second
        limiter.hit(n % 7_000)

    assert len(sweeps) <= (clock.t - start) / 10 + 1
    assert all(b - a >= 10 for a, b in itertools.pairwise(sweeps))


def test_memory_returns_to_bounded_after_the_window_passes() -> None:
    """Users whose window is empty are forgotten, however few there are."""
    clock = Clock()
    limiter = RateLimiter(1, 30, clock=clock)
    for user in range(5_000):
        limiter.hit(user)
    assert len(limiter) == 5_000

    clock.t += 31
    limiter.hit("newcomer")

    assert len(limiter) == 1


def test_users_seen_in_the_last_two_windows_are_the_most_ever_kept() -> None:
    """A steady stream of new users never piles up: memory follows the window, not history."""
    clock = Clock()
    limiter = RateLimiter(1, 10, clock=clock)
    most = 0
    for user in range(100_000):
        clock.t += 0.001  # 100 s of a new user every millisecond
        limiter.hit(user)
        most = max(most, len(limiter))

    assert most <= 2 * 10 / 0.001 + 1
    clock.t += 11
    limiter.hit("later")
    assert len(limiter) == 1


def test_a_sweep_never_forgets_a_limited_user() -> None:
    """Forgetting only users with an empty window keeps the sliding window exact."""
    clock = Clock()
    limiter = RateLimiter(1, 30, clock=clock)
    sweeps = count_sweeps(limiter)
    limiter.hit("bob")  # t=100
    clock.t = 110.0
    limiter.hit("alice")

    clock.t = 131.0  # bob's window is empty, alice's is not
    limiter.hit("carol")

    assert sweeps[-1] == 131.0
    assert len(limiter) == 2
    assert limiter.hit("alice") == pytest.approx(9)


def test_the_hard_cap_forgets_the_least_recently_seen_user() -> None:
    clock = Clock()
    limiter = RateLimiter(1, 30, clock=clock, max_users=100)
    for user in range(150):
        clock.t += 0.01
        limiter.hit(user)

    assert len(limiter) == 100
    assert limiter.hit(149) > 0  # still tracked, still limited
    assert limiter.hit(0) == 0  # forgotten: let in early, never locked out


def test_bad_limits_fail_at_construction() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0, 30)
    with pytest.raises(ValueError):
        RateLimiter(1, 0)
    with pytest.raises(ValueError):
        RateLimiter(1, 30, max_users=0)
