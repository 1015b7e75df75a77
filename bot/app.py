"""The bot, built by one factory: `create_bot(settings)`.

`python -m bot`, the tests (in SimCord) and the offline mode all build it here,
so they run the same code. The bot owns the plan client: `setup_hook` builds it
(inside the running loop) from the settings' `ClientConfig`, then loads the
cogs, which receive it, and registers the slash commands (see
`CoachPlansBot.sync_commands` for the policy); `close()` closes it last.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal, Unpack, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.plans import ClientArgs, ClientConfig, CoachPlanClient
from bot.plans.config import split_args
from bot.settings import Settings
from cogs.render import error_text
from cogs.replies import answer_privately, new_error_id

log = logging.getLogger(__name__)

EXTENSIONS: Final = ("cogs.coach_plans",)
#: What the invite asks for: replies go through interactions, which need no
#: channel permission, but a server that restricts channels still lets these through.
INVITE_PERMISSIONS: Final = discord.Permissions(
    view_channel=True, send_messages=True, embed_links=True
)
INVITE_SCOPES: Final = ("bot", "applications.commands")
_OPTION_KEYS: Final = (
    "name", "description", "type", "required", "choices", "autocomplete", "options",
    "min_value", "max_value", "min_length", "max_length", "channel_types",
)  # fmt: skip

SyncResult = Literal["guild", "global", "unchanged"]


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
        error_id = new_error_id()
        log.error("error %s in an application command", error_id, exc_info=error)
        await answer_privately(interaction, error_text(error_id))


class CoachPlansBot(commands.Bot):
    """The Discord bot; `plans` is its plan client from `setup_hook` until `close()`."""

    def __init__(
        self,
        settings: Settings,
        *,
        sync: bool = False,
        config: ClientConfig,
        client_seams: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=PlansCommandTree,
        )
        self.settings = settings
        self.force_sync = sync
        self.client_config = config
        self._client_seams: ClientArgs = cast(ClientArgs, dict(client_seams or {}))
        #: The plan client, shared by the cogs and any other in-process code.
        self.plans: CoachPlanClient | None = None

    async def setup_hook(self) -> None:
        # Made here, inside the running loop, which the client's session belongs to.
        self.plans = CoachPlanClient(config=self.client_config, **self._client_seams)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self.sync_commands()

    async def close(self) -> None:
        """Unload the cogs and disconnect, then close the plan client."""
        try:
            await super().close()
        finally:
            client, self.plans = self.plans, None
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
        """Register the slash commands without manual steps.

        With `DEV_GUILD_ID`, copy them to that guild and sync there on every
        start: guild commands update instantly. Otherwise sync globally only
        when Discord's list differs from ours (or `--sync` forces it): global
        updates take a while to reach clients and are rate-limited, so an
        unchanged restart must not resend them.
        """
        if self.settings.dev_guild_id is not None:
            guild = discord.Object(self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d command(s) to dev guild %s", len(synced), guild.id)
            return "guild"
        ours = [command.to_dict(self.tree) for command in self.tree.get_commands()]
        if not self.force_sync:
            assert self.application_id is not None
            remote = await self.http.get_global_commands(self.application_id)
            if command_signatures(remote) == command_signatures(ours):
                log.info("global commands unchanged; not syncing (use --sync to force)")
                return "unchanged"
        synced = await self.tree.sync()
        log.info("synced %d global command(s)", len(synced))
        return "global"


def command_signatures(payloads: Iterable[Mapping[str, Any]]) -> list[str]:
    """What users see of each command, comparable between our tree and Discord's copy.

    Discord echoes extra keys (ids, versions, defaults such as `required:
    false`) and sends permissions as a string; only what we control counts.
    """

    def option(o: Mapping[str, Any]) -> dict[str, Any]:
        kept = {k: o[k] for k in _OPTION_KEYS if o.get(k) not in (None, False, [])}
        if "options" in kept:
            kept["options"] = [option(sub) for sub in kept["options"]]
        if "choices" in kept:
            kept["choices"] = [{"name": c["name"], "value": c["value"]} for c in kept["choices"]]
        return kept

    out = []
    for payload in payloads:
        perms = payload.get("default_member_permissions")
        signature = {
            "name": payload.get("name"),
            "description": payload.get("description"),
            "type": payload.get("type") or 1,
            "default_member_permissions": None if perms is None else str(perms),
            "options": [option(o) for o in payload.get("options") or []],
        }
        out.append(json.dumps(signature, sort_keys=True))
    return sorted(out)


def create_bot(
    settings: Settings,
    *,
    sync: bool = False,
    config: ClientConfig | None = None,
    **client_args: Unpack[ClientArgs],
) -> CoachPlansBot:
    """The bot for `settings`.

    `sync` forces a global command sync. The plan client is configured by
    `settings.client_config()` (or `config`), with `client_args` applied: more
    configuration (`connector_factory=`, which the offline mode and the tests
    use to close each connection after use) or runtime seams (`now=`,
    `session=`).
    """
    client_config, seams = split_args(None, config or settings.client_config(), client_args)
    return CoachPlansBot(settings, sync=sync, config=client_config, client_seams=seams)
