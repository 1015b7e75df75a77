"""Event-loop time for tests: timeouts that fire when the test says, not when the machine can.

The client's per-attempt timeout is an aiohttp timer and its deadlines for
joiners are `asyncio.timeout`s: all read the event loop's clock, `loop.time()`.
Moving that clock makes them fire at once, whatever the machine's speed, so no
test has to wait for (or race against) real seconds:

- `LoopClock` takes over the clock of the test's own loop: `skip` jumps it (a
  hang in `tests/contract_server.py` does, via `Fault.clock_jump`), `frozen`
  stops it so a test can say exactly how much time has passed, and `sleep`
  lets a client's backoff pass on it.
- `finished` awaits a call that must already be answerable, with no timer.
- `VirtualTimeLoop` is a whole loop on virtual time for a test that runs its own
  (`asyncio.Runner(loop_factory=VirtualTimeLoop)`): its clock moves only when every
  task waits for a timer, and then straight to the first one.
"""

from __future__ import annotations

import asyncio
import contextlib
import selectors
from collections.abc import Awaitable, Iterator
from typing import TypeVar

T = TypeVar("T")
#: Real time an idle VirtualTimeLoop still waits for sockets before it jumps.
IDLE_SECONDS = 0.001


class LoopClock:
    """The running loop's clock, made to jump ahead or stand still.

    Installed in place of `loop.time`, which every timer on the loop reads, it
    answers the real monotonic time plus every `skip` so far: timers due by then
    fire at once. While `frozen` it moves only by `skip`. It stays on the loop
    (each test has its own) and never runs backwards. Handed to a client as its
    `clock` and `sleep`, deadlines and TTLs run on the same clock as the timeouts.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._real = loop.time
        self._offset = 0.0
        self._frozen_at: float | None = None
        setattr(loop, "time", self)  # noqa: B010  (mypy refuses to assign a method)

    @classmethod
    def install(cls) -> LoopClock:
        """The running loop's LoopClock, installed on first use."""
        loop = asyncio.get_running_loop()
        current = loop.time
        return current if isinstance(current, LoopClock) else cls(loop)

    def __call__(self) -> float:
        if self._frozen_at is not None:
            return self._frozen_at
        return self._real() + self._offset

    def skip(self, seconds: float) -> None:
        """Let `seconds` pass at once."""
        if self._frozen_at is not None:
            self._frozen_at += seconds
        else:
            self._offset += seconds

    async def sleep(self, seconds: float) -> None:
        """A backoff on this clock: the time passes, nobody waits."""
        self.skip(seconds)
        await asyncio.sleep(0)

    @contextlib.contextmanager
    def frozen(self) -> Iterator[LoopClock]:
        """Stop the clock: inside, time passes only by `skip`; after, it runs on from there."""
        self._frozen_at = self()
        try:
            yield self
        finally:
            self._offset = self._frozen_at - self._real()
            self._frozen_at = None


async def finished(work: Awaitable[T], *, turns: int = 10_000) -> T:
    """`work`'s result if the loop gets it done in `turns` passes, with no timer firing.

    With the clock frozen, "the call has answered by now" without waiting for
    anything, real or not (each pass still reads the sockets).
    """
    task = asyncio.ensure_future(work)
    for _ in range(turns):
        if task.done():
            return task.result()
        await asyncio.sleep(0)
    task.cancel()
    raise AssertionError(f"still waiting after {turns} passes of the loop, the clock stopped")


class _JumpWhenIdle(selectors.DefaultSelector):
    """A selector that, instead of blocking until the next timer, moves the clock to it."""

    def __init__(self, loop: VirtualTimeLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:  # no timer at all: only I/O (or another thread) can wake us
            return super().select(None)
        # Nothing to run but timers. Bytes on loopback are usually readable at once;
        # a short real wait lets late ones in before time moves.
        ready = super().select(min(timeout, IDLE_SECONDS))
        if not ready:
            self._loop.now += timeout
        return ready


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A loop whose clock stands still while anything can run, then jumps to the next timer.

    Work takes no time on it, so a timeout fires only when every task is waiting
    (as a hang leaves them), never because the machine is slow; and waiting for
    a timer costs no real time. Sockets and threads still work for real.
    """

    def __init__(self) -> None:
        self.now = 0.0
        super().__init__(_JumpWhenIdle(self))

    def time(self) -> float:
        return self.now
