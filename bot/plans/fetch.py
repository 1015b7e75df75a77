"""One upstream fetch of a cache key, turned into a cache entry with the right lifetime.

How long an answer stays fresh depends on its session: the current session's
plans for `cache_ttl_seconds` and its "no plan" briefly (a plan posted later
must show up within a minute); closed sessions, whose answers no longer
change, long ("no plan" too). Every good answer is also kept as a stale copy, the
last resort when the API fails later.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any, Final, final

from .cache import Entry, Key, PlanCache, StaleStore
from .keys import PlanKeys
from .metrics import ClientStats
from .models import CoachPlan, PlanError, parse_all
from .transport import Upstream

log = logging.getLogger(__name__)

#: The cache key's coach part for a whole day's /all answer (never a valid coach id).
ALL: Final = "*"
PLAN_PATH: Final = "api/coach-plans/"
ALL_PATH: Final = "api/coach-plans/all"


@dataclasses.dataclass(frozen=True, slots=True)
class Freshness:
    """Seconds an answer is served from cache, by kind, and when to refresh ahead."""

    today_seconds: float
    past_seconds: float
    not_found_seconds: float
    refresh_ahead_ratio: float


@final
class PlanFetcher:
    def __init__(
        self,
        *,
        upstream: Upstream,
        keys: PlanKeys,
        freshness: Freshness,
        stale: StaleStore[CoachPlan],
        stats: ClientStats,
        clock: Callable[[], float],
        now: Callable[[], dt.datetime],
        api_zone: dt.tzinfo,
    ) -> None:
        self._api_zone = api_zone
        self._upstream = upstream
        self._keys = keys
        self._fresh = freshness
        self._stale = stale
        self._stats = stats
        self._clock = clock
        self._now = now

    async def fetch(
        self, key: Key, deadline_at: float, cache: PlanCache[Any], seq: int
    ) -> Entry[Any]:
        """GET the plan (or /all) for `key`; /all also fills each coach's entry in `cache`
        as the load numbered `seq` (so a clear since it started wins)."""
        who, iso = key
        day = dt.date.fromisoformat(iso)
        started = time.perf_counter()
        status: int | str = "error"
        attempts = 0
        try:
            if who == ALL:
                reply = await self._upstream.get_json(
                    "all", ALL_PATH, {"date": iso}, deadline_at=deadline_at
                )
            else:
                reply = await self._upstream.get_json(
                    "plan", PLAN_PATH, {"coach": who, "date": iso},
                    deadline_at=deadline_at, not_found_ok=True,
                )  # fmt: skip
            status, attempts = reply.status, reply.attempts
            fetched_at = self._now()
            if who == ALL:
                plans = parse_all(reply.body, self._keys.coaches, day, fetched_at, self._api_zone)
                for cid, plan in plans.items():
                    self._stale.remember((cid, iso), plan)
                    cache.put((cid, iso), self.entry(plan, iso), seq)
                return self._entry_of_all(plans, iso)
            if reply.status == 404:
                self._stats.api_not_found += 1
                plan = CoachPlan.missing(who, day, fetched_at)
            else:
                plan = CoachPlan.from_json(reply.body, who, day, fetched_at, self._api_zone)
            self._stale.remember(key, plan)
            return self.entry(plan, iso)
        except PlanError as exc:
            status = getattr(exc, "category", "error")
            raise
        finally:
            ms = (time.perf_counter() - started) * 1000
            log.info("fetched %s/%s: %s after %d attempt(s) in %.1f ms",
                     who, iso, status, attempts, ms)  # fmt: skip

    def entry(self, plan: CoachPlan, iso: str) -> Entry[CoachPlan]:
        return self._make_entry(plan, plan.marked(from_cache=True), self._ttl_for(plan, iso))

    def _entry_of_all(self, plans: dict[str, CoachPlan], iso: str) -> Entry[Any]:
        ttl = min(self._ttl_for(p, iso) for p in plans.values())
        cached = {c: p.marked(from_cache=True) for c, p in plans.items()}
        return self._make_entry(plans, cached, ttl)

    def _make_entry(self, fresh: Any, cached: Any, ttl: float) -> Entry[Any]:
        now = self._clock()
        refresh_at = now + ttl * (1 - self._fresh.refresh_ahead_ratio)
        return Entry(fresh, cached, now, now + ttl, refresh_at)

    def _ttl_for(self, plan: CoachPlan, iso: str) -> float:
        """By session: days before the current session are settled and kept long, "no plan"
        included; the current session (and anything later, such as a weekend outlook
        after it) is kept `today_seconds`, and its "no plan" briefly, since a coach
        may post any minute. ISO dates compare as strings; the current session is
        memoized per market day, so this costs no calendar look-up.
        """
        if iso < self._keys.today_iso():
            return self._fresh.past_seconds
        if not plan.found:
            return self._fresh.not_found_seconds
        return self._fresh.today_seconds
