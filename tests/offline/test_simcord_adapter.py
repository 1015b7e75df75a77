"""SimCord's private attributes we rely on still exist (see bot/offline/_simcord.py).

If a SimCord release renames them, these fail with the attribute's name, and the
adapter is the one module to change.
"""

from __future__ import annotations

import datetime as dt
import inspect

import discord
import simcord
from discord.ext import commands

from bot.offline._simcord import start_clock_at


def a_bot() -> commands.Bot:
    return commands.Bot(command_prefix="!", intents=discord.Intents.none())


async def test_the_virtual_clock_can_start_at_a_chosen_instant() -> None:
    start = dt.datetime(2026, 11, 29, 20, 0, tzinfo=dt.UTC)
    env = simcord.Env(a_bot())
    start_clock_at(env, start)
    await env.start()
    try:
        assert env.now() == start
        await env.advance_time(90)
        assert env.now() == start + dt.timedelta(seconds=90)
    finally:
        await env.shutdown()


def test_the_preview_action_entry_point_is_where_we_wrap_it() -> None:
    from simcord.preview import Preview

    action = Preview._action
    assert inspect.iscoroutinefunction(action)
    assert list(inspect.signature(action).parameters)[:3] == ["self", "context_id", "body"]
