"""Answering a key: from the cache, from the one load in flight, or by starting one.

Every caller of a key that misses joins the single load of that key and waits
for it within its *own* deadline: a caller whose deadline comes first sets a
timer; one whose deadline is later needs none, because a load always ends by
the deadline of the caller that started it (1,000 joiners would otherwise arm
1,000 timers). A caller leaving never cancels the load others wait on. A hit
in the last part of its TTL starts a background refresh, which later callers
join like any other load. With a shared level (Redis), a load asks it before
the API (`tiered.SharedLevel.load`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Final, final

from .cache import Entry, Fetch, Key, Load, PlanCache
from .fetch import PlanFetcher
from .metrics import ClientStats
from .models import PlanError, PlanUnavailable
from .shared import Missed
from .tiered import SharedLevel

log = logging.getLogger(__name__)

#: What every call after (or cut short by) close() raises.
CLOSED_TEXT: Final = "this CoachPlanClient is closed"


@final
class Loads:
    def __init__(
        self,
        *,
        cache: PlanCache[Any],
        fetcher: PlanFetcher,
        stats: ClientStats,
        clock: Callable[[], float],
        deadline_at: Callable[[float | None], float],
        shared: SharedLevel | None = None,
    ) -> None:
        self._cache = cache
        self._fetcher = fetcher
        self._shared = shared
        self._stats = stats
        self._clock = clock
        self._deadline_at = deadline_at
        self.closed = False

    async def get(self, key: Key, deadline: float | None) -> Any:
        """The cached or loaded value for `key`, or the failure (returned, not raised)."""
        if self.closed:
            raise RuntimeError(CLOSED_TEXT)
        stats = self._stats
        stats.requests += 1
        entry = self._cache.hit(key)
        if entry is not None:
            stats.cache_hits += 1
            log.debug("cache hit %s", key)
            if self._clock() >= entry.refresh_at and self._cache.load_of(key) is None:
                self._start_refresh(key)
            return entry.cached
        deadline_at = self._deadline_at(deadline)
        load = self._cache.load_of(key)
        if load is None:
            stats.cache_misses += 1
            if self._shared is None:
                load = self._cache.start(
                    key, self._fetch_for(key, deadline_at), deadline_at=deadline_at
                )
            else:
                load = self._cache.begin(key, deadline_at=deadline_at)
                entry = await self._look_first(load)
                if entry is not None:
                    return entry.fresh
        else:
            stats.coalesced += 1
        try:
            if load.deadline_at <= deadline_at:
                entry = await asyncio.shield(load.task)
            else:
                async with asyncio.timeout(max(0.0, deadline_at - self._clock())):
                    entry = await asyncio.shield(load.task)
        except PlanUnavailable as exc:
            return exc
        except TimeoutError:
            stats.deadline_exceeded += 1
            return PlanUnavailable("no answer within the deadline", category="timeout")
        except asyncio.CancelledError:
            self._raise_if_closed_under_us()
            raise
        return entry.fresh

    async def _look_first(self, load: Load[Any]) -> Entry[Any] | None:
        """A `begin`-ed load's first step, in the caller's own task: one GET in the shared
        level. A hit ends the load (no task at all); otherwise a task goes on with it."""
        assert self._shared is not None
        key, deadline_at = load.key, load.deadline_at
        try:
            looked = await self._shared.look(key, load.seq)
        except BaseException:  # this caller is leaving; the load goes on for its joiners
            self._cache.hand_over(load, self._fetch_for(key, deadline_at))
            raise
        if isinstance(looked, Entry):
            self._cache.finish(load, looked)
            return looked
        self._cache.hand_over(load, self._fetch_for(key, deadline_at, after=looked))
        if self.closed:
            raise RuntimeError(CLOSED_TEXT)
        return None

    def _fetch_for(
        self, key: Key, deadline_at: float, *, refresh: bool = False, after: Missed | None = None
    ) -> Fetch[Any]:
        shared = self._shared

        async def fetch(seq: int) -> Entry[Any]:
            try:
                if shared is not None:
                    return await shared.load(key, deadline_at, seq, refresh=refresh, after=after)
                return await self._fetcher.fetch(key, deadline_at, self._cache, seq)
            except PlanUnavailable as exc:
                if exc.by_deadline:  # counted once per load, not once per caller
                    self._stats.deadline_exceeded += 1
                raise

        return fetch

    def _start_refresh(self, key: Key) -> None:
        """Refresh `key` in the background; the caller already has its answer."""
        self._stats.background_refreshes += 1
        deadline_at = self._deadline_at(None)
        fetch = self._fetch_for(key, deadline_at, refresh=True)

        async def refresh(seq: int) -> Entry[Any]:
            try:
                return await fetch(seq)
            except PlanError:
                self._stats.refresh_failures += 1
                raise

        self._cache.start(key, refresh, deadline_at=deadline_at, background=True)

    def _raise_if_closed_under_us(self) -> None:
        """A call cut short by close() says so; a caller's own cancellation stays one."""
        task = asyncio.current_task()
        if self.closed and (task is None or task.cancelling() == 0):
            raise RuntimeError(CLOSED_TEXT) from None
