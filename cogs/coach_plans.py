"""/plan, /plans, /cachestats and /clearcache: coach plans through one shared client.

Each command is thin: parse its options, check the user's rate limit, defer,
make one client call, render, send. Every body runs inside `replies.replying`,
which turns bad input, the rate limit and a refusal into ephemeral replies,
gives anything unexpected a short error id, and logs one INFO line per command.

The rate limit is discord.py's `CooldownMapping`: one bucket per user, shared
by /plan and /plans, taken only once the options have parsed (as RoboDanny
does), so a typo is answered without costing a use.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any, Final

import discord
from discord import app_commands

from bot.plans import CoachPlan, inputs
from cogs import navigation, options
from cogs.moderators import is_moderator
from cogs.render import one_plan, overview, short, stats
from cogs.replies import (
    Delivery,
    PlanCog,
    Reply,
    acknowledge,
    answer,
    answer_privately,
    command_name,
    deliver,
    describe_plan,
    replying,
    report_error,
)

if TYPE_CHECKING:
    from bot.app import CoachPlansBot

    Interaction = discord.Interaction[CoachPlansBot]

log = logging.getLogger(__name__)

#: The cog of `cogs.history`, which makes the History button of edited plans.
HISTORY_COG: Final = "Plan history"


class CoachPlans(PlanCog, name=navigation.BROWSER_COG):
    """The coach-plan commands, on the bot's `CoachPlanClient` (the bot owns and closes it)."""

    async def cog_load(self) -> None:
        # The buttons of every plan reply ever sent, this process's or another's.
        self.bot.add_dynamic_items(*navigation.DYNAMIC_ITEMS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*navigation.DYNAMIC_ITEMS)

    # -- commands ------------------------------------------------------------------
    @app_commands.command(name="plan")
    @app_commands.describe(**options.COACH_AND_DATE)
    async def plan(self, interaction: Interaction, coach: str, date: str | None = None) -> None:
        """Show one coach's trading plan for a session."""
        async with replying(interaction, log) as call:
            cid, day = self._coach_and_day(interaction, coach, date)
            call.outcome = await self._send_plan(interaction, cid, day, Delivery.NEW)

    @app_commands.command(name="plans")
    @app_commands.describe(
        date="YYYY-MM-DD, today or previous (default: today, the current trading session)"
    )
    async def plans(self, interaction: Interaction, date: str | None = None) -> None:
        """Show every coach's plan for a trading session at a glance."""
        async with replying(interaction, log) as call:
            day = self._day(date)
            self._check_rate(interaction)
            call.outcome = await self._send_plans(interaction, day, Delivery.NEW)

    @app_commands.command(name="cachestats")
    async def cachestats(self, interaction: Interaction) -> None:
        """Show the plan cache's hit rate and the plan service's figures (only you see it)."""
        async with replying(interaction, log):
            await answer(
                interaction, embed=stats.stats_embed(self.client.get_metrics()), ephemeral=True
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
        async with replying(interaction, log) as call:
            # default_permissions only hides the command; server admins can change that.
            if not self._is_moderator(interaction):
                raise Reply(short.refusal_text(), "refused")
            cid = None if coach is None else inputs.parse_coach(coach, self.names)
            day = None if date is None else self._day(date)
            plans = self.client.cached_plans(cid, day)  # what the clear drops, in plans
            # Waits for the shared level (PLANS_REDIS_URL): every process clears too.
            dropped = await self.client.clear_cache_everywhere(cid, day)
            log.info(
                "cache cleared by %s (user id %s): %d plans (%d entries) dropped "
                "(coach=%s, date=%s)",
                interaction.user, interaction.user.id, plans, dropped, cid or "all", day or "all",
            )  # fmt: skip
            shared = self.client.config.redis_url is not None
            text = short.cleared_text(plans, cid and self.names[cid], day, shared=shared)
            await answer(interaction, text, ephemeral=True)
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

    # -- clicks (cogs.navigation's PlanBrowser) ------------------------------------
    async def open_plan(self, interaction: discord.Interaction[Any], coach: str, day: str) -> None:
        """A session button or the coach select of a /plan reply: /plan for `coach` on `day`."""
        async with replying(interaction, log) as call:
            cid, parsed = self._coach_and_day(interaction, coach, day)
            how = navigation.delivery(interaction)
            call.outcome = await self._send_plan(interaction, cid, parsed, how)

    async def open_plans(self, interaction: discord.Interaction[Any], day: str) -> None:
        """A session button of a /plans reply: /plans for `day`."""
        async with replying(interaction, log) as call:
            parsed = self._day(day)
            self._check_rate(interaction)
            how = navigation.delivery(interaction)
            call.outcome = await self._send_plans(interaction, parsed, how)

    # -- the commands' path, shared by the clicks ------------------------------------
    async def _send_plan(
        self, interaction: discord.Interaction[Any], cid: str, day: dt.date, how: Delivery
    ) -> str:
        """One client call, render, send `how`; the outcome for the log line."""
        calendar, note = self.client.calendar, self._session_note(day)
        plan = self.client.peek_fresh(cid, day)  # a fresh cache hit: no I/O, answer at once
        if plan is None:  # acknowledge first: the API may take up to the reply deadline
            await acknowledge(interaction, how)
            plan = await self.client.fetch_coach_plan(
                cid, day, deadline=self.settings.fetch_deadline_seconds
            )
        embeds = one_plan.plan_embeds(
            plan, self.names[cid], calendar=calendar, note=note, now=self.client.now()
        )
        view = navigation.plan_view(plan, self.names, today=self.client.today(), calendar=calendar)
        self._add_history_button(view, plan)
        await deliver(interaction, how, embeds=embeds, view=view)
        return describe_plan(plan)

    def _add_history_button(self, view: discord.ui.View, plan: CoachPlan) -> None:
        """The History button of an edited plan, from `cogs.history`'s cog when it is loaded.

        Found by the cog's name, not imported: importing an extension would run it twice.
        """
        make = getattr(self.bot.get_cog(HISTORY_COG), "history_button", None)
        item = make(plan) if callable(make) else None
        if item is not None:
            view.add_item(item)

    async def _send_plans(
        self, interaction: discord.Interaction[Any], day: dt.date, how: Delivery
    ) -> str:
        """The client call for the day (always deferred: /all is one slow request), render,
        send `how`; the outcome for the log line."""
        await acknowledge(interaction, how)
        plans = await self.client.fetch_all_coach_plans(
            day, deadline=self.settings.fetch_deadline_seconds
        )
        calendar = self.client.calendar
        embed = overview.plans_embed(
            plans, self.names, day, calendar=calendar, note=self._session_note(day),
            now=self.client.now(),
        )  # fmt: skip
        view = navigation.plans_view(day, today=self.client.today(), calendar=calendar)
        await deliver(interaction, how, embeds=[embed], view=view)
        posted = sum(plans[cid].found for cid in self.names if cid in plans)
        return f"{posted}/{len(self.names)} posted, " + (
            ", ".join(sorted({describe_plan(p) for p in plans.values()})) or "none"
        )

    # -- helpers -------------------------------------------------------------------
    def _day(self, value: str | None) -> dt.date:
        """The day asked for; an `InvalidInput` is answered by `replying`."""
        # The client's today(): the current session by the client's own `now` (SimCord's
        # clock is virtual and starts in 2026; the offline mode gives the client its clock).
        return self.client.normalize_date(value)

    def _is_moderator(self, interaction: Interaction) -> bool:
        """Manage Messages in this channel (administrators have it), or the configured role."""
        return is_moderator(interaction, self.settings.moderator_role)

    async def cog_app_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """Safety net for errors raised before a body runs (discord.py's own checks)."""
        original = getattr(error, "original", error)
        error_id = report_error(interaction, log, f"/{command_name(interaction)}", original)
        await answer_privately(interaction, short.error_text(error_id))


async def setup(bot: CoachPlansBot) -> None:
    await bot.add_cog(CoachPlans(bot, bot.require_plans()))
