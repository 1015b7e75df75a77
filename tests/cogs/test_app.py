"""The bot as a whole (`bot/app.py`): command sync policy, intents, the shared client, safety nets.

It lives beside the cog tests because it drives the same SimCord world.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys

import aiohttp
import discord
import pytest
from discord import app_commands

from bot.app import command_signatures, create_bot, intents, invite_url
from bot.offline.world import closing_connector
from bot.plans import CoachPlanClient
from bot.plans.market import market_calendar
from bot.settings import Settings
from cogs import render
from tests.cogs.conftest import DEV_GUILD_ID, MakeWorld, World
from tests.contract_server import ContractServer
from tests.loop_time import LoopClock, finished

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GAbCdE.s3cr3t-t0k3n_value_ABCDEFGHIJKLMNOPQRSTUV"


def command_puts(world: World) -> list[str]:
    return [e.path for e in world.env.http_requests if e.method == "PUT" and "/commands" in e.path]


# -- command sync ------------------------------------------------------------------
async def test_first_start_syncs_global_commands_and_a_restart_does_not(world: World) -> None:
    """Global sync only when Discord's list differs from ours: restarts cost no sync."""
    assert len(command_puts(world)) == 1 and "/guilds/" not in command_puts(world)[0]

    await world.restart()

    assert len(command_puts(world)) == 1
    assert "plan" in world.alice.available_commands(world.channel)


async def test_sync_flag_forces_a_global_sync(world: World) -> None:
    """`--sync` resends the commands even when nothing changed."""
    await world.restart(sync=True)

    assert len(command_puts(world)) == 2


async def test_dev_guild_gets_its_commands_at_every_start(make_world: MakeWorld) -> None:
    """With DEV_GUILD_ID, commands go to that guild (instant) and never globally."""
    world = await make_world(dev_guild=True)

    assert command_puts(world) == [
        f"/applications/{world.bot.application_id}/guilds/{DEV_GUILD_ID}/commands"
    ]
    assert {"plan", "plans", "cachestats"} <= set(world.alice.available_commands(world.channel))


def test_command_signatures_ignore_discord_echo_but_see_real_changes() -> None:
    """Ids, versions and `required: false` from Discord do not count as changes."""
    ours = [
        {
            "name": "plan",
            "description": "d",
            "type": 1,
            "default_member_permissions": 8192,
            "options": [{"name": "date", "type": 3, "description": "x", "required": False}],
        }
    ]
    theirs = [
        {
            "id": "1",
            "version": "2",
            "name": "plan",
            "description": "d",
            "type": 1,
            "default_member_permissions": "8192",
            "dm_permission": True,
            "options": [{"name": "date", "type": 3, "description": "x"}],
        }
    ]
    changed = [{**theirs[0], "description": "new"}]

    assert command_signatures(ours) == command_signatures(theirs)
    assert command_signatures(ours) != command_signatures(changed)


# -- the bot -----------------------------------------------------------------------
def test_no_privileged_intents_and_no_pings_by_default() -> None:
    """Slash commands need no member, presence or message-content intent."""
    bot = create_bot(Settings())
    assert not (bot.intents.members or bot.intents.presences or bot.intents.message_content)
    assert bot.intents == intents()
    assert bot.allowed_mentions is not None
    assert bot.allowed_mentions.to_dict() == discord.AllowedMentions.none().to_dict()


def test_invite_url_asks_for_both_scopes_and_the_documented_permissions() -> None:
    url = invite_url(1234)
    assert "client_id=1234" in url and "scope=bot+applications.commands" in url
    assert "permissions=19456" in url


async def test_the_bot_owns_the_client_and_the_cog_receives_it(world: World) -> None:
    """One client on `bot.plans`, handed to the cog; only the bot's close() closes it."""
    cog = world.bot.get_cog("Coach plans")
    client = world.client
    assert getattr(cog, "client", None) is client

    await world.bot.remove_cog("Coach plans")
    assert world.bot.plans is client and client.peek_fresh("d") is None  # still open

    await world.bot.close()
    assert world.bot.plans is None
    with pytest.raises(RuntimeError, match="closed"):
        await client.fetch_coach_plan("d")


def test_the_client_config_comes_from_settings_and_the_factory() -> None:
    """Settings build the ClientConfig; the factory's arguments add to it, typed."""
    bot = create_bot(Settings(cache_ttl_seconds=42.0))
    assert bot.client_config == Settings(cache_ttl_seconds=42.0).client_config()
    assert bot.client_config.cache_ttl_seconds == 42.0 and bot.plans is None
    factory = closing_connector
    other = create_bot(Settings(), connector_factory=factory, max_concurrency=3)
    assert other.client_config.connector_factory is factory
    assert other.client_config.max_concurrency == 3
    with pytest.raises(ValueError, match="max_concurrency must be"):
        create_bot(Settings(), max_concurrency=0)


def test_the_app_module_imports_no_extension() -> None:
    """load_extension runs the cog's module; bot.app importing it too would run it twice."""
    code = "import sys, bot.app; print(sorted(m for m in sys.modules if m.startswith('cogs.')))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    assert "cogs.coach_plans" not in out, out


async def test_an_external_session_is_used_and_left_open(make_world: MakeWorld) -> None:
    """Whoever creates the session closes it: the bot closing leaves ours open."""
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        world = await make_world(client_args={"session": session})
        world.server.add_plan("d", world.today)

        await world.alice.slash(world.channel, "plan", coach="d")
        await world.bot.close()

        assert world.server.requests_to("plan") == 1
        assert not session.closed


async def test_error_outside_the_cog_still_gets_an_answer_with_an_id(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """The tree's last-resort handler answers even for a command no cog guards."""

    @app_commands.command(name="boom", description="fails")
    async def boom(interaction: discord.Interaction) -> None:
        raise RuntimeError("kaput")

    world.bot.tree.add_command(boom)
    await world.bot.tree.sync()

    with caplog.at_level(logging.ERROR, logger="bot.app"):
        result = await world.alice.slash(world.channel, "boom")

    assert result.response is not None and result.ephemeral
    assert result.response.content.startswith("Something went wrong on our side (error id `")
    error_id = result.response.content.split("`")[1]
    assert any(error_id in r.getMessage() for r in caplog.records)
    assert [type(e) for e in world.take_errors()] == [app_commands.CommandInvokeError]


async def test_token_never_appears_in_the_logs_of_a_run(
    make_world: MakeWorld, caplog: pytest.LogCaptureFixture
) -> None:
    """From start-up to commands, at DEBUG, nothing logs the token."""
    with caplog.at_level(logging.DEBUG):
        world = await make_world(DISCORD_TOKEN=TOKEN, LOG_LEVEL="DEBUG")
        logging.getLogger("tests").info("settings: %r", world.settings)
        world.server.add_plan("d", world.today)
        await world.alice.slash(world.channel, "plan", coach="d")
        await world.mod.slash(world.channel, "clearcache")

    assert caplog.records
    for part in TOKEN.split("."):
        assert part not in caplog.text


@pytest.mark.parametrize("reply_deadline", ["4", "8"])  # 8: the default; past aiohttp's 5 s
async def test_hanging_api_answers_within_the_reply_deadline(
    plan_server: ContractServer, reply_deadline: str
) -> None:
    """The client the cog builds, called as the cog calls it, gives up before the deadline.

    Not in SimCord: a socket that never answers stalls SimCord's settling (its
    virtual clock cannot move while real I/O is pending), so the deadline's
    timer could never fire there. Here the client's clock and its timers are the
    loop's, stopped: once the test has moved it by the reply deadline, the answer
    must be there without any more time passing, however slow the machine. The
    call starts 0.8 into a second, where rounding a timer up costs the most.
    """
    settings = Settings.from_env(
        {"PLANS_API_URL": plan_server.url, "REPLY_DEADLINE_SECONDS": reply_deadline},
        env_file=None,
    )
    bot = create_bot(settings, connector_factory=closing_connector)
    plan_server.fail("hang", endpoint="plan")
    clock = LoopClock.install()

    async with CoachPlanClient(config=bot.client_config, clock=clock, sleep=clock.sleep) as client:
        with clock.frozen():
            clock.skip((0.8 - clock()) % 1)
            call = asyncio.ensure_future(
                client.fetch_coach_plan("d", deadline=settings.fetch_deadline_seconds)
            )
            await plan_server.in_flight_at_least(1)
            clock.skip(settings.reply_deadline_seconds)
            plan = await finished(call)

    assert plan.error == "timeout"
    embed = render.plan_embed(plan, "Day Trading", calendar=market_calendar())
    assert embed.description == render.cut(plan.plan, render.DESCRIPTION_LIMIT)
    await bot.close()
