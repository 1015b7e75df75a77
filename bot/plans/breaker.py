"""A circuit breaker, so a dead API costs callers nothing after the first few tries.

Closed: requests pass and consecutive failures are counted. After
`failures` in a row it opens: requests are refused at once for `cooldown`
seconds. Then it is half-open: exactly one probe passes; its success closes
the breaker, its failure opens it for another cooldown. Only failures of the
API itself count (connection, timeout, 5xx, 429, malformed answers): a 4xx or
a "no plan" answer says the API is up.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal, final

BreakerState = Literal["closed", "open", "half_open"]


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
        self._opened_at = 0.0
        self._probe_out = False
        self.opens = 0
        self.short_circuited = 0

    @property
    def state(self) -> BreakerState:
        if self._state == "open" and self._clock() - self._opened_at >= self._cooldown:
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
        self._state = "closed"
        self._consecutive = 0
        self._probe_out = False

    def record_failure(self) -> None:
        self._consecutive += 1
        if self._state == "half_open" or self._consecutive >= self._threshold:
            if self._state != "open":
                self.opens += 1
            self._state = "open"
            self._opened_at = self._clock()
            self._probe_out = False

    def release_probe(self) -> None:
        """A probe ended without telling us anything (cancelled): let another one try."""
        self._probe_out = False
