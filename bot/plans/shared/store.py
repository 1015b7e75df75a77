"""Plain reads and writes of the second level: no lock, no waiting.

`put` stores the answers of one load under the generation it began at (a
day's /all fills each coach's key, refused as a whole if a clear came
since); `get_stale` reads the long-lived copies stale-on-error falls back to.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar, final

from ..cache import Key
from .codec import DecodeError, ValueCodec
from .connection import Redis
from .guard import Guard, TierReplyError, TierUnavailable
from .keyspace import Keyspace
from .outcomes import Answer, Found, Unavailable
from .stats import TierStats

T = TypeVar("T")
Script = Callable[..., Awaitable[Any]]


@final
class Store:
    def __init__(
        self,
        *,
        redis: Redis,
        keys: Keyspace,
        guard: Guard,
        stats: TierStats,
        put: Script,
        wall_clock: Callable[[], float],
    ) -> None:
        self._redis = redis
        self.keys = keys
        self._guard = guard
        self.stats = stats
        self._put = put
        self._wall = wall_clock

    async def get(self, key: Key, codec: ValueCodec[T]) -> Found[T] | Unavailable | None:
        """A plain read (no lock, no waiting): the value, Unavailable, or None for a miss."""
        get = functools.partial(self._redis.get, self.keys.redis_key("fresh", key))
        try:
            raw = await self._guard.run(get)
        except TierReplyError:  # another type of key under our name: foreign, a miss
            raw = b""
        except TierUnavailable as exc:
            return Unavailable(str(exc), int(exc.sent))
        if raw is not None:
            try:
                value, expires_at = codec.decode_with_expiry(raw)
            except DecodeError:
                self.stats.decode_failures += 1
            else:
                self.stats.hits += 1
                ttl = max(0.0, expires_at - self._wall()) if expires_at else None
                return Found(value, ttl, "redis", 1)
        self.stats.misses += 1
        return None

    async def put(
        self, items: Sequence[tuple[Key, Answer[T]]], codec: ValueCodec[T], *, generation: int
    ) -> bool:
        """Store answers of one load that began at `generation` (a /all fills each coach);
        False when a clear came since, or Redis is unreachable."""
        if not items:
            return True
        keys: list[str] = [self.keys.generation]
        args: list[Any] = [generation]
        now = self._wall()
        for key, answer in items:
            keys += [self.keys.redis_key("fresh", key), self.keys.redis_key("stale", key)]
            ttl_ms = _ms(answer.ttl_seconds)
            args += [codec.encode(answer.value, expires_at=now + ttl_ms / 1000), ttl_ms]
            args.append(_ms(answer.stale_ttl_seconds))
        try:
            stored = await self._guard.run(functools.partial(self._put, keys, args))
        except TierUnavailable:
            return False
        if stored < 0:
            self.stats.puts_refused += len(items)
            return False
        self.stats.puts += stored
        return True

    async def get_stale(self, keys: Sequence[Key], codec: ValueCodec[T]) -> dict[Key, T]:
        """The stale copies of `keys` that exist and decode (for stale-on-error)."""
        if not keys:
            return {}
        names = [self.keys.redis_key("stale", key) for key in keys]
        try:
            raws = await self._guard.run(functools.partial(self._redis.mget, names))
        except TierUnavailable:
            return {}
        found: dict[Key, T] = {}
        for key, raw in zip(keys, raws, strict=True):
            if raw is None:
                continue
            try:
                found[key] = codec.decode(raw)
            except DecodeError:
                self.stats.decode_failures += 1
        self.stats.stale_hits += len(found)
        return found


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))
