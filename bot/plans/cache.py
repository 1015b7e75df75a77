"""One client's plan cache: async-lru for single flight and LRU, plus what it lacks.

async-lru gives us the hard parts: concurrent callers of one key share one
task, a failed or cancelled load is dropped (never cached), and the least
recently used entry goes when the cache is full. What it lacks, this module adds:

- a TTL per entry, read on our injectable clock. async-lru's `ttl` is one
  number per cache and runs on loop timers; we need a short TTL for "no plan"
  (so a plan posted later shows up within a minute), a long one for settled
  trading days, and tests that expire entries without sleeping;
- a refresh-ahead mark, so a busy key is refreshed before it expires;
- `put`, to fill per-coach entries from one /all answer;
- stale copies of the last good answer per key, served when the API fails.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, Literal, TypeVar, final

from async_lru import alru_cache

Key = tuple[str, str]
T = TypeVar("T")
Lookup = Literal["hit", "coalesced", "miss"]


@dataclasses.dataclass(frozen=True, slots=True)
class Entry(Generic[T]):
    """A cached value, the value as later hits see it, and when it goes off."""

    fresh: T
    cached: T
    stored_at: float
    expires_at: float
    refresh_at: float


def _mark_exception_read(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()


def _key_only(key: Key, deadline_at: float | None = None) -> Key:
    return key


@final
class PlanCache(Generic[T]):
    """LRU+TTL over async-lru; `loader(key)` fetches on a miss and may raise to skip caching."""

    def __init__(
        self,
        loader: Callable[[Key, float | None], Awaitable[Entry[T]]],
        *,
        maxsize: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if maxsize < 1:
            raise ValueError("max_cache_size must be >= 1")
        self._loader = loader
        self._clock = clock
        self.maxsize = maxsize
        self._seeds: dict[Key, Entry[T]] = {}
        # Keys whose load is under way, with the deadline that load runs to.
        self._loading: dict[Key, float | None] = {}
        # Keys we stored, with their entry once loaded: for filtered clears and for
        # `peek` from other threads; pruned against async-lru, so bounded.
        self._known: dict[Key, Entry[T] | None] = {}
        self.evictions = 0
        self._lru = alru_cache(maxsize=maxsize, key=_key_only)(self._load)

    async def _load(self, key: Key, deadline_at: float | None = None) -> Entry[T]:
        # This coroutine runs as async-lru's task for `key`. If every caller has left
        # (each hit its own deadline) when the load fails, nobody reads the failure:
        # mark it read, so asyncio does not report "exception was never retrieved".
        task = asyncio.current_task()
        if task is not None:
            task.add_done_callback(_mark_exception_read)
        try:
            entry = self._seeds.pop(key, None) or await self._loader(key, deadline_at)
            if key in self._known:
                self._known[key] = entry
            return entry
        finally:
            self._loading.pop(key, None)

    def lookup(self, key: Key) -> Lookup:
        """What a `get` of `key` would be right now, without touching LRU order."""
        if not self._lru.cache_contains(key):
            return "miss"
        return "coalesced" if key in self._loading else "hit"

    def peek(self, key: Key) -> Entry[T] | None:
        """The stored entry for `key`, without I/O, LRU bookkeeping or the loop.

        Safe from any thread: two single dict reads, each atomic in CPython.
        """
        entry = self._known.get(key)
        if entry is None or not self._lru.cache_contains(key):
            return None
        return entry

    def load_deadline(self, key: Key) -> float | None:
        """The deadline the load of `key` under way runs to (None: none known)."""
        return self._loading.get(key)

    async def get(self, key: Key, deadline_at: float | None = None) -> Entry[T]:
        """The entry for `key`, loading it once however many callers ask.

        `deadline_at` reaches the loader only when this call starts the load.
        """
        if not self._lru.cache_contains(key):
            # Marked before the load task first runs, so callers arriving in between
            # are counted as joining it; a task cancelled before it ran leaves a mark
            # that only matters while the key is cached, and the next load clears it.
            self._loading[key] = deadline_at
            self._note_insert(key)
        return await self._lru(key, deadline_at)

    async def hit(self, key: Key) -> Entry[T]:
        """`get` for a key `lookup` called a hit: no insert bookkeeping on the hot path."""
        return await self._lru(key)

    def drop(self, key: Key) -> bool:
        self._known.pop(key, None)
        return self._lru.cache_invalidate(key)

    async def put(self, key: Key, entry: Entry[T]) -> None:
        """Store `entry` for `key` unless a load of that key is under way (it will store)."""
        if key in self._loading and self._lru.cache_contains(key):
            return
        self._lru.cache_invalidate(key)
        self._seeds[key] = entry
        await self.get(key)

    def clear(self, match: Callable[[Key], bool] | None = None) -> int:
        """Drop every entry (or those `match` accepts); returns how many were dropped."""
        if match is None:
            dropped = self.size
            self._lru.cache_clear()
            self._known.clear()
            return dropped
        return sum(self.drop(key) for key in [k for k in self._known if match(k)])

    def snapshot(self) -> dict[str, Any]:
        size = self.size
        return {
            "size": size,
            "max_size": self.maxsize,
            "utilization_percent": round(100 * size / self.maxsize, 2),
            "evictions": self.evictions,
        }

    @property
    def size(self) -> int:
        return self._lru.cache_info().currsize

    async def close(self) -> None:
        await self._lru.cache_close()

    def _note_insert(self, key: Key) -> None:
        if self.size >= self.maxsize:
            self.evictions += 1
        self._known[key] = None
        if len(self._known) > 2 * self.maxsize:
            for stale_key in [k for k in self._known if not self._lru.cache_contains(k)]:
                del self._known[stale_key]


@final
class StaleStore(Generic[T]):
    """The last good answer per key, kept for `ttl` seconds, at most `maxsize` keys."""

    def __init__(
        self, *, maxsize: int, ttl: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._items: OrderedDict[Hashable, tuple[float, T]] = OrderedDict()
        self._maxsize = maxsize
        self._ttl = ttl
        self._clock = clock

    def remember(self, key: Hashable, value: T) -> None:
        self._items[key] = (self._clock(), value)
        self._items.move_to_end(key)
        while len(self._items) > self._maxsize:
            self._items.popitem(last=False)

    def recall(self, key: Hashable) -> T | None:
        item = self._items.get(key)
        if item is None:
            return None
        stored_at, value = item
        if self._clock() - stored_at > self._ttl:
            del self._items[key]
            return None
        return value

    def __len__(self) -> int:
        return len(self._items)
