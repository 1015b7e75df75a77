"""A circuit breaker, so a dead API costs callers nothing after the first few tries.

Closed: requests pass and consecutive failures are counted. After
`failures` in a row it opens: requests are refused at once for `cooldown`
seconds. Then it is half-open: exactly one probe passes; its success closes
the breaker, its failure opens it for another cooldown. Only failures of the
API itself count (connection, timeout, 5xx, 429, malformed answers): a 4xx or
a "no plan" answer says the API is up.

Processes that share a Redis tier share the breaker too: `on_open` and
`on_close` tell the others when this breaker opens or closes by itself, and
`force_open`/`force_close` apply what another process's breaker did, without
calling the hooks back (which would echo the news forever).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal, final

BreakerState = Literal["closed", "open", "half_open"]


def _nothing(*_: Any) -> None:
    return None


@final
class CircuitBreaker:
    def __init__(
        self, *, failures: int, cooldown: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if failures < 1 or cooldown < 0:
            raise ValueError("breaker_failures must be >= 1 and breaker_cooldown_seconds >= 0")
        self._threshold = failures
        self._cooldown = cooldown
        self._clock = clock
        self._state: BreakerState = "closed"
        self._consecutive = 0
        self._open_until = 0.0
        self._probe_out = False
        self.opens = 0
        self.short_circuited = 0
        #: Called with the cooldown when this breaker opens by itself, and when it closes.
        self.on_open: Callable[[float], None] = _nothing
        self.on_close: Callable[[], None] = _nothing

    @property
    def cooldown(self) -> float:
        return self._cooldown

    @property
    def state(self) -> BreakerState:
        if self._state == "open" and self._clock() >= self._open_until:
            return "half_open"
        return self._state

    @property
    def consecutive_failures(self) -> int:
        return self._consecutive

    def snapshot(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "opens": self.opens,
            "short_circuited": self.short_circuited,
            "consecutive_failures": self._consecutive,
        }

    def allow(self) -> bool:
        """May a request go upstream now? Counts the refusals."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._probe_out:
            self._state = "half_open"
            self._probe_out = True
            return True
        self.short_circuited += 1
        return False

    def record_success(self) -> None:
        was = self._state
        self._state = "closed"
        self._consecutive = 0
        self._probe_out = False
        if was != "closed":
            self.on_close()

    def record_failure(self) -> None:
        self._consecutive += 1
        if self._state == "half_open" or self._consecutive >= self._threshold:
            opening = self._state != "open"
            if opening:
                self.opens += 1
            self._state = "open"
            self._open_until = self._clock() + self._cooldown
            self._probe_out = False
            if opening:  # not for the late failures of requests sent before it opened
                self.on_open(self._cooldown)

    def force_open(self, seconds: float) -> None:
        """Open for `seconds` from now (another process's breaker opened), or longer if
        already open; calls no hook."""
        until = self._clock() + seconds
        if self._state != "open" or until > self._open_until:
            self._open_until = until
        self._state = "open"
        self._probe_out = False

    def force_close(self) -> None:
        """Close (another process's probe succeeded); calls no hook."""
        self._state = "closed"
        self._consecutive = 0
        self._probe_out = False

    def release_probe(self) -> None:
        """A probe ended without telling us anything (cancelled): let another one try."""
        self._probe_out = False
