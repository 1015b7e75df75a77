"""RedisTier: the shared second level the client consults between its own cache and the API.

One tier per client, like its process cache. It never raises for Redis's
trouble: every method answers "unavailable" (an `Unavailable` outcome, None,
False) within its short timeout, and the caller goes on with the API. Two
callbacks carry other processes' news into this one: `on_invalidate` (apply
a clear to the process cache) and `on_breaker` (seconds the breaker stays
open; 0 when it closed). Both run on the event loop, from the listener.

The tier is bound to the event loop it first runs on, as the client is.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any, Final, Self, TypeVar, final

from ..cache import Key
from . import scripts
from .broadcast import Broadcasts
from .codec import ValueCodec
from .connection import connect
from .flight import Accept, Flight
from .guard import BACKOFF_INITIAL_SECONDS, DEFAULT_TIMEOUT_SECONDS, Guard, TierUnavailable
from .keyspace import DEFAULT_PREFIX, Invalidation, Keyspace
from .listener import HEARTBEAT_SECONDS, Listener, Sleep
from .messages import parse_done
from .outcomes import Answer, Cleared, Fetch, Found, Missed, Outcome, Unavailable
from .stats import TierStats
from .store import Store
from .waiters import Waiters

T = TypeVar("T")

#: How long a holder's lock lives without renewal: how long a dead holder blocks its key.
LOCK_TTL_SECONDS: Final = 5.0
#: The listener works in the background, so it may wait longer than a caller's command.
LISTENER_CONNECT_TIMEOUT_SECONDS: Final = 1.0


def _ignore(_: Any) -> None:
    return None


@final
class RedisTier:
    """The shared level of one client: `look` then `load` on a process-cache miss, `put` for the
    other answers a load brings (a /all's coaches), `get_stale` when the API fails,
    `clear` and the breaker methods for news every process must act on.

    `clock` is the caller's monotonic clock (deadlines, back-off, warnings);
    `wall_clock` (unix seconds) dates the expiry written into each value, which
    other processes read; `sleep` spaces the listener's reconnections.
    Building it does no I/O.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        lock_ttl_seconds: float = LOCK_TTL_SECONDS,
        on_invalidate: Callable[[Invalidation], None] = _ignore,
        on_breaker: Callable[[float], None] = _ignore,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
        backoff_initial_seconds: float = BACKOFF_INITIAL_SECONDS,
        warn_interval_seconds: float = 60.0,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
    ) -> None:
        if lock_ttl_seconds <= 0:
            raise ValueError("the lock TTL must be positive")
        self.keys = Keyspace(prefix)
        self.stats = TierStats()
        #: This process's id in its own messages, so it ignores its own news.
        self.origin = secrets.token_hex(8)
        self._guard = Guard(
            stats=self.stats,
            timeout_seconds=timeout_seconds,
            backoff_initial_seconds=backoff_initial_seconds,
            warn_interval_seconds=warn_interval_seconds,
            clock=clock,
        )
        # The guard's timeout bounds every command; a socket timeout too would only
        # arm a second timer per read.
        redis = connect(url, timeout_seconds=None, connect_timeout_seconds=timeout_seconds)
        events = connect(
            url, timeout_seconds=None, connect_timeout_seconds=LISTENER_CONNECT_TIMEOUT_SECONDS
        )
        self._redis, self._events = redis, events
        self._scripts = [getattr(scripts, name) for name in scripts.__all__]
        self._tasks: set[asyncio.Task[Any]] = set()
        self._waiters = Waiters()
        self._flight = Flight(
            get=redis.get,
            lookup=redis.register_script(scripts.LOOKUP),
            done=redis.register_script(scripts.DONE),
            release=redis.register_script(scripts.RELEASE),
            renew=redis.register_script(scripts.RENEW),
            keys=self.keys,
            guard=self._guard,
            waiters=self._waiters,
            stats=self.stats,
            lock_ttl_seconds=lock_ttl_seconds,
            clock=clock,
            wall_clock=wall_clock,
            spawn=self._spawn,
            listening=lambda: self.listening.is_set(),
        )
        self._store = Store(
            redis=redis,
            keys=self.keys,
            guard=self._guard,
            stats=self.stats,
            put=redis.register_script(scripts.PUT),
            wall_clock=wall_clock,
        )
        self.broadcasts = Broadcasts(
            redis=redis,
            keys=self.keys,
            guard=self._guard,
            stats=self.stats,
            origin=self.origin,
            breaker_script=redis.register_script(scripts.BREAKER),
            status_script=redis.register_script(scripts.STATUS),
            on_invalidate=on_invalidate,
            on_breaker=on_breaker,
        )
        self._listener = Listener(
            events,
            handlers={
                self.keys.done_channel: self._on_done,
                self.keys.invalidate_channel: self.broadcasts.handle_clear,
                self.keys.breaker_channel: self.broadcasts.handle_breaker,
            },
            on_subscribed=self._waiters.wake_all,
            on_ready=self._on_ready,
            on_lost=self._waiters.wake_all,
            guard=self._guard,
            stats=self.stats,
            sleep=sleep,
            connect_timeout_seconds=LISTENER_CONNECT_TIMEOUT_SECONDS,
            heartbeat_seconds=heartbeat_seconds,
        )
        #: Set while subscribed to the other processes' news.
        self.listening = self._listener.ready
        self._closed = False

    # -- life --------------------------------------------------------------------------
    def start(self) -> None:
        """Start listening (idempotent; every method starts it on first use)."""
        if not self._closed:
            self._listener.start()

    async def close(self) -> None:
        """Stop listening, let lock releases in flight finish, close both connection pools."""
        self._closed = True
        await self._listener.close()
        while self._tasks:  # a clean-up may spawn while others end (a cancelled holder's)
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._redis.aclose()
        await self._events.aclose()

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # -- values ------------------------------------------------------------------------
    async def load(
        self,
        key: Key,
        codec: ValueCodec[T],
        fetch: Fetch[T],
        *,
        deadline_at: float,
        accept: Accept | None = None,
        after: Missed | None = None,
    ) -> Outcome[T]:
        """`key`'s value from Redis, from the one process fetching it, or from `fetch`
        (called with the generation, if this call holds the key's lock).

        `fetch`'s exceptions propagate (after the waiters were told); `deadline_at`
        is on the tier's clock. `accept(value, seconds_left)` may refuse a value
        found in Redis (a refresh wants a newer one): it then counts as a miss.
        `after`: what this caller's own `look` found, so the GET is not repeated.
        """
        if self._closed:
            return Unavailable("closed", 0)
        self.start()
        return await self._flight.load(key, codec, fetch, deadline_at, accept, after)

    async def look(self, key: Key, codec: ValueCodec[T]) -> Found[T] | Unavailable | Missed:
        """A load's first step alone, one GET: the hit path, cheap enough to run in the
        caller's own task. No hit: `Missed`, which `load(after=...)` goes on from."""
        if self._closed:
            return Unavailable("closed", 0)
        self.start()
        return await self._flight.look(key, codec)

    async def get(self, key: Key, codec: ValueCodec[T]) -> Found[T] | Unavailable | None:
        """A plain read (no lock, no waiting): the value, Unavailable, or None for a miss."""
        self.start()
        return await self._store.get(key, codec)

    async def put(
        self, items: Sequence[tuple[Key, Answer[T]]], codec: ValueCodec[T], *, generation: int
    ) -> bool:
        """Store answers of one load that began at `generation` (a /all fills each coach);
        False when a clear came since, or Redis is unreachable."""
        return await self._store.put(items, codec, generation=generation)

    async def get_stale(self, keys: Sequence[Key], codec: ValueCodec[T]) -> dict[Key, T]:
        """The stale copies of `keys` that exist and decode (for stale-on-error)."""
        self.start()
        return await self._store.get_stale(keys, codec)

    # -- news between processes --------------------------------------------------------
    async def clear(self, coach: str | None = None, day: str | None = None) -> Cleared:
        """Delete the matching fresh answers in Redis and tell every other process."""
        self.start()
        return await self.broadcasts.clear(Invalidation(coach, day))

    async def open_breaker(self, seconds: float) -> bool:
        """Every process's breaker opens for `seconds` (False if Redis is unreachable)."""
        self.start()
        return await self.broadcasts.set_breaker(seconds)

    async def close_breaker(self) -> bool:
        self.start()
        return await self.broadcasts.set_breaker(0)

    async def breaker_open_for(self) -> float | None:
        """Seconds the shared breaker stays open, 0 if closed, None if Redis is unreachable."""
        self.start()
        return await self.broadcasts.breaker_open_for()

    async def claim_probe(self, seconds: float) -> bool:
        """True for one process per `seconds`: the one that sends the half-open probe."""
        return await self.broadcasts.claim_probe(seconds)

    # -- reporting ---------------------------------------------------------------------
    @property
    def available(self) -> bool:
        return self._guard.available

    def snapshot(self) -> dict[str, Any]:
        return self.stats.snapshot(
            available=self._guard.available,
            listening=self.listening.is_set(),
            waiting=len(self._waiters),
        )

    # -- internals ---------------------------------------------------------------------
    def _spawn(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_done(self, data: bytes) -> None:
        done = parse_done(data)
        if done is None:
            self.stats.decode_failures += 1
        else:
            self._waiters.dispatch(done)

    async def _on_ready(self) -> None:
        """Subscribed (again): load the scripts (a restarted Redis lost them, and every
        concurrent caller would otherwise pay a NOSCRIPT round trip) and catch up on
        what happened while we were not listening."""
        with contextlib.suppress(TierUnavailable):
            await self._guard.run(self._load_scripts, commands=len(self._scripts))
        await self.broadcasts.catch_up()

    async def _load_scripts(self) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for source in self._scripts:
                pipe.script_load(source)
            await pipe.execute()
