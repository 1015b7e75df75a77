"""The commands' options: parsing `coach` and `date`, and what autocomplete suggests.

Pure functions, so the rules are tested without Discord: a coach is a
configured id or display name in any case; a date is `today`, `yesterday` or
a real calendar day as YYYY-MM-DD. Autocomplete only suggests; the command
parses whatever is sent with the same functions.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Final

from discord import app_commands

from cogs.render import CHOICE_LIMIT, CONTENT_LIMIT, cut, day_label, plain

CHOICE_NAME_LIMIT: Final = 100
#: Days offered by the date autocomplete, counting back from today.
SUGGESTED_DAYS: Final = 7
_ISO_DAY: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_DAY: Final = dt.timedelta(days=1)


def parse_coach(value: str, names: Mapping[str, str]) -> str | None:
    """The configured coach id for an id or display name in any case, or None."""
    wanted = value.strip().casefold()
    for cid, name in names.items():
        if wanted in (cid, name.casefold()):
            return cid
    return None


def parse_day(value: str | None, today: dt.date) -> dt.date | None:
    """`today` (also for no value), `yesterday` or a real YYYY-MM-DD day, or None."""
    word = (value or "today").strip().casefold()
    if word == "today":
        return today
    if word == "yesterday":
        return today - _DAY
    if _ISO_DAY.fullmatch(word):
        try:
            return dt.date.fromisoformat(word)
        except ValueError:
            return None
    return None


def coach_choices(current: str, names: Mapping[str, str]) -> list[app_commands.Choice[str]]:
    """Every configured coach matching what was typed; prefix matches first.

    Unlike RoboDanny's lookups, empty input lists every coach: there are at
    most 25, so the list works like a choice menu filled from configuration.
    """
    wanted = current.strip().casefold()
    matches = [
        (not (cid.startswith(wanted) or name.casefold().startswith(wanted)), cid, name)
        for cid, name in names.items()
        if wanted in cid or wanted in name.casefold()
    ]
    matches.sort(key=lambda match: match[0])  # stable: otherwise configuration order
    return [
        app_commands.Choice(name=cut(f"{name} ({cid})", CHOICE_NAME_LIMIT), value=cid)
        for _, cid, name in matches
    ][:CHOICE_LIMIT]


def date_choices(current: str, today: dt.date) -> list[app_commands.Choice[str]]:
    """`today`, `yesterday` and the days before them, matching what was typed."""
    options = [("today", f"today ({today})"), ("yesterday", f"yesterday ({today - _DAY})")]
    for back in range(2, SUGGESTED_DAYS):
        day = today - back * _DAY
        options.append((day.isoformat(), day_label(day)))
    wanted = current.strip().casefold()
    return [
        app_commands.Choice(name=name, value=value)
        for value, name in options
        if wanted in name.casefold()
    ][:CHOICE_LIMIT]


# -- what a user reads when an option is wrong ------------------------------------
def _coach_list(names: Mapping[str, str]) -> str:
    return ", ".join(f"`{cid}` ({name})" for cid, name in names.items())


def bad_coach_text(value: str, names: Mapping[str, str]) -> str:
    return cut(
        f"I don't know the coach “{plain(value, 40)}”. Choose one of: {_coach_list(names)}.",
        CONTENT_LIMIT,
    )


def bad_date_text(value: str) -> str:
    return cut(
        f"“{plain(value, 40)}” is not a date I understand. Use YYYY-MM-DD (a real calendar "
        "day, e.g. 2024-11-09), `today` or `yesterday`.",
        CONTENT_LIMIT,
    )
