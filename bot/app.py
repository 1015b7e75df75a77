"""The bot, built by one factory: `create_bot(settings)`.

`python -m bot`, the tests (in SimCord) and the offline mode all build it here,
so they run the same code. The bot owns the plan client: `setup_hook` builds it
(inside the running loop) from the settings' `ClientConfig`, then loads the
cogs, which receive it, and registers the slash commands (the policy is
`bot.command_sync`'s); `close()` closes it last.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Unpack, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.command_sync import SyncResult, sync_commands
from bot.plans import ClientArgs, ClientConfig, CoachPlanClient
from bot.plans.config import split_args
from bot.settings import Settings
from cogs.render.short import error_text
from cogs.replies import answer_privately, report_error

if TYPE_CHECKING:
    from bot.metrics_http import MetricsServer

log = logging.getLogger(__name__)

EXTENSIONS: Final = ("cogs.coach_plans", "cogs.history", "cogs.digest")
#: What the invite asks for: replies go through interactions, which need no
#: channel permission, but a server that restricts channels still lets these through;
#: the opening digest posts to its channel and reads its recent messages (no double post).
INVITE_PERMISSIONS: Final = discord.Permissions(
    view_channel=True, send_messages=True, embed_links=True, read_message_history=True
)
INVITE_SCOPES: Final = ("bot", "applications.commands")


def intents() -> discord.Intents:
    """Guilds only: slash commands need no privileged intent (no members, presences, content)."""
    return discord.Intents(guilds=True)


def invite_url(application_id: int) -> str:
    return discord.utils.oauth_url(
        application_id, permissions=INVITE_PERMISSIONS, scopes=INVITE_SCOPES
    )


class PlansCommandTree(app_commands.CommandTree["CoachPlansBot"]):
    """A tree whose last-resort error handler still answers the user."""

    async def on_error(
        self, interaction: discord.Interaction[CoachPlansBot], error: app_commands.AppCommandError
    ) -> None:
        if "error_id" in interaction.extras:
            return  # a cog already logged it and answered
        error_id = report_error(interaction, log, "an application command", error)
        await answer_privately(interaction, error_text(error_id))


class CoachPlansBot(commands.Bot):
    """The Discord bot; `plans` is its plan client from `setup_hook` until `close()`."""

    def __init__(
        self,
        settings: Settings,
        *,
        sync: bool = False,
        sync_state_path: Path | None = None,
        config: ClientConfig,
        client_seams: Mapping[str, Any] | None = None,
        **shard_options: Any,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=PlansCommandTree,
            **shard_options,
        )
        self.settings = settings
        self.force_sync = sync
        self.sync_state_path = sync_state_path
        self.client_config = config
        self._client_seams: ClientArgs = cast(ClientArgs, dict(client_seams or {}))
        #: The plan client, shared by the cogs and any other in-process code.
        self.plans: CoachPlanClient | None = None
        #: The /metrics page (`METRICS_ADDR`), from `setup_hook` until `close()`.
        self.metrics_server: MetricsServer | None = None

    async def setup_hook(self) -> None:
        # Made here, inside the running loop, which the client's session belongs to.
        self.plans = CoachPlanClient(config=self.client_config, **self._client_seams)
        if self.settings.metrics_addr is not None:
            await self._serve_metrics(self.plans, self.settings.metrics_addr)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self.sync_commands()

    async def _serve_metrics(self, client: CoachPlanClient, addr: str) -> None:
        # Imported here: prometheus-client is an optional extra, needed only with METRICS_ADDR.
        from bot.metrics_http import MetricsServer
        from bot.plans.prometheus import registry_for

        registry = registry_for(client.get_metrics, process=self.settings.process_name)
        self.metrics_server = MetricsServer(registry, addr)
        await self.metrics_server.start()

    async def close(self) -> None:
        """Unload the cogs and disconnect, then stop the metrics page and close the client."""
        try:
            await super().close()
        finally:
            server, self.metrics_server = self.metrics_server, None
            client, self.plans = self.plans, None
            try:
                if server is not None:
                    await server.close()
            finally:
                if client is not None:
                    await client.close()

    def require_plans(self) -> CoachPlanClient:
        """The plan client, for extensions loaded by `setup_hook` (after it exists)."""
        if self.plans is None:
            raise RuntimeError("the plan client exists only between setup_hook and close")
        return self.plans

    async def on_ready(self) -> None:
        assert self.user is not None
        log.info(
            "ready as %s (id %s) in %d guild(s); invite: %s",
            self.user, self.user.id, len(self.guilds), invite_url(self.user.id),
        )  # fmt: skip

    async def sync_commands(self) -> SyncResult:
        """Register the slash commands without manual steps (see `bot.command_sync`)."""
        return await sync_commands(
            self.tree,
            dev_guild_id=self.settings.dev_guild_id,
            force=self.force_sync,
            state_path=self.sync_state_path,
        )


class ShardedCoachPlansBot(CoachPlansBot, commands.AutoShardedBot):
    """The same bot over a subset of shards (`SHARD_COUNT`, `SHARD_IDS`): one process of
    several, which share one Redis cache (`PLANS_REDIS_URL`). discord.py's
    `AutoShardedBot` runs the shards; everything else is `CoachPlansBot`'s."""


def create_bot(
    settings: Settings,
    *,
    sync: bool = False,
    sync_state_path: Path | None = None,
    config: ClientConfig | None = None,
    **client_args: Unpack[ClientArgs],
) -> CoachPlansBot:
    """The bot for `settings`.

    `sync` forces a global command sync. `sync_state_path` is the file that
    remembers the last global sync (`bot.command_sync.default_state_path`
    gives the usual place); without one, nothing is remembered and every
    start without a dev guild syncs globally. The plan client is configured by
    `settings.client_config()` (or `config`), with `client_args` applied: more
    configuration (`connector_factory=`, which the offline mode and the tests
    use to close each connection after use) or runtime seams (`now=`,
    `session=`).
    """
    client_config, seams = split_args(None, config or settings.client_config(), client_args)
    cls, shard_options = CoachPlansBot, {}
    if settings.shards is not None:
        cls = ShardedCoachPlansBot
        ids = settings.shards.ids
        shard_options = {
            "shard_count": settings.shards.count,
            "shard_ids": None if ids is None else list(ids),  # discord.py expects a list
        }
    return cls(
        settings,
        sync=sync,
        sync_state_path=sync_state_path,
        config=client_config,
        client_seams=seams,
        **shard_options,
    )
