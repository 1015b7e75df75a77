"""News every process must act on: clears of the cache and the state of the breaker.

A clear bumps the generation *first*, so a load that began before it can no
longer write back (its DONE or PUT script compares generations), then
deletes the matching keys (SCAN on our namespace, UNLINK) and only then
publishes, so a process that drops its own entries on the news cannot reload
the old value from Redis. Stale copies stay, as in one process: they are
shown only when the API fails, marked stale.

The breaker's state is one key whose PTTL is the time left open: durations,
not timestamps, so the machines' clocks need not agree. Opening publishes,
so the others learn at once; a process that (re)connects reads the key, and
compares the generation with the last it saw: clears it missed while away
become one clear of everything, the safe side.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final, final

from .connection import Redis
from .guard import Guard, TierUnavailable
from .keyspace import Invalidation, Keyspace
from .messages import BreakerNews, ClearNews, parse_breaker, parse_clear
from .outcomes import Cleared
from .stats import TierStats

log = logging.getLogger(__name__)

#: Keys SCAN looks at per command: large enough for few round trips, small enough
#: that one SCAN stays well inside the command timeout.
SCAN_COUNT: Final = 1000

Script = Callable[..., Awaitable[Any]]


@final
class Broadcasts:
    def __init__(
        self,
        *,
        redis: Redis,
        keys: Keyspace,
        guard: Guard,
        stats: TierStats,
        origin: str,
        breaker_script: Script,
        status_script: Script,
        on_invalidate: Callable[[Invalidation], None],
        on_breaker: Callable[[float], None],
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._guard = guard
        self._stats = stats
        self._origin = origin
        self._breaker_script = breaker_script
        self._status_script = status_script
        self.on_invalidate = on_invalidate
        self.on_breaker = on_breaker
        #: The highest generation this process knows of (None before the first look).
        self.seen_generation: int | None = None

    # -- clears ------------------------------------------------------------------------
    async def clear(self, clear: Invalidation) -> Cleared:
        run, redis, dropped = self._guard.run, self._redis, 0
        try:
            generation = int(await run(functools.partial(redis.incr, self._keys.generation)))
            self._saw(generation)
            pattern, cursor = self._keys.scan_pattern(clear), 0
            while True:
                scan = functools.partial(redis.scan, cursor, match=pattern, count=SCAN_COUNT)
                cursor, batch = await run(scan)
                fresh, locks = self._split(batch, clear)
                if fresh:
                    dropped += int(await run(functools.partial(redis.unlink, *fresh)))
                if locks:  # loads in flight: new callers start afresh, as in one process
                    await run(functools.partial(redis.unlink, *locks))
                if cursor == 0:
                    break
            news = ClearNews(self._origin, clear, generation).encode()
            await run(functools.partial(redis.publish, self._keys.invalidate_channel, news))
        except TierUnavailable:
            log.warning("clear reached only this process: the shared cache is unavailable")
            return Cleared(dropped, everywhere=False)
        self._stats.invalidations_sent += 1
        self._stats.keys_dropped += dropped
        return Cleared(dropped, everywhere=True)

    def _split(self, batch: list[bytes], clear: Invalidation) -> tuple[list[bytes], list[bytes]]:
        fresh: list[bytes] = []
        locks: list[bytes] = []
        for raw in batch:
            parsed = self._keys.parse(raw.decode(errors="replace"))
            if parsed is not None and parsed[0] != "stale" and clear.matches(parsed[1]):
                (fresh if parsed[0] == "fresh" else locks).append(raw)
        return fresh, locks

    def handle_clear(self, data: bytes) -> None:
        news = parse_clear(data)
        if news is None:
            self._stats.decode_failures += 1
            return
        self._saw(news.generation)
        if news.origin != self._origin:
            self._stats.invalidations_received += 1
            self.on_invalidate(news.clear)

    def _saw(self, generation: int) -> None:
        self.seen_generation = max(self.seen_generation or 0, generation)

    async def catch_up(self) -> None:
        """On (re)connecting: clears missed while away, and a breaker open right now."""
        keys = [self._keys.generation, self._keys.breaker]
        try:
            generation, breaker_ms = await self._guard.run(
                functools.partial(self._status_script, keys)
            )
        except TierUnavailable:
            return
        if self.seen_generation is not None and generation > self.seen_generation:
            self._stats.invalidations_received += 1
            self.on_invalidate(Invalidation())
        self._saw(generation)
        if breaker_ms > 0:
            self._stats.breaker_news_received += 1
            self.on_breaker(breaker_ms / 1000)

    # -- the breaker -------------------------------------------------------------------
    async def set_breaker(self, seconds: float) -> bool:
        """Open the shared breaker for `seconds` (0 closes it); False if Redis is unreachable."""
        ms = max(1, round(seconds * 1000)) if seconds > 0 else 0
        news = BreakerNews(self._origin, ms).encode()
        args = (ms, self._origin, self._keys.breaker_channel, news)
        try:
            await self._guard.run(
                functools.partial(self._breaker_script, [self._keys.breaker], args)
            )
        except TierUnavailable:
            return False
        if ms:
            self._stats.breaker_opens_sent += 1
        return True

    async def breaker_open_for(self) -> float | None:
        """Seconds the shared breaker stays open (0: closed); None if Redis is unreachable."""
        try:
            ms = int(await self._guard.run(functools.partial(self._redis.pttl, self._keys.breaker)))
        except TierUnavailable:
            return None
        return ms / 1000 if ms > 0 else 0.0

    async def claim_probe(self, seconds: float) -> bool:
        """May this process send the half-open probe? One process per `seconds` may;
        without Redis every process decides alone (True)."""
        ms = max(1, round(seconds * 1000))
        claim = functools.partial(self._redis.set, self._keys.probe, self._origin, nx=True, px=ms)
        try:
            return bool(await self._guard.run(claim))
        except TierUnavailable:
            return True

    def handle_breaker(self, data: bytes) -> None:
        news = parse_breaker(data)
        if news is None:
            self._stats.decode_failures += 1
            return
        if news.origin != self._origin:
            self._stats.breaker_news_received += 1
            self.on_breaker(news.ms / 1000)
