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
from collections.abc import Awaitable, Callable
from typing import Any, Final, final

from .cache import Entry, Key, PlanCache, StaleStore
from .keys import PlanKeys
from .metrics import ClientStats
from .models import CoachPlan, PlanError, parse_all
from .transport import Upstream
from .wording import plural

log = logging.getLogger(__name__)

#: The cache key's coach part for a whole day's /all answer (never a valid coach id).
ALL: Final = "*"
PLAN_PATH: Final = "api/coach-plans/"
ALL_PATH: Final = "api/coach-plans/all"

#: Told the coaches' entries a day's /all answer filled (the shared level stores them too).
OnCoaches = Callable[[list[tuple[Key, Entry[CoachPlan]]]], Awaitable[None]]


def count_plans(cache: PlanCache[Any], coach: str | None = None, iso: str | None = None) -> int:
    """Posted plans `cache` holds for `coach` and/or day `iso` (None: any), each coach's day
    counted once, though a day's /all entry and the coaches' own entries hold the same plans.

    What people mean by "cached plans": not entries (an /all entry holds several
    plans), not "no plan" answers. Expired entries not yet dropped count, as in `size`.
    """
    held: set[Key] = set()
    for (who, day), entry in cache.items():
        if iso is not None and day != iso:
            continue
        if who == ALL:
            held.update((cid, day) for cid in entry.fresh)
        elif entry.fresh.found:
            held.add((who, day))
    return sum(1 for who, _ in held if coach is None or who == coach)


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
        self,
        key: Key,
        deadline_at: float,
        cache: PlanCache[Any],
        seq: int,
        *,
        on_coaches: OnCoaches | None = None,
    ) -> Entry[Any]:
        """GET the plan (or /all) for `key`; /all also fills each coach's entry in `cache`
        as the load numbered `seq` (so a clear since it started wins), then awaits
        `on_coaches` with those entries."""
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
                entry, coaches = self._entry_of_all(plans, day, fetched_at, cache, seq)
                if on_coaches is not None:
                    await on_coaches(coaches)
                return entry
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
            log.info("fetched %s/%s: %s after %s in %.1f ms",
                     who, iso, status, plural(attempts, "attempt"), ms)  # fmt: skip

    def entry(
        self, plan: CoachPlan, iso: str, ttl_cap: float | None = None, *, cached: bool = False
    ) -> Entry[CoachPlan]:
        """`plan`'s entry; `cached`: its first caller too sees it marked `from_cache`."""
        marked = plan.marked(from_cache=True)
        ttl = _capped(self._ttl(plan.found, iso), ttl_cap)
        return self._make_entry(marked if cached else plan, marked, ttl)

    @staticmethod
    def stored(entry: Entry[Any]) -> Any:
        """What the shared level keeps of `entry`: its value as hits see it (`from_cache`),
        so another process's hit takes it as it comes."""
        return entry.cached

    def ttl_of(self, key: Key, value: Any) -> float:
        """How long this process keeps `value`, the answer for `key` (a plan or an /all)."""
        who, iso = key
        if who == ALL:
            return self._ttl(all(cid in value for cid in self._keys.coaches), iso)
        found: bool = value.found
        return self._ttl(found, iso)

    def adopt(
        self,
        key: Key,
        value: Any,
        ttl_seconds: float | None,
        cache: PlanCache[Any],
        seq: int,
        *,
        cached: bool,
    ) -> Entry[Any]:
        """An answer another process fetched (read from the shared level) as this process's
        entry, kept no longer than the shared level keeps it (`ttl_seconds`, None: not
        said) and no longer than our own TTL. `cached`: it was stored, not fetched for
        this call, so the caller sees it marked `from_cache`.
        """
        who, iso = key
        if who != ALL:
            plan: CoachPlan = value
            self._stale.remember(key, plan)
            if not plan.from_cache:  # stored marked (`stored`): no copy on the hit path
                return self.entry(plan, iso, ttl_seconds, cached=cached)
            ttl = _capped(self._ttl(plan.found, iso), ttl_seconds)
            return self._make_entry(plan, plan, ttl)
        day = dt.date.fromisoformat(iso)
        entry, _ = self._entry_of_all(value, day, self._now(), cache, seq, ttl_seconds)
        if not cached:
            return entry
        return Entry(
            entry.cached, entry.cached, entry.stored_at, entry.expires_at, entry.refresh_at
        )

    def _entry_of_all(
        self,
        plans: dict[str, CoachPlan],
        day: dt.date,
        fetched_at: dt.datetime,
        cache: PlanCache[Any],
        seq: int,
        ttl_cap: float | None = None,
    ) -> tuple[Entry[Any], list[tuple[Key, Entry[CoachPlan]]]]:
        """The day's /all entry (the plans as posted), after filling each configured coach's
        own entry and stale copy, "no plan" included, so `/plan` after `/plans` is a hit;
        and those coaches' entries.

        A coach the configuration does not list gets neither: it cannot be asked
        for alone. The entry lives as briefly as its shortest-lived coach, and a
        configured coach who has not posted counts as a "no plan" answer.
        """
        iso = day.isoformat()
        coaches: list[tuple[Key, Entry[CoachPlan]]] = []
        for cid in self._keys.coaches:
            plan = plans.get(cid) or CoachPlan.missing(cid, day, fetched_at)
            self._stale.remember((cid, iso), plan)
            entry = self.entry(plan, iso, ttl_cap)
            cache.put((cid, iso), entry, seq)
            coaches.append(((cid, iso), entry))
        everyone = all(cid in plans for cid in self._keys.coaches)
        cached = {c: p.marked(from_cache=True) for c, p in plans.items()}
        ttl = _capped(self._ttl(everyone, iso), ttl_cap)
        return self._make_entry(plans, cached, ttl), coaches

    def _make_entry(self, fresh: Any, cached: Any, ttl: float) -> Entry[Any]:
        now = self._clock()
        refresh_at = now + ttl * (1 - self._fresh.refresh_ahead_ratio)
        return Entry(fresh, cached, now, now + ttl, refresh_at)

    def _ttl(self, found: bool, iso: str) -> float:
        """By session: days before the current session are settled and kept long, "no plan"
        included; the current session (and anything later, such as a weekend outlook
        after it) is kept `today_seconds`, and its "no plan" briefly, since a coach
        may post any minute. ISO dates compare as strings; the current session is
        memoized per market day, so this costs no calendar look-up.
        """
        if iso < self._keys.today_iso():
            return self._fresh.past_seconds
        if not found:
            return self._fresh.not_found_seconds
        return self._fresh.today_seconds


def _capped(ttl: float, cap: float | None) -> float:
    return ttl if cap is None else max(0.0, min(ttl, cap))
