"""Loading plan histories: the plan path's cache rules, on a cache of their own.

Histories are cached like plans, per (coach, day) with the same lifetimes by
session, single flight and stale copies, but in a `PlanCache` of their own:
its entries are not plans, so the plan counts (`cached_plans`, the cache
size in `get_metrics()`) and whatever else reads the plan cache never meet
them. The calls are counted with the plan calls (`requests`, hits, misses,
fallbacks), being calls of the client's fetch methods, and the upstream
requests go through the same transport: retries, deadline, breaker.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, final
from zoneinfo import ZoneInfo

from .cache import Entry, Key, PlanCache, StaleStore
from .history import PlanHistory, predates
from .models import CoachPlan, PlanError, PlanUnavailable
from .wording import plural

if TYPE_CHECKING:
    from .config import ClientConfig
    from .fetch import Freshness
    from .keys import PlanKeys
    from .metrics import ClientStats
    from .transport import Upstream

log = logging.getLogger(__name__)

HISTORY_PATH: Final = "api/coach-plans/history"


@final
class PlanHistories:
    """The client's history answers: cache, single flight, stale copies and fallbacks.

    The same rules as the plan path (`loads.py`, `fetch.py`), on a cache of its
    own: a hit answers at once; a miss starts the key's one load, which every
    later caller joins within its own deadline; a failure answers with the last
    good copy marked stale, else a fallback (strict clients raise instead).
    No refresh ahead: a history is asked for on demand, rarely.

    A history fetched from the API that is newer than the plan `plan_cache`
    holds for the same key (`predates`) calls `drop_plan(coach, day)`, the
    client's `clear_cache`: the plan, the day's /all answer holding it (and, with
    a shared level, their copies everywhere) go, so a caller that asks for the
    history first and then the plan gets a matching pair. That clear drops this
    history too (it is answered, not stored): the next call asks again and,
    the plan being current by then, keeps its answer. A plan held only in a
    shared level is not seen here; `history.versions` then treats its text as unknown
    rather than pair it wrongly.
    """

    def __init__(
        self,
        *,
        config: ClientConfig,
        upstream: Upstream,
        keys: PlanKeys,
        freshness: Freshness,
        stats: ClientStats,
        plan_cache: PlanCache[Any],
        drop_plan: Callable[[str, str], object],
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], dt.datetime],
    ) -> None:
        self._upstream = upstream
        self._keys = keys
        self._fresh = freshness
        self._stats = stats
        self._plans = plan_cache
        self._drop_plan = drop_plan
        self._clock = clock
        self._now = now
        self._api_zone = ZoneInfo(config.api_timezone)
        self._strict = config.strict
        self._cache: PlanCache[PlanHistory] = PlanCache(maxsize=config.max_cache_size, clock=clock)
        self._stale: StaleStore[PlanHistory] = StaleStore(
            maxsize=config.stale_store_size,
            ttl=config.stale_ttl_seconds,
            clock=clock,
        )
        self.closed = False

    @property
    def size(self) -> int:
        """Histories held in the cache (expired ones not yet dropped included)."""
        return self._cache.size

    async def get(self, key: Key, deadline_at: float) -> PlanHistory:
        """The cached or loaded history for `key`; on failure, stale or fallback (or raised)."""
        if self.closed:
            raise RuntimeError("this CoachPlanClient is closed")
        stats = self._stats
        stats.requests += 1
        entry = self._cache.hit(key)
        if entry is not None:
            stats.cache_hits += 1
            return entry.cached
        load = self._cache.load_of(key)
        if load is None:
            stats.cache_misses += 1
            load = self._cache.start(
                key, lambda seq: self._fetch(key, deadline_at), deadline_at=deadline_at
            )
        else:
            stats.coalesced += 1
        try:
            if load.deadline_at <= deadline_at:  # the load ends by our deadline on its own
                entry = await asyncio.shield(load.task)
            else:
                async with asyncio.timeout(max(0.0, deadline_at - self._clock())):
                    entry = await asyncio.shield(load.task)
        except PlanUnavailable as exc:
            return self._answer_failure(key, exc)
        except TimeoutError:
            stats.deadline_exceeded += 1
            failure = PlanUnavailable("no answer within the deadline", category="timeout")
            return self._answer_failure(key, failure)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self.closed and (task is None or task.cancelling() == 0):
                raise RuntimeError("this CoachPlanClient is closed") from None
            raise
        return entry.fresh

    def clear(self, coach: str | None = None, iso: str | None = None) -> int:
        """Drop cached histories (all, or one coach and/or day); returns how many went."""
        if coach is None and iso is None:
            return self._cache.clear()
        return self._cache.clear(
            lambda key: (coach is None or key[0] == coach) and (iso is None or key[1] == iso)
        )

    async def close(self) -> None:
        self.closed = True
        await self._cache.close()

    async def _fetch(self, key: Key, deadline_at: float) -> Entry[PlanHistory]:
        coach, iso = key
        day = dt.date.fromisoformat(iso)
        started = time.perf_counter()
        status: int | str = "error"
        attempts = 0
        try:
            reply = await self._upstream.get_json(
                "history", HISTORY_PATH, {"coach": coach, "date": iso}, deadline_at=deadline_at
            )
            status, attempts = reply.status, reply.attempts
            history = PlanHistory.from_json(reply.body, coach, day, self._now(), self._api_zone)
        except PlanError as exc:
            status = getattr(exc, "category", "error")
            if isinstance(exc, PlanUnavailable) and exc.by_deadline:
                self._stats.deadline_exceeded += 1  # once per load, not once per caller
            raise
        finally:
            ms = (time.perf_counter() - started) * 1000
            log.info("fetched history %s/%s: %s after %s in %.1f ms",
                     coach, iso, status, plural(attempts, "attempt"), ms)  # fmt: skip
        self._stale.remember(key, history)
        self._drop_older_plan(key, history)
        now = self._clock()
        ttl = self._ttl(bool(history), iso)
        return Entry(history, history.marked(from_cache=True), now, now + ttl, now + ttl)

    def _drop_older_plan(self, key: Key, history: PlanHistory) -> None:
        entry = self._plans.peek(key)
        if entry is None or not isinstance(entry.fresh, CoachPlan):
            return
        if predates(entry.fresh, history):
            log.info("plan %s/%s predates its newest edit: dropped from the cache", *key)
            self._drop_plan(*key)

    def _ttl(self, edited: bool, iso: str) -> float:
        """As for plans: settled sessions long; the current one's "no edits" briefly, since
        a coach may edit any minute, and its edits for `cache_ttl_seconds`."""
        if iso < self._keys.today_iso():
            return self._fresh.past_seconds
        return self._fresh.today_seconds if edited else self._fresh.not_found_seconds

    def _answer_failure(self, key: Key, failure: PlanUnavailable) -> PlanHistory:
        stale = self._stale.recall(key)
        if stale is not None:
            self._stats.stale_served += 1
            return stale.marked(from_cache=True, stale=True)
        self._stats.fallbacks += 1
        day = dt.date.fromisoformat(key[1])
        if self._strict:
            failure.coach, failure.day = key[0], day
            raise failure
        return PlanHistory.fallback(key[0], day, failure.category)
