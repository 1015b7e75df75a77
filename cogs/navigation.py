"""The buttons and the coach select on plan replies; their state is their `custom_id`.

Each component is a discord.py `DynamicItem`: what a click shows is written
in the component's `custom_id`, and the bot registers the item classes once
(the cog's `cog_load`). So a click works after a restart, in any process of a
sharded bot, and on a message sent days ago, with no view kept in memory.
The `custom_id` formats are a public contract (issue 14); a message already
posted carries them for as long as it exists:

- `plan:<coach>:<YYYY-MM-DD>`: that coach's plan for that session
  (/plan's "◀ previous session" and "next session ▶" buttons);
- `plans:<YYYY-MM-DD>`: every coach's plan for that session (/plans' buttons);
- `plan-coach:<YYYY-MM-DD>`: /plan's coach select; the chosen option's value
  is the coach id, so a click shows that coach's plan for that session.

A coach id is 1 to 20 lowercase letters or digits, so a `custom_id` stays far
below Discord's 100 characters. The patterns accept any id of that shape and
any date-shaped day: the cog parses them like a command's options, so a click
on a message naming a coach since removed is answered ("Unknown coach"), not
left to fail.

Who may change a message: the member it answered (its `interaction_metadata`,
which Discord keeps through edits). Their click edits it; anyone else's is
answered privately and leaves it as it was. A message with no such member
(one the bot posted on its own) is answered privately for everyone.

The click's work is the cog's (`PlanBrowser`): the same rate limit, cache,
fallbacks and wording as the commands.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol, Self, TypeVar, cast

import discord
from discord.ext import commands

from bot.plans import CoachPlan
from bot.plans.inputs import EARLIEST_DAY
from bot.plans.market import MarketCalendar
from cogs.render.limits import CHOICE_NAME_LIMIT
from cogs.render.markdown import cut
from cogs.replies import Delivery

#: The cog that answers clicks (`commands.Cog` name).
BROWSER_COG: Final = "Coach plans"
PREVIOUS_LABEL: Final = "◀ previous session"
NEXT_LABEL: Final = "next session ▶"
COACH_PLACEHOLDER: Final = "Another coach"
_DAY: Final = r"(?P<day>[0-9]{4}-[0-9]{2}-[0-9]{2})"
PLAN_TEMPLATE: Final = re.compile(rf"plan:(?P<coach>[a-z0-9]{{1,20}}):{_DAY}")
PLANS_TEMPLATE: Final = re.compile(rf"plans:{_DAY}")
COACH_SELECT_TEMPLATE: Final = re.compile(rf"plan-coach:{_DAY}")
#: Rows of a plan reply: the buttons, then the select.
BUTTON_ROW: Final = 0
SELECT_ROW: Final = 1
ItemT = TypeVar("ItemT", bound=discord.ui.Item[Any])


class PlanBrowser(Protocol):
    """What a click needs from the cog: the commands' own paths, for one interaction."""

    async def open_plan(self, interaction: discord.Interaction[Any], coach: str, day: str) -> None:
        """Answer as /plan would for `coach` on `day` (both unparsed), as `delivery` says."""

    async def open_plans(self, interaction: discord.Interaction[Any], day: str) -> None:
        """Answer as /plans would for `day`, as `delivery` says."""


def plan_custom_id(coach: str, day: dt.date) -> str:
    return f"plan:{coach}:{day.isoformat()}"


def plans_custom_id(day: dt.date) -> str:
    return f"plans:{day.isoformat()}"


def coach_select_custom_id(day: dt.date) -> str:
    return f"plan-coach:{day.isoformat()}"


def delivery(interaction: discord.Interaction[Any]) -> Delivery:
    """EDIT for the member the clicked message answered, PRIVATE for anyone else."""
    message = interaction.message
    metadata = message.interaction_metadata if message is not None else None
    if metadata is not None and metadata.user.id == interaction.user.id:
        return Delivery.EDIT
    return Delivery.PRIVATE


# -- the views -----------------------------------------------------------------------
class StatelessView(discord.ui.View):
    """A view of `DynamicItem`s only, which discord.py need not track after sending.

    The item classes are registered with the bot, and each click is matched
    by its `custom_id`; `is_finished` being true keeps discord.py from holding
    this instance (and, for a private reply, a 15-minute timer) in memory.
    An item added here must be a `DynamicItem` registered by its cog.
    """

    def __init__(self) -> None:
        super().__init__(timeout=None)

    def is_finished(self) -> bool:
        return True


def plan_view(
    plan: CoachPlan,
    names: Mapping[str, str],
    *,
    today: dt.date,
    calendar: MarketCalendar,
) -> StatelessView:
    """/plan's components: previous and next session of the same coach, and the coach select.

    Another module adds its own item with `view.add_item(...)` on the result
    (a `DynamicItem` it registers itself); the buttons' row has room for three more.
    """
    view = StatelessView()
    for item in session_buttons(
        plan.day, today=today, calendar=calendar, custom_id=lambda d: plan_custom_id(plan.coach, d)
    ):
        view.add_item(PlanButton(item))
    if len(names) > 1:
        view.add_item(CoachSelect(coach_select(plan.coach, plan.day, names)))
    return view


def plans_view(day: dt.date, *, today: dt.date, calendar: MarketCalendar) -> StatelessView:
    """/plans' components: the previous and the next session's overview."""
    view = StatelessView()
    for item in session_buttons(day, today=today, calendar=calendar, custom_id=plans_custom_id):
        view.add_item(PlansButton(item))
    return view


def session_buttons(
    day: dt.date,
    *,
    today: dt.date,
    calendar: MarketCalendar,
    custom_id: Callable[[dt.date], str],
) -> list[discord.ui.Button[Any]]:
    """The "◀ previous session" and "next session ▶" buttons around `day`, by sessions.

    Next is disabled from the current session on (there is no plan yet for a
    later one); previous stops where dates are accepted (2000).
    """
    before, after = calendar.previous_session(day), calendar.next_session(day)
    return [
        discord.ui.Button(
            label=PREVIOUS_LABEL,
            custom_id=custom_id(before),
            disabled=before < EARLIEST_DAY,
            row=BUTTON_ROW,
        ),
        discord.ui.Button(
            label=NEXT_LABEL, custom_id=custom_id(after), disabled=after > today, row=BUTTON_ROW
        ),
    ]


def coach_select(coach: str, day: dt.date, names: Mapping[str, str]) -> discord.ui.Select[Any]:
    """Every configured coach (at most 25, as the settings allow), the current one chosen.

    Labels are plain text in Discord (no markdown, no mentions), so names show as written.
    """
    return discord.ui.Select(
        custom_id=coach_select_custom_id(day),
        placeholder=COACH_PLACEHOLDER,
        options=[
            discord.SelectOption(
                label=cut(name, CHOICE_NAME_LIMIT) or cid, value=cid, default=cid == coach
            )
            for cid, name in names.items()
        ],
        row=SELECT_ROW,
    )


# -- the items -----------------------------------------------------------------------
def loaded_cog(interaction: discord.Interaction[Any], name: str) -> commands.Cog:
    """The cog `name` that answers a click; it removes its items when it unloads."""
    cog = interaction.client.get_cog(name)
    if cog is None:  # the cog removes these items when it unloads: not reached
        raise RuntimeError(f"the {name!r} cog is not loaded")
    return cast(commands.Cog, cog)


def _browser(interaction: discord.Interaction[Any]) -> PlanBrowser:
    return cast(PlanBrowser, loaded_cog(interaction, BROWSER_COG))


class StatelessItem(discord.ui.DynamicItem[ItemT], template=r"(?!)"):
    """A `DynamicItem` rebuilt from the clicked component as it is: its state is the `custom_id`.

    Not registered itself (its template matches nothing); subclasses give theirs.
    """

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        return cls(cast(ItemT, item))

    def matched(self) -> re.Match[str]:
        """The `custom_id` read by the template."""
        match = self.template.fullmatch(self.custom_id)
        assert match is not None  # the item was made for this template
        return match


class PlanButton(StatelessItem[discord.ui.Button[Any]], template=PLAN_TEMPLATE):
    """`plan:<coach>:<YYYY-MM-DD>`: one coach's plan for another session."""

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        match = self.matched()
        await _browser(interaction).open_plan(interaction, match["coach"], match["day"])


class PlansButton(StatelessItem[discord.ui.Button[Any]], template=PLANS_TEMPLATE):
    """`plans:<YYYY-MM-DD>`: every coach's plan for another session."""

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _browser(interaction).open_plans(interaction, self.matched()["day"])


class CoachSelect(StatelessItem[discord.ui.Select[Any]], template=COACH_SELECT_TEMPLATE):
    """`plan-coach:<YYYY-MM-DD>`: the chosen coach's plan for the same session."""

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        chosen = self.item.values[0] if self.item.values else ""
        await _browser(interaction).open_plan(interaction, chosen, self.matched()["day"])


#: Registered by the cog (`bot.add_dynamic_items`) for as long as it is loaded.
DYNAMIC_ITEMS: Final = (PlanButton, PlansButton, CoachSelect)
