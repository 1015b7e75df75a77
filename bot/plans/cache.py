"""One client's plan cache: one structure for answers, loads in flight and clears.

The cache owns its state outright rather than mirroring a library's: the
races we had came from copies of async-lru's state disagreeing with it (an
older load overwriting a newer answer, a clear undone by a load that started
before it, an evicted in-flight load started twice). Here:

- `_entries` holds stored answers in LRU order, each with a TTL on our
  injectable clock (a short one for "no plan", long for closed sessions);
- `_loads` holds at most one load in flight per key; every caller of the key
  joins it (single flight), and a caller leaving never cancels it. A load
  either runs in a task of its own from the start, or (`begin`) its first
  caller runs a cheap first step itself (a look in the shared level) and then
  `finish`es it or `hand_over`s the rest to a task: a hit there costs no task;
- every load and every clear takes the next number of one sequence, and an
  answer is stored only if its load is newer than the key's last clear and
  than the answer already stored: a clear wins over every load that started
  before it, and there is one answer per key.

All mutation happens on the event loop's thread. `peek` reads one dict item,
which the sync facade calls from other threads to answer fresh hits without a
hop to the loop; entries are immutable, so a reader sees an old answer or the
new one, never a mix.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Final, Generic, TypeVar, final

Key = tuple[str, str]
T = TypeVar("T")
#: Keys cleared one by one remembered before old marks are pruned.
MAX_CLEAR_MARKS: Final = 1024


@dataclasses.dataclass(frozen=True, slots=True)
class Entry(Generic[T]):
    """A cached value, the value as later hits see it, and when it goes off."""

    fresh: T
    cached: T
    stored_at: float
    expires_at: float
    refresh_at: float


@final
class Load(Generic[T]):
    """One upstream fetch of one key, shared by every caller that joins it.

    `task` is what joiners await: the load's task, or the future of a load
    whose first caller runs its first step (`PlanCache.begin`).
    """

    __slots__ = ("background", "deadline_at", "key", "seq", "task")

    def __init__(self, key: Key, seq: int, deadline_at: float, background: bool) -> None:
        self.key = key
        self.seq = seq
        self.deadline_at = deadline_at
        self.background = background
        self.task: asyncio.Future[Entry[T]]


#: Starts the fetch of a load; it receives the load's sequence number, which a fetch
#: that fills other keys (/all) passes to `put`.
Fetch = Callable[[int], Awaitable[Entry[T]]]


def _mark_exception_read(task: asyncio.Future[Any]) -> None:
    """A failed load nobody waits for any more is not "exception never retrieved"."""
    if not task.cancelled():
        task.exception()


def _settle(future: asyncio.Future[T], task: asyncio.Task[T]) -> None:
    """Pass a handed-over load's outcome to the future its joiners wait on."""
    if future.done():
        return
    if task.cancelled():
        future.cancel()
    elif (exc := task.exception()) is not None:
        future.set_exception(exc)
        future.exception()  # retrieved: its joiners may all have left
    else:
        future.set_result(task.result())


@final
class PlanCache(Generic[T]):
    """LRU + per-entry TTL + single flight, with clears that win over older loads."""

    def __init__(self, *, maxsize: int, clock: Callable[[], float] = time.monotonic) -> None:
        if maxsize < 1:
            raise ValueError("max_cache_size must be >= 1")
        self.maxsize = maxsize
        self._clock = clock
        self._entries: OrderedDict[Key, tuple[int, Entry[T]]] = OrderedDict()
        self._loads: dict[Key, Load[T]] = {}
        # Every load task still running (current or superseded by a clear) and its number.
        self._running: dict[asyncio.Task[Entry[T]], int] = {}
        # Loads whose first caller runs their first step (`begin`), not yet ended.
        self._begun: set[Load[T]] = set()
        self._seq = 0
        self._cleared_all = 0
        self._cleared: dict[Key, int] = {}
        self._closed = False
        self.evictions = 0

    # -- reading -------------------------------------------------------------------
    def peek(self, key: Key) -> Entry[T] | None:
        """The stored entry for `key`, fresh or not; no I/O, safe from any thread."""
        item = self._entries.get(key)
        return None if item is None else item[1]

    def hit(self, key: Key) -> Entry[T] | None:
        """The unexpired entry for `key`, marked recently used; an expired one is dropped."""
        item = self._entries.get(key)
        if item is None:
            return None
        if self._clock() >= item[1].expires_at:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return item[1]

    def load_of(self, key: Key) -> Load[T] | None:
        """The load of `key` in flight that new callers join, if any."""
        return self._loads.get(key)

    def refreshes_in_flight(self) -> int:
        return sum(load.background for load in self._loads.values())

    # -- loading -------------------------------------------------------------------
    def start(
        self, key: Key, fetch: Fetch[T], *, deadline_at: float, background: bool = False
    ) -> Load[T]:
        """Start loading `key`; its answer is stored when it ends, if nothing newer won."""
        if self._closed:
            raise RuntimeError("the plan cache is closed")
        self._seq += 1
        load: Load[T] = Load(key, self._seq, deadline_at, background)
        task = asyncio.get_running_loop().create_task(self._run(load, fetch))
        task.add_done_callback(self._task_done)
        self._running[task] = load.seq
        load.task = task
        self._loads[key] = load
        return load

    def begin(self, key: Key, *, deadline_at: float) -> Load[T]:
        """A load of `key` whose caller runs the first step itself; it ends with `finish`
        (an answer) or `hand_over` (a task does the rest). Joiners wait meanwhile."""
        if self._closed:
            raise RuntimeError("the plan cache is closed")
        self._seq += 1
        load: Load[T] = Load(key, self._seq, deadline_at, False)
        load.task = asyncio.get_running_loop().create_future()
        self._loads[key] = load
        self._begun.add(load)
        return load

    def finish(self, load: Load[T], entry: Entry[T]) -> None:
        """End a `begin`-ed load with `entry`: stored if nothing newer won, given to joiners."""
        self._begun.discard(load)
        if self._loads.get(load.key) is load:
            del self._loads[load.key]
        self.put(load.key, entry, load.seq)
        if not load.task.done():
            load.task.set_result(entry)

    def hand_over(self, load: Load[T], fetch: Fetch[T]) -> None:
        """Go on with a `begin`-ed load in a task of its own (its joiners with it); after
        close() it ends cancelled instead."""
        future = load.task
        self._begun.discard(load)
        if self._closed:
            if self._loads.get(load.key) is load:
                del self._loads[load.key]
            future.cancel()
            return
        task = asyncio.get_running_loop().create_task(self._run(load, fetch))
        task.add_done_callback(self._task_done)
        task.add_done_callback(functools.partial(_settle, future))
        self._running[task] = load.seq

    async def _run(self, load: Load[T], fetch: Fetch[T]) -> Entry[T]:
        try:
            entry = await fetch(load.seq)
        finally:
            if self._loads.get(load.key) is load:
                del self._loads[load.key]
        self.put(load.key, entry, load.seq)
        return entry

    def _task_done(self, task: asyncio.Task[Entry[T]]) -> None:
        self._running.pop(task, None)
        _mark_exception_read(task)

    def put(self, key: Key, entry: Entry[T], seq: int) -> bool:
        """Store `entry`, from a load numbered `seq`, unless a clear or a newer answer won."""
        if self._closed or seq <= self._cleared_all or seq <= self._cleared.get(key, 0):
            return False
        current = self._entries.get(key)
        if current is not None and current[0] > seq:
            return False
        self._entries[key] = (seq, entry)
        self._entries.move_to_end(key)
        while len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)
            self.evictions += 1
        return True

    # -- clearing ------------------------------------------------------------------
    def clear(self, match: Callable[[Key], bool] | None = None) -> int:
        """Drop every entry (or those `match` accepts); returns how many were dropped.

        Loads of those keys already in flight still answer their callers but
        never store, and new callers start afresh.
        """
        self._seq += 1
        if match is None:
            dropped = len(self._entries)
            self._entries.clear()
            self._loads.clear()
            self._cleared.clear()
            self._cleared_all = self._seq
            return dropped
        keys = {k for k in self._entries if match(k)} | {k for k in self._loads if match(k)}
        dropped = 0
        for key in keys:
            dropped += self._entries.pop(key, None) is not None
            self._loads.pop(key, None)
            self._cleared[key] = self._seq
        if len(self._cleared) > MAX_CLEAR_MARKS:
            self._prune_clear_marks()
        return dropped

    def _prune_clear_marks(self) -> None:
        """Forget marks older than every load still running: none they could stop remains."""
        running = [*self._running.values(), *(load.seq for load in self._begun)]
        oldest = min(running, default=self._seq)
        self._cleared = {k: s for k, s in self._cleared.items() if s > oldest}

    # -- life ------------------------------------------------------------------------
    async def close(self) -> None:
        """Cancel every load still running, current or superseded; store nothing more."""
        self._closed = True
        tasks = list(self._running)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loads.clear()

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
        return len(self._entries)

    def items(self) -> list[tuple[Key, Entry[T]]]:
        """The stored entries, expired or not yet dropped; a copy, for counting."""
        return [(key, entry) for key, (_, entry) in self._entries.items()]


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
