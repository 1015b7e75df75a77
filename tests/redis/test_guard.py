"""The guard: a failing Redis costs one timeout per back-off and one WARNING per minute.

No Redis needed: the "commands" are coroutines that fail the ways redis-py does.
"""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from bot.plans.shared.guard import Guard, TierReplyError, TierUnavailable
from bot.plans.shared.stats import TierStats


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


class Commands:
    """Counts calls and fails while `failing`."""

    def __init__(self) -> None:
        self.calls = 0
        self.failing: BaseException | None = RedisConnectionError("refused")

    async def __call__(self) -> str:
        self.calls += 1
        if self.failing is not None:
            raise self.failing
        return "OK"


@pytest.fixture
def setup() -> tuple[Guard, TierStats, Clock, Commands]:
    stats, clock = TierStats(), Clock()
    guard = Guard(stats=stats, timeout_seconds=0.05, backoff_initial_seconds=1.0,
                  backoff_max_seconds=4.0, clock=clock)  # fmt: skip
    return guard, stats, clock, Commands()


async def test_a_failure_backs_off_without_io(
    setup: tuple[Guard, TierStats, Clock, Commands],
) -> None:
    """While backing off, calls fail at once: no command, no timeout paid."""
    guard, stats, _, command = setup
    with pytest.raises(TierUnavailable):
        await guard.run(command)
    for _ in range(10):
        with pytest.raises(TierUnavailable):
            await guard.run(command)
    assert (command.calls, stats.errors, stats.skipped) == (1, 1, 10)
    assert not guard.available


async def test_the_back_off_doubles_then_a_success_ends_it(
    setup: tuple[Guard, TierStats, Clock, Commands],
) -> None:
    guard, _, clock, command = setup
    with pytest.raises(TierUnavailable):
        await guard.run(command)
    clock.t += 1.0
    with pytest.raises(TierUnavailable):
        await guard.run(command)  # the probe fails: now 2 s
    clock.t += 1.5
    assert not guard.available
    clock.t += 0.5
    command.failing = None
    assert await guard.run(command) == "OK"
    assert guard.available
    command.failing = RedisConnectionError("again")
    with pytest.raises(TierUnavailable):
        await guard.run(command)
    clock.t += 1.0  # back to the first step after a success
    assert guard.available


async def test_one_warning_per_minute(
    setup: tuple[Guard, TierStats, Clock, Commands], caplog: pytest.LogCaptureFixture
) -> None:
    """An outage is logged once a minute, not once a call."""
    guard, stats, clock, command = setup
    caplog.set_level(logging.WARNING, logger="bot.plans.shared.guard")
    for _ in range(30):  # 30 probes 2 s apart: a minute of outage
        with pytest.raises(TierUnavailable):
            await guard.run(command)
        clock.t += 2.0
    assert stats.errors > 5  # many failures, one line
    assert len(caplog.records) == 1
    clock.t += 60
    with pytest.raises(TierUnavailable):
        await guard.run(command)
    assert len(caplog.records) == 2
    assert "more since last said" in caplog.records[1].getMessage()


async def test_an_error_reply_is_counted_but_not_an_outage(
    setup: tuple[Guard, TierStats, Clock, Commands],
) -> None:
    """Redis answered (a script error): it is up, so no back-off."""
    guard, stats, _, command = setup
    command.failing = ResponseError("ERR user_script:1: Script attempted to access a key")
    with pytest.raises(TierUnavailable):
        await guard.run(command)
    assert guard.available and stats.errors == 1


async def test_a_key_of_another_type_is_foreign_not_an_error(
    setup: tuple[Guard, TierStats, Clock, Commands],
) -> None:
    """WRONGTYPE says someone else's key sits under our name: a miss for the caller."""
    guard, stats, _, command = setup
    command.failing = ResponseError("WRONGTYPE Operation against a key holding the wrong kind")
    with pytest.raises(TierReplyError):
        await guard.run(command)
    assert guard.available and stats.errors == 0


async def test_a_slow_command_times_out() -> None:
    """A call that takes longer than the timeout is abandoned (the event loop's timer)."""
    import asyncio

    from tests.loop_time import LoopClock

    loop_clock = LoopClock.install()
    stats = TierStats()
    guard = Guard(stats=stats, timeout_seconds=0.05)

    async def hangs() -> None:
        await asyncio.Event().wait()

    task = asyncio.ensure_future(guard.run(hangs))
    await asyncio.sleep(0)
    loop_clock.skip(1.0)
    with pytest.raises(TierUnavailable, match="TimeoutError"):
        await task
    assert stats.errors == 1


async def test_only_one_probe_at_a_time(setup: tuple[Guard, TierStats, Clock, Commands]) -> None:
    """When the back-off ends, one call probes; the others still skip until it answers."""
    import asyncio

    guard, stats, clock, command = setup
    with pytest.raises(TierUnavailable):
        await guard.run(command)
    clock.t += 1.0
    release = asyncio.Event()

    async def slow_probe() -> str:
        await release.wait()
        return "OK"

    probe = asyncio.ensure_future(guard.run(slow_probe))
    await asyncio.sleep(0)
    with pytest.raises(TierUnavailable):
        await guard.run(command)
    release.set()
    assert await probe == "OK"
    assert command.calls == 1 and stats.skipped == 1


async def test_one_timer_times_out_only_the_commands_past_their_budget() -> None:
    """Commands that answered in time are untouched; a hung one ends as a timeout."""
    import asyncio

    from tests.loop_time import LoopClock

    loop_clock = LoopClock.install()
    stats = TierStats()
    guard = Guard(stats=stats, timeout_seconds=0.05)
    answer = asyncio.Event()

    async def hangs() -> str:
        await asyncio.Event().wait()
        return "never"

    async def answers() -> str:
        await answer.wait()
        return "OK"

    hung = asyncio.ensure_future(guard.run(hangs))
    await asyncio.sleep(0)
    loop_clock.skip(0.04)
    fine = asyncio.ensure_future(guard.run(answers))  # due 40 ms after the hung one
    await asyncio.sleep(0)
    loop_clock.skip(0.02)  # the first is past its 50 ms, the second is not
    with pytest.raises(TierUnavailable, match="TimeoutError"):
        await hung
    answer.set()
    assert await fine == "OK" and stats.errors == 1


async def test_a_callers_own_cancellation_stays_a_cancellation() -> None:
    """Only the guard's own expiry becomes a timeout; whoever cancels the caller wins."""
    import asyncio

    guard = Guard(stats=TierStats(), timeout_seconds=60)

    async def hangs() -> None:
        await asyncio.Event().wait()

    task = asyncio.ensure_future(guard.run(hangs))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_stalled_loop_does_not_count_against_redis(
    setup: tuple[Guard, TierStats, Clock, Commands],
) -> None:
    """A burst that blocks the loop past the budget must not make Redis look slow: the reply
    comes in the first loop pass after the stall, in which the overdue timer also runs."""
    guard, stats, _, _ = setup
    loop = asyncio.get_running_loop()
    reply: asyncio.Future[str] = loop.create_future()

    async def command() -> str:
        return await reply

    def stall_then_answer() -> None:
        time.sleep(0.2)  # the loop is blocked: 4 budgets pass (a loaded machine: more)
        loop.call_soon(reply.set_result, "OK")  # the reply, read in the next pass

    loop.call_soon(stall_then_answer)
    assert await guard.run(command) == "OK"
    assert (stats.errors, guard.available) == (0, True)


async def test_a_slow_redis_still_runs_out_after_a_stall(
    setup: tuple[Guard, TierStats, Clock, Commands],
) -> None:
    """The stall earns one more budget, not an endless one."""
    guard, stats, _, _ = setup
    loop = asyncio.get_running_loop()
    never: asyncio.Future[str] = loop.create_future()

    async def command() -> str:
        return await never

    loop.call_soon(time.sleep, 0.2)
    with pytest.raises(TierUnavailable):
        await guard.run(command)
    assert stats.errors == 1
