"""The circuit breaker on its own, on an injected clock."""

from __future__ import annotations

import pytest

from bot.plans.breaker import CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def state(breaker: CircuitBreaker) -> str:
    """Read as a plain str: mypy would narrow the Literal across calls that change it."""
    return breaker.state


def test_opens_after_consecutive_failures_only() -> None:
    """A success in between resets the count: only failures in a row open it."""
    breaker = CircuitBreaker(failures=3, cooldown=10, clock=Clock())
    for _ in range(2):
        breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()
    assert state(breaker) == "closed" and breaker.allow()
    breaker.record_failure()
    assert state(breaker) == "open" and not breaker.allow()
    assert breaker.snapshot() == {
        "state": "open", "opens": 1, "short_circuited": 1, "consecutive_failures": 3,
    }  # fmt: skip


def test_half_open_lets_exactly_one_probe_through() -> None:
    """After the cooldown one caller probes; the others are still refused until it ends."""
    clock = Clock()
    breaker = CircuitBreaker(failures=1, cooldown=10, clock=clock)
    breaker.record_failure()
    clock.t = 10
    assert state(breaker) == "half_open"
    assert breaker.allow() and not breaker.allow()
    breaker.record_failure()  # the probe failed: open for another cooldown
    assert state(breaker) == "open" and breaker.opens == 2
    clock.t = 20
    assert breaker.allow()
    breaker.release_probe()  # the probe was cancelled: it told us nothing
    assert breaker.allow()
    breaker.record_success()
    assert state(breaker) == "closed" and breaker.consecutive_failures == 0


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="breaker_failures"):
        CircuitBreaker(failures=0, cooldown=1)


def test_it_tells_its_hooks_when_it_opens_and_closes_by_itself() -> None:
    """What the shared tier passes on to the other processes: once per change."""
    clock, heard = Clock(), []
    breaker = CircuitBreaker(failures=2, cooldown=10, clock=clock)
    breaker.on_open = lambda seconds: heard.append(f"open {seconds:g}")
    breaker.on_close = lambda: heard.append("close")
    for _ in range(4):  # late failures of requests sent before it opened: no news
        breaker.record_failure()
    breaker.record_success()
    breaker.record_success()
    assert heard == ["open 10", "close"]


def test_another_process_can_open_and_close_it_without_an_echo() -> None:
    """`force_open` and `force_close` apply news; they call no hook back."""
    clock, heard = Clock(), []
    breaker = CircuitBreaker(failures=5, cooldown=30, clock=clock)
    breaker.on_open = lambda seconds: heard.append("open")
    breaker.on_close = lambda: heard.append("close")
    breaker.force_open(12.5)
    assert state(breaker) == "open" and not breaker.allow()
    breaker.force_open(1.0)  # an older, shorter opening does not cut ours short
    clock.t = 12.5
    assert state(breaker) == "half_open" and breaker.allow()  # one probe, here too
    breaker.force_close()
    assert state(breaker) == "closed" and breaker.allow()
    assert heard == [] and breaker.opens == 0
