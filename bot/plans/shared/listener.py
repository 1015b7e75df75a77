"""One pub/sub connection per tier, one task reading it and handing messages out by channel.

A process subscribes to the tier's three channels once, for its whole life,
instead of once per waiting caller: a waiter then costs no SUBSCRIBE and no
UNSUBSCRIBE, only its lookup. The listener reconnects by itself: after a
lost connection it waits (injectable `sleep`, doubling up to a cap), connects,
subscribes, and only when Redis has confirmed every subscription calls
`on_subscribed` (the tier wakes its waiters: a publication may have passed
while we were not subscribed) and then `on_ready` (catching up on clears and
the breaker), and sets `ready`. A Redis that stops answering without closing the socket (paused,
SIGSTOPped, a dead link) is caught by a heartbeat: after `heartbeat_seconds`
of silence it sends PING, and a second silence of that length counts as lost.
The heartbeat runs on the event loop's clock, since it measures the socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, final

from .connection import Redis
from .guard import REDIS_FAILURES, Guard
from .stats import TierStats

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS: Final = 5.0
RECONNECT_INITIAL_SECONDS: Final = 0.1
RECONNECT_MAX_SECONDS: Final = 5.0
#: How often close() repeats a cancellation the listener did not act on.
STOP_POLL_SECONDS: Final = 0.05

Sleep = Callable[[float], Awaitable[None]]


class _Silent(Exception):
    """Redis sent nothing, not even the heartbeat's PONG: the connection is dead."""


@final
class Listener:
    def __init__(
        self,
        redis: Redis,
        *,
        handlers: Mapping[str, Callable[[bytes], None]],
        on_subscribed: Callable[[], None],
        on_ready: Callable[[], Awaitable[None]],
        on_lost: Callable[[], None],
        guard: Guard,
        stats: TierStats,
        sleep: Sleep = asyncio.sleep,
        connect_timeout_seconds: float = 1.0,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        reconnect_initial_seconds: float = RECONNECT_INITIAL_SECONDS,
        reconnect_max_seconds: float = RECONNECT_MAX_SECONDS,
    ) -> None:
        self._redis = redis
        self._handlers = {name.encode(): handler for name, handler in handlers.items()}
        self._on_subscribed = on_subscribed
        self._on_ready = on_ready
        self._on_lost = on_lost
        self._guard = guard
        self._stats = stats
        self._sleep = sleep
        self._connect_timeout = connect_timeout_seconds
        self._heartbeat = heartbeat_seconds
        self._reconnect = (reconnect_initial_seconds, reconnect_max_seconds)
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        #: Set while subscribed and caught up: every publication from then on reaches us.
        self.ready = asyncio.Event()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="redis-listener")

    async def close(self) -> None:
        """Stop the task. redis-py's read timeout can swallow a cancellation (it reads
        as "no message yet"), so the loop also checks `_closing`, and we cancel again
        until the task has ended."""
        self._closing = True
        task, self._task = self._task, None
        while task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task], timeout=STOP_POLL_SECONDS)
        if task is not None and not task.cancelled():
            task.exception()  # retrieved: it can only be a bug, already logged

    async def _run(self) -> None:
        delay, cap = self._reconnect
        connected_before = False
        while not self._closing:
            pubsub = self._redis.pubsub()
            subscribed = False
            try:
                await self._subscribe(pubsub)
                subscribed = True
                self._on_subscribed()
                if connected_before:
                    self._stats.reconnects += 1
                connected_before = True
                delay = self._reconnect[0]
                await self._on_ready()
                self.ready.set()
                await self._listen(pubsub)
            except (*REDIS_FAILURES, _Silent) as exc:
                self._guard.note_failure(exc, outage=False)
            finally:
                self.ready.clear()
                if subscribed:  # publications may pass us by from now on
                    self._on_lost()
                with contextlib.suppress(Exception):
                    await asyncio.shield(pubsub.aclose())  # type: ignore[no-untyped-call]
            if self._closing:
                return
            await self._sleep(delay)
            delay = min(cap, delay * 2)

    async def _subscribe(self, pubsub: Any) -> None:
        """Subscribe and wait until Redis confirmed each channel (a paused Redis never does)."""
        async with asyncio.timeout(self._connect_timeout):
            self._stats.commands += 1
            await pubsub.subscribe(*self._handlers)
            confirmed = 0
            while confirmed < len(self._handlers):
                message = await pubsub.get_message(timeout=self._connect_timeout)
                if message is not None and message["type"] == "subscribe":
                    confirmed += 1

    async def _listen(self, pubsub: Any) -> None:
        pinged = False
        while not self._closing:
            message = await pubsub.get_message(timeout=self._heartbeat)
            if self._closing:
                return
            if message is None:
                if pinged:
                    raise _Silent("no PONG within the heartbeat")
                self._stats.commands += 1
                await pubsub.ping()
                pinged = True
                continue
            pinged = False
            if message["type"] != "message":
                continue
            handler = self._handlers.get(message["channel"])
            if handler is None:
                continue
            try:
                handler(message["data"])
            except Exception:  # a handler's bug must not stop every process's news
                log.exception("shared cache: handling a message on %r failed", message["channel"])
