"""Per-user rate limit for the commands that may reach the plan API.

A sliding window: at most `uses` calls in any `per_seconds`. It is checked
before the reply is deferred, so a user past the limit gets an ephemeral
"try again in N s" and the API never hears about it.

Each `hit` is amortized O(1) and memory stays bounded. Users are kept in the
order of their last recorded use, so the idle ones (an empty window) are all
at the front: a sweep, run at most once per window, pops them from there and
stops at the first active user, never scanning the rest. Between sweeps a
user idle for a window still holds an entry, so at most the users active in
the last two windows are tracked, and never more than `max_users`.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from typing import Final, final

#: A hard cap on tracked users. Past it the least recently seen user is forgotten,
#: which only ever lets that user in early: the limiter fails open, never shut.
MAX_TRACKED_USERS: Final = 100_000


def _monotonic() -> float:
    # Looked up on each call, not bound at import, so a patched clock (SimCord's) applies.
    return time.monotonic()


@final
class RateLimiter:
    """At most `uses` hits per key in any window of `per_seconds`."""

    def __init__(
        self,
        uses: int,
        per_seconds: float,
        *,
        clock: Callable[[], float] = _monotonic,
        max_users: int = MAX_TRACKED_USERS,
    ) -> None:
        if uses < 1 or per_seconds <= 0:
            raise ValueError("uses must be at least 1 and per_seconds positive")
        if max_users < 1:
            raise ValueError("max_users must be at least 1")
        self.uses = uses
        self.per_seconds = per_seconds
        self.max_users = max_users
        self._clock = clock
        # Ordered by each user's last recorded use: the clock is monotonic, so
        # appending to a window and moving its user to the end keeps the order.
        self._hits: OrderedDict[Hashable, deque[float]] = OrderedDict()
        self._next_sweep = -math.inf

    def __len__(self) -> int:
        """How many users are tracked (idle ones linger until the next sweep)."""
        return len(self._hits)

    def hit(self, key: Hashable) -> float:
        """Record a use and return 0, or return the seconds to wait (recording nothing)."""
        now = self._clock()
        if now >= self._next_sweep:
            self._sweep(now)
        window = self._hits.get(key)
        if window is None:
            if len(self._hits) >= self.max_users:
                self._hits.popitem(last=False)
            window = self._hits[key] = deque()
        while window and window[0] <= now - self.per_seconds:
            window.popleft()
        if len(window) >= self.uses:
            return window[0] + self.per_seconds - now
        window.append(now)
        self._hits.move_to_end(key)
        return 0.0

    def reset(self, key: Hashable | None = None) -> None:
        if key is None:
            self._hits.clear()
        else:
            self._hits.pop(key, None)

    def _sweep(self, now: float) -> None:
        """Forget the users whose window is empty; the cost is the number forgotten."""
        self._next_sweep = now + self.per_seconds
        horizon = now - self.per_seconds
        while self._hits:
            key, window = next(iter(self._hits.items()))
            if window and window[-1] > horizon:
                break
            del self._hits[key]
