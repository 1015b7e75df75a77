"""The commands' options: what autocomplete suggests, and parsing through the client's policy.

Coach spellings and day words are `bot.plans.inputs`'s, shared with the agent
tools and the command line (an id, a display name or `coach_d`; `today`,
`previous`/`yesterday` or YYYY-MM-DD), and so are the sentences for bad
input. Autocomplete only suggests, and offers trading sessions, not calendar
days; the command parses whatever is sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Final

from discord import app_commands

from bot.plans import InvalidInput, inputs
from bot.plans.market import MarketCalendar, day_label
from cogs.render.limits import CHOICE_LIMIT, CHOICE_NAME_LIMIT, CONTENT_LIMIT
from cogs.render.markdown import cut, plain

#: The `coach` and `date` options of /plan and /history (`app_commands.describe(**...)`).
COACH_AND_DATE: Final[Mapping[str, str]] = {
    "coach": "Whose plan: pick a coach from the list",
    "date": "YYYY-MM-DD, today or previous (default: today, the current trading session)",
}
#: Sessions offered by the date autocomplete, counting back from the current one.
SUGGESTED_SESSIONS: Final = 10


def parse_coach(value: str, names: Mapping[str, str]) -> str | None:
    """The configured coach id for an id, display name or `coach_<id>` in any case, or None."""
    try:
        return inputs.parse_coach(value, names)
    except InvalidInput:
        return None


def coach_choices(current: str, names: Mapping[str, str]) -> list[app_commands.Choice[str]]:
    """Every configured coach matching what was typed; prefix matches first.

    Unlike RoboDanny's lookups, empty input lists every coach: there are at
    most 25, so the list works like a choice menu filled from configuration.
    Names are escaped like everywhere else they show, so a configured name
    cannot format, link or mention.
    """
    wanted = current.strip().casefold()
    matches = [
        (not (cid.startswith(wanted) or name.casefold().startswith(wanted)), cid, name)
        for cid, name in names.items()
        if wanted in cid or wanted in name.casefold()
    ]
    matches.sort(key=lambda match: match[0])  # stable: otherwise configuration order
    return [
        app_commands.Choice(name=plain(f"{name} ({cid})", CHOICE_NAME_LIMIT), value=cid)
        for _, cid, name in matches
    ][:CHOICE_LIMIT]


def date_choices(
    current: str, today: dt.date, calendar: MarketCalendar
) -> list[app_commands.Choice[str]]:
    """`today` and `previous` (named with their sessions), then earlier sessions."""
    sessions = calendar.sessions_back(today, SUGGESTED_SESSIONS)
    options = [
        ("today", f"today: {day_label(calendar, sessions[0])}"),
        ("previous", f"previous: {day_label(calendar, sessions[1])}"),
    ]
    options += [(day.isoformat(), day_label(calendar, day)) for day in sessions[2:]]
    wanted = current.strip().casefold()
    return [
        app_commands.Choice(name=cut(name, CHOICE_NAME_LIMIT), value=value)
        for value, name in options
        if wanted in name.casefold()
    ][:CHOICE_LIMIT]


# -- what a user reads when an option is wrong ------------------------------------
def bad_input_text(error: InvalidInput) -> str:
    """The input policy's sentence, shown as plain text (it quotes what the user typed)."""
    return plain(str(error), CONTENT_LIMIT)
