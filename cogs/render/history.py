"""/history: how a coach's plan for a session was edited, as one embed, newest edit first.

Each edit is a field: who made it (escaped: the name comes from the API, and
can neither format nor mention) and when (a Discord timestamp, shown in each
reader's zone), then the words it changed from the version before
(`bot.plans.worddiff`, each word escaped before it is marked). The plan as
first posted closes the list. The fields share the embed's 6000 characters:
each diff gets an even share of what is left (a short one leaves its rest to
the others), and edits that no longer fit are counted in one line rather than
shown. An unedited plan, a day without a plan and a failure each get a sentence.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import discord

from bot.plans import CoachPlan, PlanHistory
from bot.plans.history import PlanVersion, versions
from bot.plans.market import MarketCalendar, closed_day_note, day_label
from bot.plans.worddiff import word_diff
from bot.plans.wording import plural
from cogs.render.limits import (
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    FIELD_COUNT_LIMIT,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    FOOTER_LIMIT,
    TITLE_LIMIT,
)
from cogs.render.markdown import cut, escape, plain
from cogs.render.parts import (
    COLOUR_DOWN,
    COLOUR_NO_PLAN,
    COLOUR_PLAN,
    COLOUR_STALE,
    FAILURE_TEXT,
    discord_time,
    with_note,
)
from cogs.render.source import source_line

#: Edit fields at most: the rest of the 25 hold the "earlier edits" line and the first post.
MAX_EDIT_FIELDS: Final = FIELD_COUNT_LIMIT - 2
#: The least room a diff is worth showing in; edits that cannot have it are counted instead.
MIN_DIFF_CHARS: Final = 80
#: How much of the text as first posted is shown.
FIRST_TEXT_CHARS: Final = 300
HIDDEN_FIELD_NAME: Final = "Earlier edits"
#: Room kept for the "earlier edits" field.
HIDDEN_FIELD_CHARS: Final = len(HIDDEN_FIELD_NAME) + 100
LEGEND: Final = (
    "In each, the words it removed are ~~struck out~~ and the words it added are **bold**."
)
UNKNOWN_TEXT: Final = (
    "*The plan's current text could not be fetched, so what this edit changed is not shown.*"
)
SPACING_ONLY: Final = "*Only spacing or line breaks changed.*"


def history_embed(
    history: PlanHistory,
    plan: CoachPlan | None,
    coach_name: str,
    *,
    calendar: MarketCalendar,
    note: str | None = None,
    now: dt.datetime,
) -> discord.Embed:
    """The edits of one coach's plan for one session, newest first, within Discord's limits.

    `plan` is the same coach and day's plan, fetched after the history (None
    when the history failed): its text is what the newest edit made, and it
    says who posted the first version and when. `now` is the client's clock.
    """
    name = escape(coach_name)
    title = cut(f"Edit history · {name} · {day_label(calendar, history.day)}", TITLE_LIMIT)
    footer = cut(source_line(history, now), FOOTER_LIMIT)
    colour = COLOUR_STALE if history.stale else COLOUR_PLAN
    if history.error is not None and not history.stale:
        text, colour = FAILURE_TEXT[history.error], COLOUR_DOWN
    elif not history:
        text = _unedited_text(plan, name, calendar, history.day)
        colour = COLOUR_STALE if history.stale else COLOUR_NO_PLAN
    else:
        text = f"{plural(len(history), 'edit')}, newest first. {LEGEND}"
    embed = discord.Embed(
        title=title, description=cut(with_note(note, text), DESCRIPTION_LIMIT), colour=colour
    )
    embed.set_footer(text=footer)
    if history and (history.error is None or history.stale):
        _add_versions(embed, versions(plan, history))
    return embed


def _unedited_text(
    plan: CoachPlan | None, name: str, calendar: MarketCalendar, day: dt.date
) -> str:
    """No edits: because there is no plan, or because nobody edited it."""
    label = day_label(calendar, day)
    if plan is not None and not plan.found and plan.error is None:
        closed = closed_day_note(calendar, day)
        if closed:
            return f"{closed} {name} posted no plan for that day, so there is no edit history."
        return f"No plan yet: {name} has not posted a plan for {label}, so there are no edits."
    posted = discord_time(plan.created_at) if plan is not None and plan.found else None
    since = f" since it was posted {posted}" if posted else ""
    return f"No edits: {name}'s plan for {label} has not been edited{since}."


def _add_versions(embed: discord.Embed, every: list[PlanVersion]) -> None:
    """A field per edit, newest first, as many as fit; then the count of the rest; then the
    first version."""
    *edits, first = every
    first_name = plain(f"First posted by {first.by or 'unknown'}", FIELD_NAME_LIMIT)
    first_text = plain(" ".join((first.text or "").split()), FIRST_TEXT_CHARS)
    first_value = cut(f"{_when(first)}\n{first_text}".strip(), FIELD_VALUE_LIMIT)
    heads = [
        (plain(f"Edit {v.number} by {v.by or 'unknown'}", FIELD_NAME_LIMIT), _when(v))
        for v in edits[:MAX_EDIT_FIELDS]
    ]
    room = EMBED_TOTAL_LIMIT - len(embed) - len(first_name) - len(first_value)
    if len(heads) < len(edits):
        room -= HIDDEN_FIELD_CHARS

    def cost(shown: list[tuple[str, str]]) -> int:
        return sum(len(name) + len(when) + 1 for name, when in shown)

    while heads and cost(heads) + MIN_DIFF_CHARS * len(heads) > room:
        heads.pop()  # the oldest shown goes first
        if len(heads) == len(edits) - 1:
            room -= HIDDEN_FIELD_CHARS
    for index, (version, (name, when)) in enumerate(zip(edits, heads, strict=False)):
        share = (room - cost(heads[index:])) // (len(heads) - index)
        value = f"{when}\n{_change(version, min(share, FIELD_VALUE_LIMIT - len(when) - 1))}"
        embed.add_field(name=name, value=value, inline=False)
        room -= len(name) + len(value)
    hidden = len(edits) - len(heads)
    if hidden:
        embed.add_field(
            name=HIDDEN_FIELD_NAME,
            value=f"{plural(hidden, 'earlier edit')} not shown: one reply cannot hold them all.",
            inline=False,
        )
    embed.add_field(name=first_name, value=first_value, inline=False)


def _when(version: PlanVersion) -> str:
    return discord_time(version.at) or "at an unknown time"


def _change(version: PlanVersion, limit: int) -> str:
    """The words the version changed from the one before, escaped, within `limit`."""
    if version.text is None:
        return cut(UNKNOWN_TEXT, limit)
    diff = word_diff(version.before or "", version.text, limit=max(1, limit), escape=escape)
    return diff or cut(SPACING_ONLY, limit)
