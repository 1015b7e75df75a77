"""The bot, built by one factory: `create_bot(settings)`.

`python -m bot`, the tests (in SimCord) and the offline mode all build it here,
so they run the same code: `setup_hook` loads the cogs, then registers the
slash commands (see `CoachPlansBot.sync_commands` for the policy).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.plans import CoachPlanClient
from bot.settings import Settings
from cogs.coach_plans import answer_privately, new_error_id
from cogs.render import error_text

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
    """The Discord bot; `plans` is the shared plan client while the cog is loaded."""

    def __init__(
        self, settings: Settings, *, sync: bool = False, plan_client_options: Mapping[str, Any]
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
        self.plan_client_options: dict[str, Any] = dict(plan_client_options)
        #: Set by the coach plans cog in `cog_load`; other in-process code shares it.
        self.plans: CoachPlanClient | None = None

    async def setup_hook(self) -> None:
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self.sync_commands()

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
    force_close: bool | None = None,
    client_options: Mapping[str, Any] | None = None,
) -> CoachPlansBot:
    """The bot for `settings`.

    `sync` forces a global command sync. `force_close` (default: the
    setting) closes each API connection after use: under SimCord an idle
    keep-alive timer would stall every action. `client_options` go to
    `CoachPlanClient` last (e.g. `session=` or `connector_factory=`).
    """
    options = settings.client_options()
    if force_close is not None:
        options["force_close"] = force_close
    options.update(client_options or {})
    return CoachPlansBot(settings, sync=sync, plan_client_options=options)
