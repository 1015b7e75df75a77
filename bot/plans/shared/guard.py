"""Redis down or slow is never the user's problem: every call is bounded and skippable.

Each command runs under a short timeout (default 50 ms). A failure counts as
an error, logs one WARNING per `warn_interval_seconds` at most (on the
injectable clock), and starts a back-off during which calls fail at once
without I/O, so a dead Redis costs one timeout per back-off, not one per
call. The back-off doubles up to `backoff_max_seconds` while Redis stays
down; when it ends, one call probes while the others still skip, and the
first success ends the outage.

Every command has the same budget, so deadlines fall due in the order the
commands went out: one loop timer, set for the oldest, serves them all
(`_Timeouts`), instead of a timer armed and cancelled per command on every
hit. A command whose time runs out is cancelled and ends as a TimeoutError,
as under `asyncio.timeout`, on the same loop clock.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar, final

from redis.exceptions import RedisError, ResponseError

from .stats import TierStats

log = logging.getLogger(__name__)
R = TypeVar("R")

DEFAULT_TIMEOUT_SECONDS: Final = 0.05
DEFAULT_WARN_INTERVAL_SECONDS: Final = 60.0
BACKOFF_INITIAL_SECONDS: Final = 0.5
BACKOFF_MAX_SECONDS: Final = 5.0

#: What a Redis call can fail with that is Redis's trouble, not a bug of ours.
REDIS_FAILURES: Final = (RedisError, OSError, TimeoutError)


class TierUnavailable(Exception):
    """Redis cannot answer now; the caller goes on with its own cache and the API.

    `sent` is False when the command never left (backing off): it cannot have
    happened on the server. A sent one may still run there after we gave up.
    """

    def __init__(self, reason: str, *, sent: bool = True) -> None:
        super().__init__(reason)
        self.sent = sent


class TierReplyError(TierUnavailable):
    """Redis answered a command with WRONGTYPE: another type of key sits under our name.

    Redis is up, so this is no outage (not counted, no warning): the caller
    treats the key as foreign, a miss that its answer will overwrite.
    """


@final
class _Timeouts:
    """Deadlines of the commands in flight, on one timer for the oldest.

    A timer that fires late by more than the budget means the loop itself was
    stalled (a burst of a thousand callers on two cores), not that Redis was
    slow: a reply may be sitting unread in the socket. Then each due command
    gets the budget once more from now, so loop lag never counts against Redis
    (a Redis that is really slow still runs out, one budget later).
    """

    def __init__(self, budget: float) -> None:
        self._budget = budget
        self._due: dict[asyncio.Task[Any], float] = {}
        self._extended: set[asyncio.Task[Any]] = set()
        self._expired: set[asyncio.Task[Any]] = set()
        self._timer: asyncio.TimerHandle | None = None

    def watch(self, task: asyncio.Task[Any], loop: asyncio.AbstractEventLoop, when: float) -> None:
        self._due[task] = when
        if self._timer is None:
            self._timer = loop.call_at(when, self._fire, loop, when)

    def forget(self, task: asyncio.Task[Any]) -> bool:
        """Stop watching `task`; True if its time ran out (and it was cancelled for it)."""
        self._due.pop(task, None)
        self._extended.discard(task)
        if task in self._expired:
            self._expired.discard(task)
            return True
        return False

    def _fire(self, loop: asyncio.AbstractEventLoop, scheduled: float) -> None:
        self._timer = None
        now = loop.time()
        stalled = now - scheduled > self._budget
        for task, when in list(self._due.items()):
            if when > now:
                continue
            if stalled and task not in self._extended:
                self._extended.add(task)
                self._due[task] = now + self._budget
                continue
            del self._due[task]
            self._extended.discard(task)
            self._expired.add(task)
            task.cancel()
        if self._due:
            when = min(self._due.values())
            self._timer = loop.call_at(when, self._fire, loop, when)


@final
class Guard:
    def __init__(
        self,
        *,
        stats: TierStats,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        backoff_initial_seconds: float = BACKOFF_INITIAL_SECONDS,
        backoff_max_seconds: float = BACKOFF_MAX_SECONDS,
        warn_interval_seconds: float = DEFAULT_WARN_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if timeout_seconds <= 0 or backoff_initial_seconds < 0:
            raise ValueError("redis_timeout_seconds must be > 0 and the back-off >= 0")
        self.timeout_seconds = timeout_seconds
        self._stats = stats
        self._backoff_initial = backoff_initial_seconds
        self._backoff_max = max(backoff_initial_seconds, backoff_max_seconds)
        self._warn_interval = warn_interval_seconds
        self._clock = clock
        self._down_until: float | None = None
        self._backoff = backoff_initial_seconds
        self._probing = False
        self._last_warned: float | None = None
        self._unwarned = 0
        self._timeouts = _Timeouts(timeout_seconds)

    @property
    def available(self) -> bool:
        """False while backing off after a failure (calls would fail without I/O)."""
        return self._down_until is None or (self._clock() >= self._down_until and not self._probing)

    async def run(
        self, op: Callable[[], Awaitable[R]], *, force: bool = False, commands: int = 1
    ) -> R:
        """`op()` (one Redis command, or a pipeline of `commands`) under the timeout;
        TierUnavailable if it cannot be had.

        `force` sends it even while backing off: a clean-up that must not wait
        for the next probe (it still has the timeout, and nobody awaits it).
        """
        probe = self._down_until is not None and not force
        if probe:
            if not self.available:
                self._stats.skipped += 1
                raise TierUnavailable("backing off after a Redis failure", sent=False)
            self._probing = True
        self._stats.commands += commands
        try:
            result = await self._timed(op)
        except ResponseError as exc:
            # Redis answered, so it is up: an error reply is ours to see, not an outage.
            if str(exc).startswith("WRONGTYPE"):
                if not force:
                    self._recovered()
                raise TierReplyError("WRONGTYPE") from exc
            self.note_failure(exc, outage=False)
            if not force:
                self._recovered()
            raise TierUnavailable(type(exc).__name__) from exc
        except REDIS_FAILURES as exc:
            self.note_failure(exc, outage=not force)  # a clean-up's failure says nothing new
            raise TierUnavailable(type(exc).__name__) from exc
        finally:
            if probe:
                self._probing = False
        if not force:
            self._recovered()
        return result

    async def _timed(self, op: Callable[[], Awaitable[R]]) -> R:
        """`op()`, or TimeoutError once `timeout_seconds` have passed on the loop's clock."""
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        if task is None:  # pragma: no cover - a guard always runs in a task
            async with asyncio.timeout(self.timeout_seconds):
                return await op()
        cancelling = task.cancelling()
        self._timeouts.watch(task, loop, loop.time() + self.timeout_seconds)
        try:
            result = await op()
        except BaseException as exc:
            expired = self._timeouts.forget(task)
            if (
                expired
                and task.uncancel() <= cancelling
                and isinstance(exc, asyncio.CancelledError)
            ):
                raise TimeoutError from None
            raise
        if self._timeouts.forget(task):  # a cancellation something swallowed: not ours now
            task.uncancel()
        return result

    def _recovered(self) -> None:
        if self._down_until is not None:
            log.info("Redis answers again; the shared cache is back")
            self._down_until = None
            self._backoff = self._backoff_initial

    def note_failure(self, exc: BaseException, *, outage: bool = True) -> None:
        """Count a failure, warn at most once per interval, and back off if Redis is out."""
        self._stats.errors += 1
        if outage:
            now = self._clock()
            if self._down_until is not None:
                self._backoff = min(self._backoff * 2, self._backoff_max)
            self._down_until = now + self._backoff
        self._warn(exc)

    def _warn(self, exc: BaseException) -> None:
        now = self._clock()
        if self._last_warned is not None and now - self._last_warned < self._warn_interval:
            self._unwarned += 1
            return
        log.warning(
            "shared cache (Redis) unavailable: %s; going on without it (%d more since last said)",
            type(exc).__name__, self._unwarned,
        )  # fmt: skip
        self._last_warned = now
        self._unwarned = 0
