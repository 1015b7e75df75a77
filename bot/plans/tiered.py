"""The shared second level as the client uses it: Redis between the process cache and the API.

Built only when `redis_url` is set, and only then is redis-py imported. A miss
of the process cache becomes one `RedisTier.load`: a hit there is one GET; a
miss makes this process, or another one, the key's one upstream request, and
its answer is stored for every process with the TTL this process gives it
(`PlanFetcher`'s rules), plus a long-lived stale copy for stale-on-error. What
comes from Redis is kept in the process cache no longer than Redis keeps it.

Clears and the breaker reach every process. A clear drops this process's
entries at once and the shared ones in the background; until that has
finished, loads of the cleared keys here skip Redis (which may still hold the
old answer) and store nothing there. Other processes' clears and breaker
changes arrive as callbacks on the event loop (`_invalidated`, `_breaker_news`).

Redis down or slow is never the caller's problem: every outcome has a way
on without it (`Unavailable`: ask the API directly).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, final, get_args

from .breaker import CircuitBreaker
from .cache import Entry, Key, PlanCache, StaleStore
from .config import ClientConfig
from .fetch import ALL, PlanFetcher
from .models import CoachPlan, ErrorCategory, PlanUnavailable
from .shared import (
    ALL_CODEC,
    PLAN_CODEC,
    Answer,
    Failed,
    Found,
    Invalidation,
    Missed,
    ValueCodec,
)

if TYPE_CHECKING:
    from .shared.tier import RedisTier

log = logging.getLogger(__name__)

_CATEGORIES: Final[frozenset[str]] = frozenset(get_args(ErrorCategory))


@final
class SharedLevel:
    """One client's view of the shared tier: loads, stale copies, clears, the breaker."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        cache: PlanCache[Any],
        stale: StaleStore[CoachPlan],
        fetcher: PlanFetcher,
        breaker: CircuitBreaker,
        clock: Callable[[], float],
        on_invalidate: Callable[[Invalidation], object],
    ) -> None:
        from .shared.tier import RedisTier  # redis-py: only when a redis_url is set

        assert config.redis_url is not None
        self.tier: RedisTier = RedisTier(
            config.redis_url,
            prefix=config.redis_prefix,
            timeout_seconds=config.redis_timeout_seconds,
            on_invalidate=self._invalidated,
            on_breaker=self._breaker_news,
            clock=clock,
        )
        self._cache = cache
        self._stale = stale
        self._fetcher = fetcher
        self._breaker = breaker
        self._stale_ttl = config.stale_ttl_seconds
        self._refresh_ratio = config.refresh_ahead_ratio
        self._on_invalidate = on_invalidate
        #: Clears made here that have not yet reached Redis: their keys skip it meanwhile.
        self._pending: list[Invalidation] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False
        breaker.on_open = lambda seconds: self._spawn(self.tier.open_breaker(seconds))
        breaker.on_close = lambda: self._spawn(self.tier.close_breaker())

    # -- life ----------------------------------------------------------------------
    def start(self) -> None:
        """Subscribe to the other processes' news now (otherwise on first use)."""
        self.tier.start()

    async def close(self) -> None:
        """Let clears and breaker news in flight finish, then close the tier."""
        self._closed = True
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.tier.close()

    def snapshot(self) -> dict[str, Any]:
        return self.tier.snapshot() | {"clears_in_flight": len(self._pending)}

    # -- loads ---------------------------------------------------------------------
    async def look(self, key: Key, seq: int) -> Entry[Any] | Missed | None:
        """The hit path, one GET, cheap enough for the caller's own task: the entry of a
        hit (for the load numbered `seq`), what `load` goes on from, or None when Redis
        cannot help (unavailable, or a clear of `key` still on its way)."""
        if self._closed or (self._pending and self._cleared_here(key)):
            return None
        found = await self.tier.look(key, _codec(key))
        if isinstance(found, Found):
            return self._fetcher.adopt(
                key, found.value, found.ttl_seconds, self._cache, seq, cached=True
            )
        return found if isinstance(found, Missed) else None

    async def load(
        self,
        key: Key,
        deadline_at: float,
        seq: int,
        *,
        refresh: bool = False,
        after: Missed | None = None,
    ) -> Entry[Any]:
        """`key`'s entry, through the shared level when it can help; raises PlanUnavailable
        as `PlanFetcher.fetch` does (the holder's failure is every waiter's).

        A background `refresh` does not take a value near its end from Redis: it
        wants a newer one (which one process fetches for all). `after`: what this
        load's own `look` found.
        """
        fetch = self._fetcher.fetch
        if self._closed or (self._pending and self._cleared_here(key)):
            return await fetch(key, deadline_at, self._cache, seq)
        built: list[Entry[Any]] = []

        async def upstream(generation: int) -> Answer[Any]:
            async def share(coaches: list[tuple[Key, Entry[CoachPlan]]]) -> None:
                await self._put_coaches(coaches, generation)

            entry = await fetch(key, deadline_at, self._cache, seq, on_coaches=share)
            built.append(entry)
            stale_ttl = 0.0 if key[0] == ALL else self._stale_ttl  # coaches carry their own
            stored = self._fetcher.stored(entry)
            return Answer(stored, entry.expires_at - entry.stored_at, stale_ttl)

        accept = self._newer_than_refresh(key) if refresh else None
        outcome = await self.tier.load(
            key, _codec(key), upstream, deadline_at=deadline_at, accept=accept, after=after
        )
        if isinstance(outcome, Found):
            if outcome.source == "upstream":
                return built[0]
            cached = outcome.source == "redis"
            return self._fetcher.adopt(
                key, outcome.value, outcome.ttl_seconds, self._cache, seq, cached=cached
            )
        if isinstance(outcome, Failed):
            category = outcome.category if outcome.category in _CATEGORIES else "unavailable"
            raise PlanUnavailable(
                "the load of another process failed",
                category=category,  # type: ignore[arg-type]  # checked against the Literal
                by_deadline=outcome.by_deadline,
            )
        return await fetch(key, deadline_at, self._cache, seq)  # Unavailable: on without it

    async def recall_stale(self, keys: Sequence[Key]) -> None:
        """Fill this process's stale copies of `keys` it lacks from Redis (one MGET), so
        stale-on-error can answer with what another process fetched."""
        missing = [key for key in keys if self._stale.recall(key) is None]
        if not missing or self._closed:
            return
        for key, plan in (await self.tier.get_stale(missing, PLAN_CODEC)).items():
            self._stale.remember(key, plan)

    def _newer_than_refresh(self, key: Key) -> Callable[[Any, float | None], bool]:
        """Accepts a value with more left than our refresh-ahead window: another process
        refreshed it already."""

        def accept(value: Any, seconds_left: float | None) -> bool:
            if seconds_left is None:
                return True
            return seconds_left > self._fetcher.ttl_of(key, value) * self._refresh_ratio

        return accept

    async def _put_coaches(self, coaches: list[tuple[Key, Entry[CoachPlan]]], gen: int) -> None:
        """A day's /all fills each coach's key in Redis too, refused as a whole if a clear
        came since the load began (generation `gen`)."""
        items = [
            (key, Answer(self._fetcher.stored(e), e.expires_at - e.stored_at, self._stale_ttl))
            for key, e in coaches
            if not (self._pending and self._cleared_here(key))
        ]
        await self.tier.put(items, PLAN_CODEC, generation=gen)

    # -- clears --------------------------------------------------------------------
    def clear(self, clear: Invalidation) -> asyncio.Task[int] | None:
        """Start clearing `clear` in Redis and in every other process; the task answers
        the number of Redis keys dropped (0 if Redis could not be reached). None when
        no event loop runs (nothing can reach Redis from here)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            log.warning("clear_cache outside the event loop cleared this process only")
            return None
        self._pending.append(clear)
        task = loop.create_task(self._clear(clear))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _clear(self, clear: Invalidation) -> int:
        try:
            if self._closed:
                return 0
            return (await self.tier.clear(clear.coach, clear.day)).dropped
        finally:
            self._pending.remove(clear)

    def _cleared_here(self, key: Key) -> bool:
        return any(clear.matches(key) for clear in self._pending)

    def _invalidated(self, clear: Invalidation) -> None:
        """Another process cleared: drop our entries as a clear here would (the client's
        rule; stale copies stay, as ever)."""
        self._on_invalidate(clear)

    # -- the breaker -----------------------------------------------------------------
    def _breaker_news(self, seconds: float) -> None:
        if seconds > 0:
            self._breaker.force_open(seconds)
        else:
            self._breaker.force_close()

    def _spawn(self, work: Awaitable[Any]) -> None:
        if self._closed:
            if asyncio.iscoroutine(work):
                work.close()  # never started: no "never awaited" warning
            return
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _codec(key: Key) -> ValueCodec[Any]:
    """How `key`'s value travels: a day's /all answer, or one coach's plan."""
    return ALL_CODEC if key[0] == ALL else PLAN_CODEC
