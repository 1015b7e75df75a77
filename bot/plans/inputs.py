"""What people and agents type for a coach and a day, parsed once for every front end.

The client, the Discord cog, the agent tools and the command line all accept
the same spellings and answer bad input with the same sentences (carried by
`InvalidInput`), so a word that works in one works in all:

- a coach is its id (`d`), its display name (`Day Trading`) or the API's
  `coach_d` spelling, in any case;
- a day is `today` (the current session), `previous` (the session before it;
  `yesterday` is a synonym), or a calendar day as YYYY-MM-DD. A day that is
  not a session is still a valid question (a coach may post a weekend
  outlook), but days before 2000 or more than a year past the current
  session are refused before any request.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Final

from .market import MarketCalendar
from .models import InvalidInput

TODAY_WORDS: Final = frozenset({"today"})
PREVIOUS_WORDS: Final = frozenset({"previous", "yesterday"})
EARLIEST_DAY: Final = dt.date(2000, 1, 1)
MAX_DAYS_AHEAD: Final = 366
#: How much of a rejected value a sentence repeats.
SHOWN_CHARS: Final = 30
COACH_PREFIXES: Final = ("coach_", "coach ")

_ISO_DAY: Final = re.compile(r"\d{4}-\d{2}-\d{2}")

DATE_HELP: Final = "YYYY-MM-DD, today or previous (yesterday works too)"


def shown(value: object) -> str:
    """A rejected value as a sentence quotes it: short, and never a multi-line blob."""
    text = " ".join(str(value).split())
    if len(text) > SHOWN_CHARS:
        text = text[: SHOWN_CHARS - 1] + "…"
    return repr(text)


def parse_coach(value: object, names: Mapping[str, str]) -> str:
    """The coach id for an id, display name or `coach_<id>`, in any case."""
    if isinstance(value, str):
        wanted = value.strip().casefold()
        for prefix in COACH_PREFIXES:
            if wanted.startswith(prefix) and wanted[len(prefix) :].strip() in names:
                wanted = wanted[len(prefix) :].strip()
        for cid, name in names.items():
            if wanted in (cid, name.casefold()):
                return cid
    raise InvalidInput(unknown_coach_text(value, names))


def unknown_coach_text(value: object, names: Mapping[str, str]) -> str:
    choices = ", ".join(cid if cid == name else f"{cid} ({name})" for cid, name in names.items())
    return f"Unknown coach {shown(value)}. Valid coaches: {choices}."


def parse_day(
    value: object, *, calendar: MarketCalendar, current: dt.date, now: dt.datetime | None = None
) -> dt.date:
    """The day meant by `value`, given the current session; InvalidInput when there is none.

    `None` and an empty string mean today. An aware datetime is read in the
    market's zone; a naive one is taken as already local there.
    """
    if value is None:
        return current
    if isinstance(value, dt.datetime):
        day = value.astimezone(calendar.zone).date() if value.tzinfo else value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, str):
        word = value.strip().casefold()
        if not word or word in TODAY_WORDS:
            return current
        if word in PREVIOUS_WORDS:
            return calendar.previous_session(current)
        day = _iso_day(value, word)
    else:
        raise InvalidInput(bad_day_text(value))
    check_range(day, current)
    return day


def check_range(day: dt.date, current: dt.date) -> None:
    """Refuse days no plan can exist for, before asking the API about them."""
    if day < EARLIEST_DAY:
        raise InvalidInput(
            f"{day.isoformat()} is too early: plans start on {EARLIEST_DAY.isoformat()}."
        )
    if (day - current).days > MAX_DAYS_AHEAD:
        raise InvalidInput(
            f"{day.isoformat()} is more than a year after the current session "
            f"({current.isoformat()}); no plan is posted that far ahead."
        )


def bad_day_text(value: object) -> str:
    return f"Invalid date {shown(value)}: use {DATE_HELP}."


def _iso_day(raw: str, word: str) -> dt.date:
    if _ISO_DAY.fullmatch(word):
        try:
            return dt.date.fromisoformat(word)
        except ValueError:
            pass
    raise InvalidInput(bad_day_text(raw))
