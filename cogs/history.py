"""/history and the "History" button: how a coach's plan for a session was edited.

/history takes /plan's coach and date options, with the same autocomplete and
parsing, and draws on the same per-user rate limit: the plans cog's bucket
while it is loaded (one quota for every plan command and click), else one of
its own with the same settings. Like /plan it answers in the channel.

The button is a `DynamicItem` whose `custom_id` holds its state,
`history:<coach>:<YYYY-MM-DD>` (the formats of `cogs.navigation` apply: a
coach id of 1 to 20 lowercase letters or digits, any date-shaped day, both
parsed like a command's options when clicked), so it works after a restart
and in any process. A click shows the history only to whoever clicked, and
leaves the message as it was. A plan reply whose plan was edited carries it:
the plans cog asks this cog for it by name (`history_button`), so neither
extension imports the other (loading an extension executes its module anew).

Each answer asks for the history first, then the plan: a history newer than
the cached plan drops that plan from the cache, so the pair matches (see
`bot.plans.history`). Both calls share the command's one fetch deadline.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from typing import TYPE_CHECKING, Any, Final, Self, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.plans import CoachPlan, PlanHistory
from bot.plans.wording import plural
from cogs import navigation, options
from cogs.render import history as render
from cogs.replies import PlanCog, answer, replying

if TYPE_CHECKING:
    from bot.app import CoachPlansBot

    Interaction = discord.Interaction[CoachPlansBot]

log = logging.getLogger(__name__)

#: This cog's name (`commands.Cog`), by which the button and the plans cog find it.
HISTORY_COG: Final = "Plan history"
HISTORY_LABEL: Final = "History"
HISTORY_TEMPLATE: Final = re.compile(
    r"history:(?P<coach>[a-z0-9]{1,20}):(?P<day>[0-9]{4}-[0-9]{2}-[0-9]{2})"
)


def history_custom_id(coach: str, day: dt.date | str) -> str:
    return f"history:{coach}:{day if isinstance(day, str) else day.isoformat()}"


def describe_history(history: PlanHistory) -> str:
    """The outcome word for the log line."""
    if history.stale:
        return "stale"
    if history.error is not None:
        return f"fallback:{history.error}"
    source = " (cache)" if history.from_cache else " (live)"
    return (plural(len(history), "edit") if history else "no-edits") + source


class PlanHistoryCog(PlanCog, name=HISTORY_COG):
    """/history and the History button, on the bot's `CoachPlanClient`."""

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(HistoryButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(HistoryButton)

    @app_commands.command(name="history")
    @app_commands.describe(**options.COACH_AND_DATE)
    async def history(self, interaction: Interaction, coach: str, date: str | None = None) -> None:
        """Show how one coach's plan for a session was edited, newest edit first."""
        async with replying(interaction, log) as call:
            cid, day = self._coach_and_day(interaction, coach, date)
            call.outcome = await self._send(interaction, cid, day, private=False)

    @history.autocomplete("coach")
    async def coach_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return options.coach_choices(current, self.names)

    @history.autocomplete("date")
    async def date_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return options.date_choices(current, self.client.today(), self.client.calendar)

    # -- the button ------------------------------------------------------------------
    def history_button(self, plan: CoachPlan) -> discord.ui.Item[Any] | None:
        """The History button for a plan reply: only for a plan that was edited."""
        if not plan.found or plan.edited_at is None:
            return None
        return HistoryButton(plan.coach, plan.day.isoformat())

    async def open_history(
        self, interaction: discord.Interaction[Any], coach: str, day: str
    ) -> None:
        """A History click: /history for `coach` on `day` (both unparsed), for the clicker only."""
        async with replying(interaction, log) as call:
            cid, parsed = self._coach_and_day(interaction, coach, day)
            call.outcome = await self._send(interaction, cid, parsed, private=True)

    # -- helpers ---------------------------------------------------------------------
    async def _send(
        self, interaction: discord.Interaction[Any], cid: str, day: dt.date, *, private: bool
    ) -> str:
        """Acknowledge, fetch, render, answer; the outcome for the log line."""
        await interaction.response.defer(thinking=True, ephemeral=private)
        history, plan = await self._fetch(cid, day)
        embed = render.history_embed(
            history, plan, self.names[cid], calendar=self.client.calendar,
            note=self._session_note(day), now=self.client.now(),
        )  # fmt: skip
        await answer(interaction, embed=embed, ephemeral=private)
        return describe_history(history)

    async def _fetch(self, cid: str, day: dt.date) -> tuple[PlanHistory, CoachPlan | None]:
        """The history, then (unless the history failed) the plan, within one deadline."""
        budget = self.settings.fetch_deadline_seconds
        started = time.monotonic()  # the client's clock too (SimCord moves both)
        history = await self.client.fetch_plan_history(cid, day, deadline=budget)
        if history.error is not None and not history.stale:
            return history, None  # the API is failing: the answer says so, plan or not
        left = budget - (time.monotonic() - started)
        if left <= 0:
            return history, self.client.peek_fresh(cid, day)
        return history, await self.client.fetch_coach_plan(cid, day, deadline=left)

    def _bucket(self) -> commands.CooldownMapping[discord.Interaction[Any]]:
        """The plans cog's buckets while it is loaded (one quota); else this cog's own."""
        shared = getattr(self.bot.get_cog(navigation.BROWSER_COG), "cooldowns", None)
        return shared if isinstance(shared, commands.CooldownMapping) else self.cooldowns


class HistoryButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=HISTORY_TEMPLATE):
    """`history:<coach>:<YYYY-MM-DD>`: that plan's edit history, for the clicker only."""

    def __init__(self, coach: str, day: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=HISTORY_LABEL,
                custom_id=history_custom_id(coach, day),
                style=discord.ButtonStyle.secondary,
                row=navigation.BUTTON_ROW,
            )
        )
        self.coach = coach
        self.day = day

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        return cls(match["coach"], match["day"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        cog = cast(PlanHistoryCog, navigation.loaded_cog(interaction, HISTORY_COG))
        await cog.open_history(interaction, self.coach, self.day)


async def setup(bot: CoachPlansBot) -> None:
    await bot.add_cog(PlanHistoryCog(bot, bot.require_plans()))
