"""CoachPlanClient: the async client for the Coach Plan API that agents and the bot share.

It composes the pieces: input checks before any request, the per-instance
cache (single flight, LRU, per-entry TTL), the transport (retries, deadline,
breaker, concurrency limit), stale copies and fallbacks. The seed's methods
never raise for upstream trouble: they answer with the best they have, and the
answer says which it is (`found`, `error`, `from_cache`, `stale`).

Past 300 lines on purpose: it is the one public face agents read, and each
method here is a short composition of the parts (`loads`, `fetch`, `tiered`,
`history_loads`, `operator`); splitting the face would send readers through
more files for the same contract.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self, Unpack, final
from zoneinfo import ZoneInfo

from . import operator
from .breaker import CircuitBreaker
from .cache import Key, PlanCache, StaleStore
from .config import DEFAULT_COACHES as DEFAULT_COACHES
from .config import ClientArgs, ClientConfig, split_args
from .fetch import ALL, Freshness, PlanFetcher, count_plans
from .history import PlanHistory
from .history_loads import PlanHistories
from .keys import PlanKeys
from .loads import CLOSED_TEXT, Loads
from .market import MarketCalendar
from .market import market_calendar as find_calendar
from .metrics import ClientStats
from .models import (
    CoachPlan,
    InvalidInput,
    PlanNotFound,
    PlanUnavailable,
)
from .retry import RetryPolicy
from .shared import Invalidation
from .tiered import SharedLevel
from .transport import Upstream

log = logging.getLogger(__name__)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@final
class CoachPlanClient:
    """Async client with a TTL+LRU cache, coalescing, retries, a breaker and fallbacks.

    Configured by a `ClientConfig` (`config=`), or by its fields as keywords,
    which keep the seed's meaning (`max_retries` is the total number of
    attempts, `timeout` is per attempt); `deadline_seconds` bounds a whole call
    including waits. "Today" (`date=None`, or the word `today`) is the current
    session of `market_calendar` (default NYSE): on a weekend or holiday, the
    latest session before it. `api_timezone` is the zone the API writes its
    naive timestamps in; `timezone` the zone text answers show times in.
    Time is injectable (keywords, not configuration): `clock` (monotonic
    seconds) drives TTLs, the breaker and deadlines; `sleep` the backoff;
    `now` (aware datetime) the meaning of "today" and `fetched_at`; `session`
    is an aiohttp session the caller owns. With `redis_url`, processes share a
    second cache level, the breaker and clears (`tiered.py`).
    """

    def __init__(
        self,
        api_base_url: str | None = None,
        *,
        config: ClientConfig | None = None,
        **args: Unpack[ClientArgs],
    ) -> None:
        self.config, seams = split_args(api_base_url, config, args)
        cfg = self.config
        clock: Callable[[], float] = seams.get("clock", time.monotonic)
        now: Callable[[], dt.datetime] = seams.get("now", _utcnow)
        self.timezone = cfg.timezone
        self.api_timezone = cfg.api_timezone
        self._keys = PlanKeys(cfg.coaches, find_calendar(cfg.market_calendar), now)
        self.api_base_url = cfg.api_base_url.rstrip("/")
        self.freshness = Freshness(
            cfg.cache_ttl_seconds,
            cfg.past_ttl_seconds,
            cfg.not_found_ttl_seconds,
            cfg.refresh_ahead_ratio,
        )
        self.deadline_seconds = cfg.deadline_seconds
        self.strict = cfg.strict
        self._clock = clock
        self._now = now
        self.stats = ClientStats()
        self.breaker = CircuitBreaker(
            failures=cfg.breaker_failures, cooldown=cfg.breaker_cooldown_seconds, clock=clock
        )
        self._upstream = Upstream(
            self.api_base_url,
            timeout=cfg.timeout,
            policy=RetryPolicy(cfg.max_retries, cfg.wait_initial, cfg.wait_max, cfg.wait_exp_base),
            breaker=self.breaker,
            stats=self.stats,
            max_concurrency=cfg.max_concurrency,
            max_body_bytes=cfg.max_body_bytes,
            session=seams.get("session"),
            connector_factory=cfg.connector_factory,
            sleep=seams.get("sleep", asyncio.sleep),
            clock=clock,
            rand=seams.get("rand", random.random),
        )
        self._cache: PlanCache[Any] = PlanCache(maxsize=cfg.max_cache_size, clock=clock)
        self._stale: StaleStore[CoachPlan] = StaleStore(
            maxsize=cfg.stale_store_size,
            ttl=cfg.stale_ttl_seconds,
            clock=clock,
        )
        self._fetcher = PlanFetcher(
            upstream=self._upstream,
            keys=self._keys,
            freshness=self.freshness,
            stale=self._stale,
            stats=self.stats,
            clock=clock,
            now=now,
            api_zone=ZoneInfo(self.api_timezone),
        )
        self._shared = None if cfg.redis_url is None else SharedLevel(
            cfg, cache=self._cache, stale=self._stale, fetcher=self._fetcher,
            breaker=self.breaker, clock=clock, on_invalidate=self._drop,
        )  # fmt: skip
        self._loads = Loads(
            cache=self._cache,
            fetcher=self._fetcher,
            stats=self.stats,
            clock=clock,
            deadline_at=self._deadline_at,
            shared=self._shared,
        )
        self._history = PlanHistories(
            config=cfg, upstream=self._upstream, keys=self._keys, freshness=self.freshness,
            stats=self.stats, plan_cache=self._cache, drop_plan=self.clear_cache,
            clock=clock, now=now,
        )  # fmt: skip
        self._closed = False
        # Hits answered by `peek_fresh` in other threads, counted apart from `stats`
        # (which only the loop thread writes) under their own lock.
        self._peek_lock = threading.Lock()
        self._peek_hits = 0

    # -- lifecycle -----------------------------------------------------------------
    async def __aenter__(self) -> Self:
        if self._shared is not None:
            self._shared.start()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Cancel every load and refresh, close the session we made; no I/O after this.

        Callers cut short by the close get the same RuntimeError as later calls.
        Shared clears still in flight finish first.
        """
        self._closed = self._loads.closed = self._upstream.closed = True
        await self._cache.close()
        await self._history.close()
        if self._shared is not None:
            await self._shared.close()
        await self._upstream.close()

    # -- input ---------------------------------------------------------------------
    @property
    def coaches(self) -> tuple[str, ...]:
        return self._keys.coaches

    @property
    def calendar(self) -> MarketCalendar:
        """The market calendar whose sessions "today" and "previous" follow."""
        return self._keys.calendar

    def now(self) -> dt.datetime:
        """The client's aware "now" (injectable, so tests and the offline mode pin it)."""
        return self._keys.now()

    def today(self) -> dt.date:
        """The current session: today's if the market trades today, else the latest before."""
        return self._keys.today()

    def previous_session(self) -> dt.date:
        """The session before the current one (what `previous` and `yesterday` mean)."""
        return self.calendar.previous_session(self.today())

    def normalize_coach(self, coach: object) -> str:
        """The configured id for `coach` (any case, or `coach_<id>`), or InvalidInput."""
        return self._keys.normalize_coach(coach)

    def normalize_date(self, date: object) -> dt.date:
        """The day for a date, `YYYY-MM-DD`, `today`, `previous`/`yesterday` or None (today).

        Raises InvalidInput (a ValueError) for anything else, and for days before
        2000 or more than a year past the current session.
        """
        return self._keys.normalize_date(date)

    def peek_fresh(self, coach: str, date: str | dt.date | None = None) -> CoachPlan | None:
        """A fresh cached answer for (coach, date), or None; no I/O, safe from any thread.

        The blocking facade answers hits with it in the caller's thread, skipping
        the hop to the loop thread; anything else (a miss, an expired entry, one
        due for refresh-ahead) returns None and goes the usual way.
        """
        if self._closed:
            return None
        entry = self._cache.peek(self._keys.key(coach, date))
        if entry is None or self._clock() >= entry.refresh_at:
            return None
        plan: CoachPlan = entry.cached
        if self.strict and not plan.found:
            return None
        with self._peek_lock:
            self._peek_hits += 1
        return plan

    # -- the seed's methods --------------------------------------------------------
    async def fetch_coach_plan(
        self, coach: str, date: str | dt.date | None = None, *, deadline: float | None = None
    ) -> CoachPlan:
        """One coach's plan for a day (default: today), from cache when we have it."""
        key = self._keys.key(coach, date)
        result = await self._get(key, deadline)
        if not isinstance(result, PlanUnavailable):
            return self._strict_check(result)
        if self._shared is not None:
            await self._shared.recall_stale([key])
        return self._answer_failure(key, dt.date.fromisoformat(key[1]), result)

    async def fetch_all_coach_plans(
        self, date: str | dt.date | None = None, *, deadline: float | None = None
    ) -> dict[str, CoachPlan]:
        """The day's posted plans as the API returned them, keyed by plain coach id ("d").

        Only coaches that posted are in it, a coach the configuration does not
        list included, so `len()` counts the day's plans (as the seed's client
        did); who has not posted is for the caller, who knows `coaches`, to say.
        When the API fails there is one entry per configured coach: its last
        good answer marked `stale` (a plan or "no plan"), else a fallback.
        """
        day = self.normalize_date(date)
        result = await self._get((ALL, day.isoformat()), deadline)
        if not isinstance(result, PlanUnavailable):
            return dict(result)
        if self._shared is not None:
            await self._shared.recall_stale([(c, day.isoformat()) for c in self.coaches])
        return {c: self._answer_failure((c, day.isoformat()), day, result) for c in self.coaches}

    async def fetch_plan_history(
        self, coach: str, date: str | dt.date | None = None, *, deadline: float | None = None
    ) -> PlanHistory:
        """The plan's edits, newest first (empty, `== []`, when it has none), cached like plans.

        Each edit's `plan_text` is the text it replaced; `bot.plans.history.versions`
        pairs them with the plan into versions. When the API fails: the last good
        answer marked `stale`, else a fallback with `error` set (strict: raised).
        """
        self._check_open()
        return await self._history.get(self._keys.key(coach, date), self._deadline_at(deadline))

    async def check_health(self) -> dict[str, Any]:
        """The server's own health answer plus ours (breaker, last error).

        Never raises for the server's trouble; after close() it raises RuntimeError.
        """
        self._check_open()
        return await operator.check_health(
            self._upstream, self.breaker, deadline_at=self._deadline_at(None)
        )

    async def get_server_metrics(self) -> dict[str, Any]:
        """The server's /metrics counters, or `{"error": category}`.

        Never raises for the server's trouble; after close() it raises RuntimeError.
        """
        self._check_open()
        return await operator.server_metrics(self._upstream, deadline_at=self._deadline_at(None))

    def get_metrics(self) -> dict[str, Any]:
        """A fresh snapshot of our counters (the seed's keys and more); no I/O. With
        `redis_url`, `redis` holds the shared level's (hits, misses, errors, lock_waits,
        invalidations and more)."""
        metrics = self.stats.report(
            api=self._upstream.snapshot(),
            cache=self._cache.snapshot()
            | {
                "ttl_seconds": self.freshness.today_seconds,
                "not_found_ttl_seconds": self.freshness.not_found_seconds,
                "past_ttl_seconds": self.freshness.past_seconds,
                "stale_size": len(self._stale),
                "plans": count_plans(self._cache),
            },
            breaker=self.breaker.snapshot(),
            refreshes_in_flight=self._cache.refreshes_in_flight(),
            extra_hits=self._peek_hits,
        )
        if self._shared is not None:
            metrics["redis"] = self._shared.snapshot()
        return metrics

    def clear_cache(self, coach: str | None = None, date: str | dt.date | None = None) -> int:
        """Drop cached entries (all, or one coach and/or day); returns how many went.

        The count is of cache entries (keys): one per coach and day asked for
        alone, one per day asked for whole (/all), which holds several plans;
        `cached_plans` counts plans, before a clear for what it will drop.
        Stale copies stay: they are only ever shown when the API fails, marked stale.
        A load of a cleared key already in flight never stores its answer: the next
        call asks the API again.
        Dropping a coach's day also drops that day's /all entry, which holds it,
        and the same coaches' and days' cached edit histories (counted too).
        With `redis_url`, the shared level and every other process are cleared in
        the background (`clear_cache_everywhere` waits); until then this process
        does not read those keys from Redis.
        """
        return self._clear(coach, date)[0]

    async def clear_cache_everywhere(
        self, coach: str | None = None, date: str | dt.date | None = None
    ) -> int:
        """`clear_cache`, returning once Redis and every process have been told: the keys
        dropped in Redis plus this process's entries (a key held in both counts twice;
        other processes' own copies are not counted). Without `redis_url` (or Redis
        unreachable), this process's alone.
        """
        dropped, shared = self._clear(coach, date)
        return dropped + (0 if shared is None else await shared)

    def _clear(
        self, coach: str | None, date: str | dt.date | None
    ) -> tuple[int, asyncio.Task[int] | None]:
        """(entries dropped here, the shared clear under way, if any)."""
        cid = None if coach is None else self.normalize_coach(coach)
        iso = None if date is None else self.normalize_date(date).isoformat()
        clear = Invalidation(cid, iso)
        return self._drop(clear), (None if self._shared is None else self._shared.clear(clear))

    def _drop(self, clear: Invalidation) -> int:
        """This process's part of a clear, ours or another process's: one rule everywhere."""
        if clear == Invalidation():
            return self._cache.clear() + self._history.clear()
        return self._cache.clear(clear.matches) + self._history.clear(clear.coach, clear.day)

    def cached_plans(self, coach: str | None = None, date: str | dt.date | None = None) -> int:
        """Posted plans in the cache (all, or one coach and/or day), each coach's day once."""
        cid = None if coach is None else self.normalize_coach(coach)
        iso = None if date is None else self.normalize_date(date).isoformat()
        return count_plans(self._cache, cid, iso)

    # -- internals -----------------------------------------------------------------
    def _deadline_at(self, deadline: float | None) -> float:
        budget = self.deadline_seconds if deadline is None else deadline
        if budget <= 0:
            raise InvalidInput("deadline must be a positive number of seconds")
        return self._clock() + budget

    async def _get(self, key: Key, deadline: float | None) -> Any:
        return await self._loads.get(key, deadline)

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(CLOSED_TEXT)

    def _answer_failure(self, key: Key, day: dt.date, failure: PlanUnavailable) -> CoachPlan:
        """The last good answer marked stale, else a fallback (or, strict, the error)."""
        stale = self._stale.recall(key)
        if stale is not None:
            self.stats.stale_served += 1
            return stale.marked(from_cache=True, stale=True)
        self.stats.fallbacks += 1
        if self.strict:
            failure.coach, failure.day = key[0], day
            raise failure
        return CoachPlan.fallback(key[0], day, failure.category)

    def _strict_check(self, plan: CoachPlan) -> CoachPlan:
        if self.strict and not plan.found:
            raise PlanNotFound("no plan for this coach and day", coach=plan.coach, day=plan.day)
        return plan
