"""The real bot in SimCord, pointed at the loopback contract server.

`world` is a started SimCord env with one guild, a #plans channel, a member
(alice), a second member (bob) and a moderator (mod, Manage Messages). "Now" is
pinned (`NOW`, or `make_world(now=...)`) through the client's `now` seam. Tests
that need other settings call `make_world(VAR="value", ...)` with
environment-style overrides, so every bot here is built the way `python -m
bot` builds it: `Settings.from_env(mapping)` then `create_bot(settings)`. The
bots of a test remember their command syncs in one file under the test's
`tmp_path` (`World.sync_state_path`), never in the user's state directory.

Teardown closes the bot first (so `cog_unload` closes the plan client),
checks that every reply the bot sent carried `allowed_mentions` "none", then
shuts the env down and fails the test if the bot raised anything.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import discord
import pytest
import simcord

from bot.app import CoachPlansBot, create_bot
from bot.offline.world import closing_connector
from bot.plans import ClientArgs, CoachPlanClient
from bot.settings import Settings
from tests.contract_server import ContractServer

#: "Now" for every bot here unless a test pins another: a Tuesday session, 10:00 in New York.
#: Pinned through the client's own `now` seam, so no test depends on the day it runs.
NOW = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)

#: Above the bot's reply deadline, so a slow but legitimate fallback still settles.
SETTLE_MARGIN_SECONDS = 2.0
DEV_GUILD_ID = 123456789012345678


@dataclasses.dataclass
class World:
    env: simcord.Env
    bot: CoachPlansBot
    settings: Settings
    server: ContractServer
    guild: simcord.GuildHandle
    channel: simcord.ChannelHandle
    alice: simcord.MemberActor
    bob: simcord.MemberActor
    mod: simcord.MemberActor
    sync_state_path: Path
    client_args: ClientArgs
    _error_cursor: int = 0

    @property
    def client(self) -> CoachPlanClient:
        assert self.bot.plans is not None
        return self.bot.plans

    @property
    def today(self) -> str:
        return self.client.today().isoformat()

    def new_bot(self, *, sync: bool = False) -> CoachPlansBot:
        """A bot as a restarted process would build it: same settings, state file and seams."""
        return create_bot(
            self.settings, sync=sync, sync_state_path=self.sync_state_path, **self.client_args
        )

    async def restart(
        self, bot: CoachPlansBot | None = None, *, sync: bool = False
    ) -> CoachPlansBot:
        """Replace the bot with `bot` (default: `new_bot(sync=sync)`), as a restart would."""
        old, self.bot = self.bot, bot or self.new_bot(sync=sync)
        await old.close()
        await self.env.restart_bot(self.bot)
        return self.bot

    def take_errors(self) -> tuple[BaseException, ...]:
        """What the bot raised since the last call; teardown fails on any not taken."""
        errors = self.env.errors_since(self._error_cursor)
        self._error_cursor = self.env.error_cursor
        return errors

    def sent(self) -> list[dict[str, Any]]:
        """JSON bodies of the bot's replies (interaction callbacks and followups)."""
        out = []
        for entry in self.env.http_requests:
            if entry.method not in ("POST", "PATCH") or not isinstance(entry.json, dict):
                continue
            if "/interactions/" in entry.path and "/callback" in entry.path:
                body = entry.json.get("data")
                if entry.json.get("type") in (4, 7) and isinstance(body, dict):
                    out.append(body)
            elif entry.path.startswith("/webhooks/"):
                out.append(entry.json)
        return out


MakeWorld = Callable[..., Awaitable[World]]


@pytest.fixture
async def make_world(plan_server: ContractServer, tmp_path: Path) -> AsyncIterator[MakeWorld]:
    worlds: list[World] = []

    async def make(
        *,
        sync: bool = False,
        dev_guild: bool = False,
        client_args: ClientArgs | None = None,
        now: dt.datetime = NOW,
        **overrides: str,
    ) -> World:
        assert not worlds, "one SimCord env per test"
        environ = {"PLANS_API_URL": plan_server.url}
        if dev_guild:
            environ["DEV_GUILD_ID"] = str(DEV_GUILD_ID)
        environ.update(overrides)
        settings = Settings.from_env(environ, env_file=None)
        # Each API connection closed after use: SimCord waits on keep-alive timers too.
        args: ClientArgs = {"now": lambda: now, "connector_factory": closing_connector}
        args |= client_args or {}
        state = tmp_path / "state" / "command-sync.json"
        bot = create_bot(settings, sync=sync, sync_state_path=state, **args)
        env = simcord.Env(
            bot, settle_timeout=settings.reply_deadline_seconds + SETTLE_MARGIN_SECONDS
        )
        # The dev guild must exist before start-up, when the bot syncs its commands there.
        guild = env.create_guild("Trading Desk", id=DEV_GUILD_ID if dev_guild else None)
        await env.start()
        channel = guild.create_text_channel("plans")
        moderators = guild.create_role(
            "Moderators", permissions=discord.Permissions(manage_messages=True)
        )
        world = World(
            env=env,
            bot=bot,
            settings=settings,
            server=plan_server,
            guild=guild,
            channel=channel,
            alice=guild.add_member(env.create_user("alice")),
            bob=guild.add_member(env.create_user("bob")),
            mod=guild.add_member(env.create_user("mod"), roles=[moderators]),
            sync_state_path=state,
            client_args=args,
        )
        worlds.append(world)
        return world

    yield make
    for world in worlds:
        await world.bot.close()
        assert world.bot.plans is None, "cog_unload should have closed and dropped the client"
        for body in world.sent():
            assert body.get("allowed_mentions") == {"parse": []}, body
        await world.env.shutdown()
        unexpected = world.take_errors()
        if unexpected:
            raise BaseExceptionGroup("the bot raised during the test", list(unexpected))


@pytest.fixture
async def world(make_world: MakeWorld) -> World:
    return await make_world()
