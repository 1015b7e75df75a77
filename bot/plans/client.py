"""CoachPlanClient: the async client for the Coach Plan API that agents and the bot share.

It composes the pieces: input checks before any request, the per-instance
cache (single flight, LRU, per-entry TTL), the transport (retries, deadline,
breaker, concurrency limit), stale copies and fallbacks. The seed's methods
never raise for upstream trouble: they answer with the best they have, and the
answer says which it is (`found`, `error`, `from_cache`, `stale`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Final, Self, final
from zoneinfo import ZoneInfo

import aiohttp

from .breaker import CircuitBreaker
from .cache import Entry, Fetch, Key, PlanCache, StaleStore
from .checks import check_options
from .envconfig import (
    DEFAULT_API_TIMEZONE,
    DEFAULT_API_URL,
    DEFAULT_COACH_NAMES,
    DEFAULT_MARKET_CALENDAR,
    DEFAULT_TIMEZONE,
)
from .fetch import ALL, Freshness, PlanFetcher
from .keys import PlanKeys
from .market import MarketCalendar
from .market import market_calendar as find_calendar
from .metrics import ClientStats
from .models import (
    CoachPlan,
    InvalidInput,
    PlanError,
    PlanNotFound,
    PlanUnavailable,
)
from .retry import RetryPolicy
from .transport import ConnectorFactory, Sleep, Upstream

log = logging.getLogger(__name__)

#: What every call after (or cut short by) close() raises.
CLOSED_TEXT: Final = "this CoachPlanClient is closed"
#: The deployed service's coaches (configuration, not code: see `coaches=`).
DEFAULT_COACHES: Final = tuple(DEFAULT_COACH_NAMES)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@final
class CoachPlanClient:
    """Async client with a TTL+LRU cache, coalescing, retries, a breaker and fallbacks.

    Keywords keep the seed's meaning (`max_retries` is the total number of
    attempts, `timeout` is per attempt); `deadline_seconds` bounds a whole call
    including waits. "Today" (`date=None`, or the word `today`) is the current
    session of `market_calendar` (default NYSE): on a weekend or holiday, the
    latest session before it. `api_timezone` is the zone the API writes its
    naive timestamps in; `timezone` the zone text answers show times in.
    Time is injectable: `clock` (monotonic seconds) drives TTLs, the breaker
    and deadlines; `sleep` the backoff; `now` (aware datetime) the meaning of
    "today" and `fetched_at`.
    """

    def __init__(
        self,
        api_base_url: str = DEFAULT_API_URL,
        *,
        cache_ttl_seconds: float = 3600,
        max_cache_size: int = 100,
        timeout: float = 10,
        max_retries: int = 3,
        not_found_ttl_seconds: float = 60,
        timezone: str = DEFAULT_TIMEZONE,
        api_timezone: str = DEFAULT_API_TIMEZONE,
        market_calendar: str = DEFAULT_MARKET_CALENDAR,
        coaches: Iterable[str] = DEFAULT_COACHES,
        deadline_seconds: float = 15,
        past_ttl_seconds: float = 86400,
        refresh_ahead_ratio: float = 0.1,
        stale_ttl_seconds: float = 86400,
        max_stale_size: int | None = None,
        breaker_failures: int = 5,
        breaker_cooldown_seconds: float = 30,
        max_concurrency: int = 10,
        wait_initial: float = 0.5,
        wait_max: float = 5.0,
        wait_exp_base: float = 2.0,
        max_body_bytes: int = 1024 * 1024,
        strict: bool = False,
        session: aiohttp.ClientSession | None = None,
        connector_factory: ConnectorFactory | None = None,
        force_close: bool = False,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], dt.datetime] = _utcnow,
        rand: Callable[[], float] = random.random,
    ) -> None:
        options = check_options(locals())
        self.timezone = timezone
        self.api_timezone = api_timezone
        self._keys = PlanKeys(options["coaches"], find_calendar(market_calendar), now)
        self.api_base_url = api_base_url.rstrip("/")
        self.freshness = Freshness(
            cache_ttl_seconds, past_ttl_seconds, not_found_ttl_seconds, refresh_ahead_ratio
        )
        self.deadline_seconds = deadline_seconds
        self.strict = strict
        self._clock = clock
        self._now = now
        self.stats = ClientStats()
        self.breaker = CircuitBreaker(
            failures=breaker_failures, cooldown=breaker_cooldown_seconds, clock=clock
        )
        self._upstream = Upstream(
            self.api_base_url,
            timeout=timeout,
            policy=RetryPolicy(max_retries, wait_initial, wait_max, wait_exp_base),
            breaker=self.breaker,
            stats=self.stats,
            max_concurrency=max_concurrency,
            max_body_bytes=max_body_bytes,
            session=session,
            connector_factory=connector_factory,
            force_close=force_close,
            sleep=sleep,
            clock=clock,
            rand=rand,
        )
        self._cache: PlanCache[Any] = PlanCache(maxsize=max_cache_size, clock=clock)
        self._stale: StaleStore[CoachPlan] = StaleStore(
            maxsize=max_stale_size or 10 * max_cache_size, ttl=stale_ttl_seconds, clock=clock
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
        self._closed = False
        # Hits answered by `peek_fresh` in other threads, counted apart from `stats`
        # (which only the loop thread writes) under their own lock.
        self._peek_lock = threading.Lock()
        self._peek_hits = 0

    # -- lifecycle -----------------------------------------------------------------
    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Cancel every load and refresh, close the session we made; no I/O after this.

        Callers cut short by the close get the same RuntimeError as later calls.
        """
        self._closed = True
        self._upstream.closed = True
        await self._cache.close()
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
        return self._answer_failure(key, dt.date.fromisoformat(key[1]), result)

    async def fetch_all_coach_plans(
        self, date: str | dt.date | None = None, *, deadline: float | None = None
    ) -> dict[str, CoachPlan]:
        """Every configured coach's plan for a day, keyed by plain coach id ("d")."""
        day = self.normalize_date(date)
        result = await self._get((ALL, day.isoformat()), deadline)
        if not isinstance(result, PlanUnavailable):
            return dict(result)
        return {c: self._answer_failure((c, day.isoformat()), day, result) for c in self.coaches}

    async def check_health(self) -> dict[str, Any]:
        """The server's own health answer plus ours (breaker, last error).

        Never raises for the server's trouble; after close() it raises RuntimeError.
        """
        self._check_open()
        ours = {"breaker": self.breaker.state, "last_error": self._upstream.last_error}
        started = time.perf_counter()
        try:
            reply = await self._upstream.get_json(
                "health",
                "health",
                deadline_at=self._deadline_at(None),
                ok_statuses=(200, 503),
                retry=False,
                use_breaker=False,
            )
        except PlanError as exc:
            category = getattr(exc, "category", "unavailable")
            return {
                "healthy": False,
                "status": "unreachable",
                "error": category,
                "server": None,
                "client": ours,
            }
        body = reply.body if isinstance(reply.body, dict) else {}
        healthy = reply.status == 200 and body.get("status") == "healthy"
        return {
            "healthy": healthy,
            "status": body.get("status", "unknown"),
            "http_status": reply.status,
            "latency_ms": round((time.perf_counter() - started) * 1000, 2),
            "server": body,
            "client": ours,
        }

    async def get_server_metrics(self) -> dict[str, Any]:
        """The server's /metrics counters, or `{"error": category}`.

        Never raises for the server's trouble; after close() it raises RuntimeError.
        """
        self._check_open()
        try:
            reply = await self._upstream.get_json(
                "metrics", "metrics", deadline_at=self._deadline_at(None), use_breaker=False
            )
        except PlanError as exc:
            return {"error": getattr(exc, "category", "unavailable")}
        return reply.body if isinstance(reply.body, dict) else {"error": "bad_response"}

    def get_metrics(self) -> dict[str, Any]:
        """A fresh snapshot of our counters (the seed's keys and more); no I/O."""
        s = self.stats
        return {
            "requests": s.requests_snapshot(extra_hits=self._peek_hits),
            "api": self._upstream.snapshot(),
            "cache": self._cache.snapshot()
            | {
                "ttl_seconds": self.freshness.today_seconds,
                "not_found_ttl_seconds": self.freshness.not_found_seconds,
                "past_ttl_seconds": self.freshness.past_seconds,
                "stale_size": len(self._stale),
            },
            "breaker": self.breaker.snapshot(),
            "refresh": {
                "background_refreshes": s.background_refreshes,
                "failures": s.refresh_failures,
                "in_progress": self._cache.refreshes_in_flight(),
            },
            "deadline_exceeded": s.deadline_exceeded,
            "latency_ms": s.latency_snapshot(),
        }

    def clear_cache(self, coach: str | None = None, date: str | dt.date | None = None) -> int:
        """Drop cached entries (all, or one coach and/or day); returns how many went.

        Stale copies stay: they are only ever shown when the API fails, marked stale.
        A load of a cleared key already in flight never stores its answer: the next
        call asks the API again.
        Dropping a coach's day also drops that day's /all entry, which holds it.
        """
        if coach is None and date is None:
            return self._cache.clear()
        cid = None if coach is None else self.normalize_coach(coach)
        iso = None if date is None else self.normalize_date(date).isoformat()

        def match(key: Key) -> bool:
            who, day = key
            return (iso is None or day == iso) and (cid is None or who in (cid, ALL))

        return self._cache.clear(match)

    # -- internals -----------------------------------------------------------------
    def _deadline_at(self, deadline: float | None) -> float:
        budget = self.deadline_seconds if deadline is None else deadline
        if budget <= 0:
            raise InvalidInput("deadline must be a positive number of seconds")
        return self._clock() + budget

    async def _get(self, key: Key, deadline: float | None) -> Any:
        """The cached or loaded value for `key`, or the failure (returned, not raised)."""
        self._check_open()
        self.stats.requests += 1
        entry = self._cache.hit(key)
        if entry is not None:
            self.stats.cache_hits += 1
            log.debug("cache hit %s", key)
            if self._clock() >= entry.refresh_at and self._cache.load_of(key) is None:
                self._start_refresh(key)
            return entry.cached
        deadline_at = self._deadline_at(deadline)
        load = self._cache.load_of(key)
        if load is None:
            self.stats.cache_misses += 1
            load = self._cache.start(
                key, self._fetch_for(key, deadline_at), deadline_at=deadline_at
            )
        else:
            self.stats.coalesced += 1
        try:
            if load.deadline_at <= deadline_at:
                # The load ends by its own deadline, before ours: no timer needed
                # (1,000 joiners would otherwise arm 1,000 timers).
                entry = await asyncio.shield(load.task)
            else:
                async with asyncio.timeout(max(0.0, deadline_at - self._clock())):
                    entry = await asyncio.shield(load.task)
        except PlanUnavailable as exc:
            return exc
        except TimeoutError:
            self.stats.deadline_exceeded += 1
            return PlanUnavailable("no answer within the deadline", category="timeout")
        except asyncio.CancelledError:
            self._raise_if_closed_under_us()
            raise
        return entry.fresh

    def _fetch_for(self, key: Key, deadline_at: float) -> Fetch[Any]:
        async def fetch(seq: int) -> Entry[Any]:
            try:
                return await self._fetcher.fetch(key, deadline_at, self._cache, seq)
            except PlanUnavailable as exc:
                if exc.by_deadline:
                    self.stats.deadline_exceeded += 1
                raise

        return fetch

    def _start_refresh(self, key: Key) -> None:
        """Refresh `key` in the background; the caller already has its answer."""
        self.stats.background_refreshes += 1
        deadline_at = self._deadline_at(None)
        fetch = self._fetch_for(key, deadline_at)

        async def refresh(seq: int) -> Entry[Any]:
            try:
                return await fetch(seq)
            except PlanError:
                self.stats.refresh_failures += 1
                raise

        self._cache.start(key, refresh, deadline_at=deadline_at, background=True)

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(CLOSED_TEXT)

    def _raise_if_closed_under_us(self) -> None:
        """A call cut short by close() says so; a caller's own cancellation stays one."""
        task = asyncio.current_task()
        if self._closed and (task is None or task.cancelling() == 0):
            raise RuntimeError(CLOSED_TEXT) from None

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
