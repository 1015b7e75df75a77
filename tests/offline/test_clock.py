"""The offline world's clock: pinned at the start, and following the wall clock when asked.

In-process, with the real world (demo API, bot, SimCord). Instead of waiting,
the tests move the world's idea of when the wall clock started, which is what
the passing of real time looks like to it.
"""

from __future__ import annotations

import datetime as dt

from bot.offline.commandline import CommandCall
from bot.offline.world import OfflineWorld
from bot.settings import Settings

TUESDAY = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)  # 10:00 in New York


def following_world() -> OfflineWorld:
    """Entered in the test itself: SimCord's clock scope must open and close in one task."""
    settings = Settings.from_env(
        {"RATE_LIMIT_USES": "1", "RATE_LIMIT_SECONDS": "30"}, env_file=None
    )
    return OfflineWorld(settings, now=TUESDAY, follow_wall_clock=True)


def plan_call() -> CommandCall:
    return CommandCall("plan", {"coach": "d"})


async def pretend_wall_clock_moved(world: OfflineWorld, seconds: float) -> None:
    world._wall_started_at -= dt.timedelta(seconds=seconds)


async def test_the_world_starts_at_the_pinned_instant() -> None:
    async with following_world() as world:
        assert abs((world.now() - TUESDAY).total_seconds()) < 60
        assert world.bot.plans is not None and world.bot.plans.today() == dt.date(2026, 11, 24)


async def test_rate_limit_unlocks_as_real_time_passes() -> None:
    """One use per 30 s: refused at once, accepted once 31 s of wall time have passed."""
    async with following_world() as world:
        first = await world.run("member", plan_call())
        second = await world.run("member", plan_call())
        await pretend_wall_clock_moved(world, 31)
        third = await world.run("member", plan_call())

    assert first.embeds and not first.ephemeral
    assert second.ephemeral and "try again in" in second.content
    assert third.embeds and not third.ephemeral


async def test_messages_carry_the_time_they_were_sent() -> None:
    async with following_world() as world:
        await world.run("member", plan_call())
        first = world.channel.last_message
        await pretend_wall_clock_moved(world, 600)
        await world.run("moderator", plan_call())
        second = world.channel.last_message
    assert first is not None and second is not None
    gap = (second.created_at - first.created_at).total_seconds()
    assert 600 <= gap < 900


async def test_run_mode_keeps_a_deterministic_clock() -> None:
    """Without following the wall clock, only the bot's own timers move time."""
    async with OfflineWorld(Settings(), now=TUESDAY) as world:
        await pretend_wall_clock_moved(world, 3600)
        await world.run("member", plan_call())
        assert (world.now() - TUESDAY).total_seconds() < 60
