"""The offline world: the real bot in a SimCord guild, with the reference API behind it.

The bot is built by the same factory as a real run (`create_bot`), from the
same settings (`Settings.from_env`), with four differences that need no
change to the bot: no token, the API URL replaced by a local reference API
with demo data (or by the `api_url` given), connections closed after use,
since SimCord waits on every pending timer, an idle keep-alive one included,
and one clock for the whole world.

The clock: SimCord's virtual clock starts at the session's start (the wall
clock, or `--now`), and the plan client's and the demo API's "now" read it,
so the bot, the API and the messages agree on what day it is. It moves only
by the bot's own timers, which keeps `--run` deterministic; with
`follow_wall_clock` (the interactive modes) it is brought up to the wall
clock before each action, so rate limits unlock and every message carries
the time it was sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self, TypeVar
from zoneinfo import ZoneInfo

import aiohttp
import discord
import simcord
from simcord import SetupError

from bot.app import CoachPlansBot, create_bot
from bot.offline._simcord import serialize_page_actions, start_clock_at
from bot.offline.commandline import CommandCall
from bot.reference_api import demo_chart_assets, serve
from bot.settings import Settings

log = logging.getLogger(__name__)

#: Above the bot's 8 s reply deadline, so a slow but legitimate fallback still settles.
SETTLE_TIMEOUT_SECONDS: Final = 12.0
#: How long a console command waits for a page action (or the reverse) to finish.
BUSY_WAIT_SECONDS: Final = 30.0
GUILD_NAME: Final = "Trading Desk"
CHANNEL_NAME: Final = "coach-plans"
#: The smallest lag worth an `advance_time` (each one settles the world).
MIN_CLOCK_STEP_SECONDS: Final = 0.5
#: The demo's plans are posted on New York's clock, whatever the API's zone.
MARKET_ZONE: Final = ZoneInfo("America/New_York")
BOT_NAME: Final = "Coach Plans"
T = TypeVar("T")


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    """What one command produced: the reply parts, or why there was none.

    `fallbacks` counts the answers the plan client made up while the command
    ran because the API failed (a fallback, or an old copy marked stale). It
    comes from the client's own counters, not from how the reply looks, so a
    change of wording or colour in the cog cannot hide a failure from `--run`.
    """

    call: CommandCall
    actor: str
    content: str = ""
    embeds: tuple[discord.Embed, ...] = ()
    #: The message's component rows as Discord sends them (buttons, selects).
    components: tuple[dict[str, Any], ...] = ()
    ephemeral: bool = False
    problem: str | None = None
    fallbacks: int = 0

    @property
    def failed(self) -> bool:
        return self.problem is not None or self.fallbacks > 0


class OfflineWorld:
    """A guild with #coach-plans, a moderator and a member, and the real bot in it."""

    def __init__(
        self,
        settings: Settings,
        *,
        api_url: str | None = None,
        now: dt.datetime | None = None,
        follow_wall_clock: bool = False,
    ) -> None:
        self._base_settings = settings
        self._api_url = api_url
        #: True when the plans come from our own demo API (no `api_url` given).
        self.demo = api_url is None
        self.started_at = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        self._wall_started_at = dt.datetime.now(dt.UTC)
        self.follow_wall_clock = follow_wall_clock
        self._env: simcord.Env | None = None
        self._stack = contextlib.AsyncExitStack()
        # One action at a time per SimCord world: console commands and page actions
        # take turns through this lock instead of failing on each other.
        self.lock = asyncio.Lock()
        self.assets: dict[str, tuple[str, bytes]] = {}
        self.preview: Any = None

    async def __aenter__(self) -> Self:
        try:
            await self._start()
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._stack.aclose()

    async def _start(self) -> None:
        api_url = self._api_url
        if api_url is None:
            folder = self._stack.enter_context(tempfile.TemporaryDirectory(prefix="coach-plans-"))
            zone = ZoneInfo(self._base_settings.api_timezone)
            market_today = self.started_at.astimezone(MARKET_ZONE).date()
            server = await self._stack.enter_async_context(
                serve(
                    Path(folder) / "coach_plans.db",
                    demo=True,
                    demo_today=market_today,
                    now=lambda: self.now().astimezone(zone).replace(tzinfo=None),
                    timezone=self._base_settings.api_timezone,
                )
            )
            api_url = server.url
            self.assets = demo_chart_assets(api_url, today=market_today)
            log.info("reference API with demo plans on %s", api_url)
        self.api_url = api_url
        self.settings = dataclasses.replace(
            self._base_settings, discord_token=None, plans_api_url=api_url
        )
        self.bot: CoachPlansBot = create_bot(
            self.settings, now=self.now, connector_factory=closing_connector
        )
        self._env = env = simcord.Env(
            self.bot, settle_timeout=SETTLE_TIMEOUT_SECONDS, check_errors=False
        )
        start_clock_at(env, self.started_at)
        await env.start()
        # Unwound last-in first-out: close the bot (cog_unload closes the client),
        # shut the world down, then leave its clock.
        self._stack.enter_context(env.time_context())
        self._stack.push_async_callback(env.shutdown)
        self._stack.push_async_callback(self.bot.close)
        if self.bot.user is not None:  # SimCord's bot user is "TestBot"; show ours
            await self.bot.user.edit(username=BOT_NAME)
        guild = env.create_guild(GUILD_NAME, id=self.settings.dev_guild_id)
        self.channel = guild.create_text_channel(
            CHANNEL_NAME, topic="Daily trading plans from our coaches"
        )
        mod_role = guild.create_role(
            self.settings.moderator_role or "Moderator",
            permissions=discord.Permissions(manage_messages=True),
        )
        self.moderator = guild.add_member(
            env.create_user("morgan", global_name="Morgan (moderator)"), roles=[mod_role]
        )
        self.member = guild.add_member(env.create_user("riley", global_name="Riley (member)"))
        self.actors = {"member": self.member, "moderator": self.moderator}
        # Let the member *try* /clearcache so the bot's own polite refusal can be seen;
        # without this override Discord (and SimCord) would hide the command from them.
        for command in await self.bot.tree.fetch_commands():
            if command.name == "clearcache":
                guild.set_command_permissions(command, {self.member: True})

    async def run(self, actor_name: str, call: CommandCall) -> Outcome:
        """Run one slash command as `actor_name`, waiting for any page action to finish."""
        actor = self.actors[actor_name]
        cursor = self.env.error_cursor

        async def slash() -> tuple[simcord.InteractionResult, int]:
            before = self.fallbacks_so_far()  # inside the lock: no page action in between
            result = await actor.slash(self.channel, call.name, **call.options)
            return result, self.fallbacks_so_far() - before

        try:
            result, fallbacks = await self._exclusive(slash)
        except SetupError as exc:
            return Outcome(call, actor_name, problem=_setup_problem(str(exc), call))
        except TimeoutError:
            return Outcome(call, actor_name, problem="the bot did not finish in time")
        except ValueError as exc:  # SimCord's option errors: a value the command refuses
            return Outcome(call, actor_name, problem=str(exc))
        errors = self.env.errors_since(cursor)
        response = result.response
        if response is None:
            problem = "the bot did not answer"
            if errors:
                problem += f" ({type(errors[0]).__name__})"
            return Outcome(call, actor_name, problem=problem)
        return Outcome(
            call,
            actor_name,
            content=response.content,
            embeds=tuple(response.embeds),
            components=tuple(response.components),
            ephemeral=response.ephemeral,
            problem=f"the bot raised {type(errors[0]).__name__}" if errors else None,
            fallbacks=fallbacks,
        )

    def fallbacks_so_far(self) -> int:
        """Answers the plan client gave without the API so far: fallbacks and stale copies."""
        client = self.bot.plans
        if client is None:
            return 0
        counted = client.get_metrics()["requests"]
        return int(counted["fallbacks"]) + int(counted["stale_served"])

    async def refresh_page(self) -> None:
        """Show console actions on an open page (it re-reads state every 500 ms)."""
        if self.preview is not None:
            await self._exclusive(self.preview.refresh)

    @property
    def env(self) -> simcord.Env:
        if self._env is None:
            raise RuntimeError("the offline world has not started")
        return self._env

    def now(self) -> dt.datetime:
        """The world's instant: SimCord's clock once it runs, the start before that."""
        if self._env is None:
            return self.started_at
        return self._env.now()

    async def catch_up_with_wall_clock(self) -> None:
        """Move the simulated clock to the wall clock (same offset as at the start).

        Call with the lock held: advancing is a SimCord operation, and it fires
        the bot's timers that fall due on the way, as time passing would.
        """
        if not self.follow_wall_clock or self._env is None:
            return
        target = self.started_at + (dt.datetime.now(dt.UTC) - self._wall_started_at)
        lag = (target - self.env.now()).total_seconds()
        if lag >= MIN_CLOCK_STEP_SECONDS:
            await self.env.advance_time(lag)

    async def _exclusive(self, action: Callable[[], Awaitable[T]]) -> T:
        async with asyncio.timeout(BUSY_WAIT_SECONDS):
            await self.lock.acquire()
        try:
            await self.catch_up_with_wall_clock()
            return await action()
        finally:
            self.lock.release()

    @contextlib.asynccontextmanager
    async def page(self, *, port: int | None = None) -> Any:
        """SimCord's Preview of #coach-plans for both viewers, sharing our lock."""
        async with self.env.preview(
            self.channel,
            viewers=[self.member, self.moderator],
            layout="channel",
            assets=self.assets or None,
            timezone=self.settings.timezone,
            port=port,
        ) as preview:
            serialize_page_actions(preview, self.lock, self.catch_up_with_wall_clock)
            self.preview = preview
            try:
                yield preview
            finally:
                self.preview = None


def closing_connector() -> aiohttp.BaseConnector:
    """A connector that closes each API connection after use: SimCord waits on every
    pending timer, an idle keep-alive one included."""
    return aiohttp.TCPConnector(force_close=True)


def _setup_problem(message: str, call: CommandCall) -> str:
    if "not visible" in message:
        return f"/{call.name} is not available to this user here"
    if "overlaps" in message:
        return "another action is running; try again"
    return message.split("\n", 1)[0]
