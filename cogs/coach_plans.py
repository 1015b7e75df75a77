"""/plan, /plans, /cachestats and /clearcache: coach plans through one shared client.

Each command is thin: parse its options, check the user's rate limit, defer,
make one client call, render, send. Expected outcomes (bad input, rate limit,
refusal) are replies, not exceptions that reach the command tree: every body
runs inside `_replying`, which answers them ephemerally, gives anything
unexpected a short error id, and logs one INFO line per command. (Raising them
through the tree would log each typo at ERROR level and, in SimCord, count as a
bot failure.)

The rate limit is discord.py's `CooldownMapping`: one bucket per user, shared
by /plan and /plans, taken only once the options have parsed (as RoboDanny
does), so a typo is answered without costing a use.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.plans import CoachPlan, CoachPlanClient, InvalidInput, inputs
from bot.plans.market import closed_today_note
from cogs import options, render
from cogs.replies import NO_MENTIONS, answer_privately, new_error_id

if TYPE_CHECKING:
    from bot.app import CoachPlansBot

    Interaction = discord.Interaction[CoachPlansBot]

log = logging.getLogger(__name__)

LOGGED_OPTION_CHARS: Final = 60


def _unix_seconds() -> float:
    """`Cooldown`'s unit (Unix seconds), on the clock SimCord and the offline mode move."""
    # discord.py would read time.time() itself, which no simulated clock moves.
    return discord.utils.utcnow().timestamp()


def _user_id(interaction: discord.Interaction[Any]) -> int:
    # `BucketType.user` reads `.author`, which only messages and contexts have.
    return interaction.user.id


class Reply(Exception):
    """Ends a command early with an ephemeral `message`; `outcome` goes to the log line."""

    def __init__(self, message: str, outcome: str) -> None:
        super().__init__(message)
        self.message = message
        self.outcome = outcome


@dataclasses.dataclass(slots=True)
class _Call:
    outcome: str = "ok"


def describe_plan(plan: CoachPlan) -> str:
    """The outcome word for the log line."""
    if plan.stale:
        return "stale"
    if plan.error is not None:
        return f"fallback:{plan.error}"
    return ("plan" if plan.found else "no-plan") + (" (cache)" if plan.from_cache else " (live)")


class CoachPlans(commands.Cog, name="Coach plans"):
    """The coach-plan commands, on the bot's `CoachPlanClient` (the bot owns and closes it)."""

    def __init__(
        self,
        bot: CoachPlansBot,
        client: CoachPlanClient,
        *,
        clock: Callable[[], float] = _unix_seconds,
    ) -> None:
        self.bot = bot
        self.client = client
        self.settings = bot.settings
        self.names = bot.settings.coach_names
        #: Per user: `rate_limit_uses` in a window of `rate_limit_seconds` from the first use.
        #: Each call drops the buckets idle for a window, so memory follows recent users;
        #: that scan costs about 26 µs per 1,000 users active in the window.
        self.cooldowns = commands.CooldownMapping[discord.Interaction[Any]].from_cooldown(
            bot.settings.rate_limit_uses, bot.settings.rate_limit_seconds, _user_id
        )
        self._clock = clock

    # -- commands ------------------------------------------------------------------
    @app_commands.command(name="plan")
    @app_commands.describe(
        coach="Whose plan: pick a coach from the list",
        date="YYYY-MM-DD, today or previous (default: today, the current trading session)",
    )
    async def plan(self, interaction: Interaction, coach: str, date: str | None = None) -> None:
        """Show one coach's trading plan for a session."""
        async with self._replying(interaction) as call:
            cid, day = self._coach(coach), self._day(date)
            self._check_rate(interaction)
            calendar, note = self.client.calendar, self._session_note(day)
            plan = self.client.peek_fresh(cid, day)
            if plan is not None:  # a fresh cache hit: no I/O, so answer at once
                embed = render.plan_embed(
                    plan, self.names[cid], calendar=calendar, note=note, now=self.client.now()
                )
                await interaction.response.send_message(embed=embed, allowed_mentions=NO_MENTIONS)
            else:  # acknowledge first: the API may take up to the reply deadline
                await interaction.response.defer(thinking=True)
                plan = await self.client.fetch_coach_plan(
                    cid, day, deadline=self.settings.fetch_deadline_seconds
                )
                embed = render.plan_embed(
                    plan, self.names[cid], calendar=calendar, note=note, now=self.client.now()
                )
                await interaction.followup.send(embed=embed, allowed_mentions=NO_MENTIONS)
            call.outcome = describe_plan(plan)

    @app_commands.command(name="plans")
    @app_commands.describe(
        date="YYYY-MM-DD, today or previous (default: today, the current trading session)"
    )
    async def plans(self, interaction: Interaction, date: str | None = None) -> None:
        """Show every coach's plan for a trading session at a glance."""
        async with self._replying(interaction) as call:
            day = self._day(date)
            self._check_rate(interaction)
            await interaction.response.defer(thinking=True)
            plans = await self.client.fetch_all_coach_plans(
                day, deadline=self.settings.fetch_deadline_seconds
            )
            embed = render.plans_embed(
                plans,
                self.names,
                day,
                calendar=self.client.calendar,
                note=self._session_note(day),
                now=self.client.now(),
            )
            await interaction.followup.send(embed=embed, allowed_mentions=NO_MENTIONS)
            posted = sum(plans[cid].found for cid in self.names if cid in plans)
            call.outcome = f"{posted}/{len(self.names)} posted, " + (
                ", ".join(sorted({describe_plan(p) for p in plans.values()})) or "none"
            )

    @app_commands.command(name="cachestats")
    async def cachestats(self, interaction: Interaction) -> None:
        """Show the plan cache's hit rate and the plan service's figures (only you see it)."""
        async with self._replying(interaction):
            embed = render.stats_embed(self.client.get_metrics())
            await interaction.response.send_message(
                embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS
            )

    @app_commands.command(name="clearcache")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_messages=True)
    @app_commands.describe(
        coach="Only this coach (default: every coach)",
        date="Only this day: YYYY-MM-DD, today or previous (default: every day)",
    )
    async def clearcache(
        self, interaction: Interaction, coach: str | None = None, date: str | None = None
    ) -> None:
        """Drop cached plans so the next request asks the plan service (moderators only)."""
        async with self._replying(interaction) as call:
            # default_permissions only hides the command; server admins can change that.
            if not self._is_moderator(interaction):
                raise Reply(render.refusal_text(), "refused")
            cid = None if coach is None else self._coach(coach)
            day = None if date is None else self._day(date)
            plans = self.client.cached_plans(cid, day)  # what the clear drops, in plans
            dropped = self.client.clear_cache(cid, day)
            log.info(
                "cache cleared by %s (user id %s): %d plans (%d entries) dropped "
                "(coach=%s, date=%s)",
                interaction.user, interaction.user.id, plans, dropped, cid or "all", day or "all",
            )  # fmt: skip
            text = render.cleared_text(plans, cid and self.names[cid], day)
            await interaction.response.send_message(
                text, ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            call.outcome = f"cleared {plans}"

    # -- autocomplete --------------------------------------------------------------
    @plan.autocomplete("coach")
    @clearcache.autocomplete("coach")
    async def coach_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return options.coach_choices(current, self.names)

    @plan.autocomplete("date")
    @plans.autocomplete("date")
    @clearcache.autocomplete("date")
    async def date_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return options.date_choices(current, self.client.today(), self.client.calendar)

    # -- helpers -------------------------------------------------------------------
    def _coach(self, value: str) -> str:
        try:
            return inputs.parse_coach(value, self.names)
        except InvalidInput as exc:
            raise Reply(options.bad_input_text(exc), "bad-input") from None

    def _day(self, value: str | None) -> dt.date:
        # The client's today(): the current session by the client's own `now` (SimCord's
        # clock is virtual and starts in 2026; the offline mode gives the client its clock).
        try:
            return self.client.normalize_date(value)
        except InvalidInput as exc:
            raise Reply(options.bad_input_text(exc), "bad-input") from None

    def _session_note(self, day: dt.date) -> str | None:
        """ "Markets are closed today ..." when the day shown is today's latest session."""
        if day != self.client.today():
            return None
        return closed_today_note(self.client.calendar, self.client.now())

    def _check_rate(self, interaction: Interaction) -> None:
        """Take one use from the user's bucket, or refuse; called after the options parsed."""
        retry_after = self.cooldowns.update_rate_limit(interaction, self._clock())
        if retry_after:  # as discord.py tests it: 0.0, at the window's very end, lets it in
            raise Reply(render.rate_limited_text(retry_after), "rate-limited")

    def _is_moderator(self, interaction: Interaction) -> bool:
        """Manage Messages in this channel (administrators have it), or the configured role."""
        if interaction.permissions.manage_messages:
            return True
        role = self.settings.moderator_role
        user = interaction.user
        if role is None or not isinstance(user, discord.Member):
            return False
        return any(str(r.id) == role or r.name == role for r in user.roles)

    @contextlib.asynccontextmanager
    async def _replying(self, interaction: Interaction) -> AsyncIterator[_Call]:
        """Run a command body: expected outcomes become ephemeral replies, all get logged."""
        call = _Call()
        started = time.perf_counter()
        try:
            yield call
        except Reply as reply:
            call.outcome = reply.outcome
            await answer_privately(interaction, reply.message)
        except InvalidInput as exc:  # the client agreeing with our own checks
            call.outcome = "bad-input"
            await answer_privately(interaction, options.bad_input_text(exc))
        except Exception:
            error_id = new_error_id()
            call.outcome = f"error {error_id}"
            interaction.extras["error_id"] = error_id
            log.exception("error %s in /%s", error_id, _command_name(interaction))
            await answer_privately(interaction, render.error_text(error_id))
        except BaseException:
            call.outcome = "cancelled"
            raise
        finally:
            log.info(
                "/%s by user %s %s -> %s in %.0f ms",
                _command_name(interaction), interaction.user.id, _options(interaction),
                call.outcome, (time.perf_counter() - started) * 1000,
            )  # fmt: skip

    async def cog_app_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """Safety net for errors raised before a body runs (discord.py's own checks)."""
        error_id = new_error_id()
        interaction.extras["error_id"] = error_id
        original = getattr(error, "original", error)
        log.error("error %s in /%s", error_id, _command_name(interaction), exc_info=original)
        await answer_privately(interaction, render.error_text(error_id))


def _command_name(interaction: discord.Interaction[Any]) -> str:
    command = interaction.command
    return command.qualified_name if command is not None else "?"


def _options(interaction: discord.Interaction[Any]) -> str:
    data = cast(Mapping[str, Any], interaction.data or {})
    options = data.get("options") or []
    shown = [
        f"{o.get('name')}={render.cut(repr(o.get('value')), LOGGED_OPTION_CHARS)}"
        for o in options
        if isinstance(o, Mapping)
    ]
    return "(" + ", ".join(shown) + ")"


async def setup(bot: CoachPlansBot) -> None:
    await bot.add_cog(CoachPlans(bot, bot.require_plans()))
