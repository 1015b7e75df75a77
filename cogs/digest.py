"""The opening digest: the /plans overview of the session, posted at `DIGEST_TIME`; /digest.

With `DIGEST_CHANNEL_ID` set, discord.py's `tasks.loop(time=...)` wakes the
cog at `DIGEST_TIME` in the market's zone every day (a `ZoneInfo` time, so
daylight saving time does not move it). What to do then reads the plan
client's clock (`client.now()`, which tests and the offline mode pin):
nothing on a weekend or a holiday; on a session, the overview of that session,
unless the channel's recent messages already hold the bot's digest of it (a
restart must not post twice). A bot that starts after `DIGEST_TIME` while the
session is open posts the digest it missed, under the same check.

Only the digest pings, and only its role (`DIGEST_ROLE_ID`): its message
carries `allowed_mentions` for that one role; everything else the bot sends
keeps `AllowedMentions.none()`. A channel that is missing or that the bot may
not post in gets one clear warning per attempt in the log, never a crash:
an exception escaping the loop would end it for good.

/digest (moderators) shows the next digest and what would stop it, and with
`post_now` posts a test digest of the current session, which pings no one
and does not count as that session's digest.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import TYPE_CHECKING, Final

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.digest import DEFAULT_DIGEST_TIME, missed_session, next_digest_at, session_due
from bot.plans import CoachPlanClient
from cogs.moderators import is_moderator
from cogs.render import digest as words
from cogs.render import overview
from cogs.replies import NO_MENTIONS, Reply, answer, replying

if TYPE_CHECKING:
    from bot.app import CoachPlansBot

    Interaction = discord.Interaction[CoachPlansBot]

log = logging.getLogger(__name__)

#: Messages searched for an earlier digest of the session: one history request,
#: of the messages since the session day's midnight, oldest first.
HISTORY_LOOKBACK_MESSAGES: Final = 100
#: What posting the digest needs in its channel (history: to find an earlier digest).
REQUIRED_PERMISSIONS: Final = (
    "view_channel",
    "send_messages",
    "embed_links",
    "read_message_history",
)


@dataclasses.dataclass(frozen=True, slots=True)
class Target:
    """Where the digest goes, and whom it pings (None: no one)."""

    channel: discord.TextChannel
    role_id: int | None
    #: What does not stop the post but should be fixed (an unknown or silent role).
    warnings: tuple[str, ...] = ()


class Digest(commands.Cog, name="Opening digest"):
    """Posts the opening digest on schedule; /digest. The bot owns the plan client."""

    def __init__(self, bot: CoachPlansBot, client: CoachPlanClient) -> None:
        self.bot = bot
        self.client = client
        self.settings = bot.settings
        self.channel_id = bot.settings.digest_channel_id
        self.at = bot.settings.digest_time
        self.scheduled.change_interval(time=self.at.replace(tzinfo=client.calendar.zone))

    async def cog_load(self) -> None:
        if self.channel_id is not None:
            self.scheduled.start()

    async def cog_unload(self) -> None:
        self.scheduled.cancel()

    # -- the schedule --------------------------------------------------------------
    @tasks.loop(time=DEFAULT_DIGEST_TIME)  # replaced in __init__ by DIGEST_TIME, market zone
    async def scheduled(self) -> None:
        now = self.client.now()
        day = session_due(now, self.client.calendar)
        if day is None:
            why = self.client.calendar.market_day(self.client.calendar.local_date(now))
            log.info("no opening digest today: markets are closed (%s)", why.closed_reason)
            return
        await self.post_once(day)

    @scheduled.before_loop
    async def _catch_up(self) -> None:
        """Check the set-up once at start (a warning now, not at 09:00), and post a
        digest missed while the bot was down."""
        await self.bot.wait_until_ready()
        day = missed_session(self.client.now(), self.client.calendar, self.at)
        if day is not None:
            log.info("opening digest of %s was due at %s: posting it now", day, self.at)
            await self.post_once(day)
            return
        try:
            await self._target_or_warn()
        except Exception:  # an exception here would stop the loop before it ever ran
            log.warning("opening digest: could not check its channel", exc_info=True)

    async def post_once(self, day: dt.date) -> None:
        """Post the digest of `day` unless the channel has it; log, never raise."""
        try:
            target = await self._target_or_warn()
            if target is None:
                return
            if await self._already_posted(target.channel, day):
                log.info("opening digest of %s already posted in #%s", day, target.channel)
                return
            await self._post(target, day, test=False)
        except discord.HTTPException as exc:
            log.warning(
                "opening digest of %s not posted: Discord answered %s %s",
                day, exc.status, exc.text[:200],
            )  # fmt: skip
        except Exception:
            log.exception("opening digest of %s not posted: unexpected error", day)

    # -- /digest -------------------------------------------------------------------
    @app_commands.command(name="digest")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_messages=True)
    @app_commands.describe(
        post_now="Post a test digest of the current session now (it pings no one)"
    )
    async def digest(self, interaction: Interaction, post_now: bool = False) -> None:
        """Show when the opening digest is posted next, or post a test one (moderators only)."""
        async with replying(interaction, log) as call:
            if not is_moderator(interaction, self.settings.moderator_role):
                raise Reply(words.refusal_text(), "refused")
            if self.channel_id is None:
                text = words.off_text(self.at, self.client.calendar)
                await answer(interaction, text, ephemeral=True)
                call.outcome = "off"
                return
            if post_now:  # the plans may take a while
                await interaction.response.defer(ephemeral=True, thinking=True)
            target, problem = await self._target()
            if target is None and problem is None:
                problem = words.other_process_text(self.channel_id)
            if not post_now:
                problems = [problem] if problem else list(target.warnings if target else ())
                await answer(interaction, self._status(problems), ephemeral=True)
                call.outcome = "status"
            elif target is None:
                assert problem is not None
                await answer(interaction, words.not_posted_text(problem), ephemeral=True)
                call.outcome = "not posted"
            else:
                day = self.client.today()
                await self._post(target, day, test=True)
                text = words.posted_text(target.channel.id, self.client.calendar, day)
                await answer(interaction, text, ephemeral=True)
                call.outcome = f"test digest of {day}"

    def _status(self, problems: list[str]) -> str:
        assert self.channel_id is not None
        return words.status_text(
            next_at=next_digest_at(self.client.now(), self.client.calendar, self.at),
            calendar=self.client.calendar,
            channel_id=self.channel_id,
            role_id=self.settings.digest_role_id,
            problems=problems,
        )

    # -- the channel -----------------------------------------------------------------
    async def _target_or_warn(self) -> Target | None:
        """The target, or None after one warning saying what to fix (none when another
        process of a sharded fleet posts the digest)."""
        target, problem = await self._target()
        if problem is not None:
            log.warning("opening digest cannot be posted: %s", problem)
        for warning in target.warnings if target else ():
            log.warning("opening digest: %s", warning)
        return target

    async def _target(self) -> tuple[Target | None, str | None]:
        """Where to post, or None and why not. A channel of a guild another process of a
        sharded fleet runs is that process's to post in: None, with no problem."""
        assert self.channel_id is not None
        channel = self.bot.get_channel(self.channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(self.channel_id)
            except (discord.NotFound, discord.Forbidden):
                return None, words.channel_missing_text(self.channel_id)
            if isinstance(channel, discord.abc.GuildChannel) and not self._runs_guild(
                channel.guild.id
            ):
                log.debug("digest channel %s is another shard's", self.channel_id)
                return None, None
        if not isinstance(channel, discord.TextChannel):
            return None, words.not_text_channel_text(self.channel_id)
        me = channel.guild.me
        if me is None:
            return None, words.channel_missing_text(self.channel_id)
        granted = channel.permissions_for(me)
        missing = [name for name in REQUIRED_PERMISSIONS if not getattr(granted, name)]
        if missing:
            return None, words.missing_permissions_text(self.channel_id, missing)
        role_id, warnings = self.settings.digest_role_id, []
        if role_id is not None:
            role = channel.guild.get_role(role_id)
            if role is None:
                warnings, role_id = [words.role_missing_text(role_id)], None
            elif not role.mentionable and not granted.mention_everyone:
                warnings = [words.role_silent_text(role_id)]
        return Target(channel, role_id, tuple(warnings)), None

    def _runs_guild(self, guild_id: int) -> bool:
        """Whether this process runs the shard of `guild_id` (always, unsharded)."""
        count, ids = self.bot.shard_count, getattr(self.bot, "shard_ids", None)
        return count is None or ids is None or (guild_id >> 22) % count in ids

    async def _already_posted(self, channel: discord.TextChannel, day: dt.date) -> bool:
        me = self.bot.user
        assert me is not None
        midnight = dt.datetime.combine(day, dt.time(), tzinfo=self.client.calendar.zone)
        async for message in channel.history(limit=HISTORY_LOOKBACK_MESSAGES, after=midnight):
            if message.author.id == me.id and words.is_digest_of(message.content, day):
                return True
        return False

    async def _post(self, target: Target, day: dt.date, *, test: bool) -> None:
        calendar = self.client.calendar
        plans = await self.client.fetch_all_coach_plans(day)
        embed = overview.plans_embed(
            plans, self.settings.coach_names, day, calendar=calendar, now=self.client.now()
        )
        role_id = target.role_id
        content = words.digest_content(calendar, day, role_id=role_id, test=test)
        mentions = NO_MENTIONS
        if role_id is not None and not test:  # the one reply that pings: its role only
            mentions = discord.AllowedMentions(
                everyone=False, users=False, roles=[discord.Object(role_id)], replied_user=False
            )
        message = await target.channel.send(content, embed=embed, allowed_mentions=mentions)
        log.info(
            "%s digest of %s posted in #%s (message %s)",
            "test" if test else "opening", day, target.channel, message.id,
        )  # fmt: skip


async def setup(bot: CoachPlansBot) -> None:
    await bot.add_cog(Digest(bot, bot.require_plans()))
