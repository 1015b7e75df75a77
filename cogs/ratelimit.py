"""Per-user rate limit for the commands that may reach the plan API.

A sliding window: at most `uses` calls in any `per_seconds`. It is checked
before the reply is deferred, so a user past the limit gets an ephemeral
"try again in N s" and the API never hears about it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import Final, final

#: Past this many tracked users, idle ones are swept so memory stays bounded.
SWEEP_AFTER_USERS: Final = 10_000


def _monotonic() -> float:
    # Looked up on each call, not bound at import, so a patched clock (SimCord's) applies.
    return time.monotonic()


@final
class RateLimiter:
    """At most `uses` hits per key in any window of `per_seconds`."""

    def __init__(
        self, uses: int, per_seconds: float, *, clock: Callable[[], float] = _monotonic
    ) -> None:
        if uses < 1 or per_seconds <= 0:
            raise ValueError("uses must be at least 1 and per_seconds positive")
        self.uses = uses
        self.per_seconds = per_seconds
        self._clock = clock
        self._hits: dict[Hashable, deque[float]] = {}

    def hit(self, key: Hashable) -> float:
        """Record a use and return 0, or return the seconds to wait (recording nothing)."""
        now = self._clock()
        window = self._hits.get(key)
        if window is None:
            if len(self._hits) >= SWEEP_AFTER_USERS:
                self._sweep(now)
            window = self._hits[key] = deque()
        while window and window[0] <= now - self.per_seconds:
            window.popleft()
        if len(window) >= self.uses:
            return window[0] + self.per_seconds - now
        window.append(now)
        return 0.0

    def reset(self, key: Hashable | None = None) -> None:
        if key is None:
            self._hits.clear()
        else:
            self._hits.pop(key, None)

    def _sweep(self, now: float) -> None:
        idle = [k for k, w in self._hits.items() if not w or w[-1] <= now - self.per_seconds]
        for key in idle:
            del self._hits[key]
