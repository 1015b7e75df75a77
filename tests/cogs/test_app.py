"""The bot as a whole (`bot/app.py`): command sync, intents, the shared client, safety nets.

Command sync (`bot.command_sync`) is tested here, through restarts of the real
bot in SimCord; its pure parts (digest, state path) in `tests/test_command_sync.py`.

It lives beside the cog tests because it drives the same SimCord world.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands

from bot.app import create_bot, intents, invite_url
from bot.command_sync import commands_digest, global_payloads, load_records, save_records
from bot.offline.world import closing_connector
from bot.plans import CoachPlanClient
from bot.plans.market import market_calendar
from bot.settings import Settings
from cogs.render import one_plan, parts
from tests.cogs.conftest import DEV_GUILD_ID, MakeWorld, World
from tests.contract_server import ContractServer
from tests.loop_time import LoopClock, finished

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GAbCdE.s3cr3t-t0k3n_value_ABCDEFGHIJKLMNOPQRSTUV"


def command_puts(world: World) -> list[str]:
    return [e.path for e in world.env.http_requests if e.method == "PUT" and "/commands" in e.path]


# -- command sync ------------------------------------------------------------------
def recorded_digest(world: World) -> str | None:
    return load_records(world.sync_state_path).get(str(world.bot.application_id))


def probe(*, description: str = "a probe", nsfw: bool = False, guild_only: bool = False) -> Any:
    """One extra command, built fresh for each bot, differing only where a test says."""

    @app_commands.command(name="probe", description=description, nsfw=nsfw)
    async def probe(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("probed", ephemeral=True)

    return app_commands.guild_only(probe) if guild_only else probe


async def restart_with(world: World, command: Any) -> int:
    """Restart with `command` added to the new bot's tree; return how many syncs it made."""
    bot = world.new_bot()
    bot.tree.add_command(command)
    before = len(command_puts(world))
    await world.restart(bot)
    return len(command_puts(world)) - before


async def test_first_start_syncs_global_commands_and_a_restart_does_not(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Global sync only when our payloads changed since the last one: restarts cost no sync."""
    assert len(command_puts(world)) == 1 and "/guilds/" not in command_puts(world)[0]
    assert recorded_digest(world) == commands_digest(await global_payloads(world.bot.tree))

    with caplog.at_level(logging.INFO, logger="bot.command_sync"):
        await world.restart()

    assert len(command_puts(world)) == 1
    assert "global commands unchanged since the last sync" in caplog.text
    assert "plan" in world.alice.available_commands(world.channel)


async def test_sync_flag_forces_a_global_sync(world: World) -> None:
    """`--sync` resends the commands even when nothing changed."""
    await world.restart(sync=True)

    assert len(command_puts(world)) == 2


@pytest.mark.parametrize(
    ("old", "new"),
    [({"guild_only": True}, {}), ({}, {"description": "a sharper probe"})],
    ids=["guild-only-removed", "description-changed"],
)
async def test_any_payload_change_syncs_at_the_next_start(
    world: World, old: dict[str, Any], new: dict[str, Any]
) -> None:
    """The whole payload counts: the old key list missed `guild_only` (and `nsfw`).

    `nsfw` is checked on the digest alone (`tests/test_command_sync.py`): SimCord
    3.2 answers a command payload carrying it with 501 "does not implement".
    """
    assert await restart_with(world, probe(**old)) == 1  # a new command
    assert await restart_with(world, probe(**old)) == 0  # the same again

    assert await restart_with(world, probe(**new)) == 1
    assert await restart_with(world, probe(**new)) == 0


async def test_a_corrupt_state_file_means_sync_and_is_rewritten(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Unsure whether Discord has our commands, the bot sends them and starts a fresh record."""
    digest = recorded_digest(world)
    world.sync_state_path.write_bytes(b'\x00{"global_commands": ')

    with caplog.at_level(logging.WARNING, logger="bot.command_sync"):
        await world.restart()

    assert len(command_puts(world)) == 2
    assert "is corrupt" in caplog.text
    assert recorded_digest(world) == digest
    await world.restart()
    assert len(command_puts(world)) == 2


async def test_a_record_is_per_application(world: World) -> None:
    """Another application's record (a second bot sharing the file) neither stops nor goes."""
    digest = recorded_digest(world)
    assert digest is not None
    save_records(world.sync_state_path, {"42": digest})

    await world.restart()

    assert len(command_puts(world)) == 2
    assert load_records(world.sync_state_path) == {
        "42": digest,
        str(world.bot.application_id): digest,
    }


async def test_a_state_file_that_cannot_be_read_or_written_still_syncs_and_starts(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.sync_state_path.unlink()
    world.sync_state_path.mkdir()  # reading and replacing it both fail

    with caplog.at_level(logging.WARNING, logger="bot.command_sync"):
        await world.restart()

    assert len(command_puts(world)) == 2
    assert "cannot read the command sync state" in caplog.text
    assert "the next start syncs again" in caplog.text
    assert "plan" in world.alice.available_commands(world.channel)


async def test_without_a_state_file_every_start_syncs(world: World) -> None:
    """No memory configured (the factory's default): syncing is the safe answer."""
    await world.restart(create_bot(world.settings, **world.client_args))
    await world.restart(create_bot(world.settings, **world.client_args))

    assert len(command_puts(world)) == 3


async def test_dev_guild_gets_its_commands_at_every_start(make_world: MakeWorld) -> None:
    """With DEV_GUILD_ID, commands go to that guild (instant) and never globally."""
    world = await make_world(dev_guild=True)
    await world.restart()

    guild_path = f"/applications/{world.bot.application_id}/guilds/{DEV_GUILD_ID}/commands"
    assert command_puts(world) == [guild_path, guild_path]
    assert {"plan", "plans", "cachestats"} <= set(world.alice.available_commands(world.channel))
    assert not world.sync_state_path.exists()


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
    assert "permissions=84992" in url


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
    embed = one_plan.plan_embed(plan, "Day Trading", calendar=market_calendar())
    assert embed.description == parts.FAILURE_TEXT["timeout"]
    await bot.close()
