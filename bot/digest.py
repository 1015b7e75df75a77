"""The opening digest without Discord: its `DIGEST_TIME` setting and its schedule.

`DIGEST_TIME` is a wall-clock time in the market's zone (09:00 New York for
NYSE), so the digest keeps to the market when daylight saving time starts or
ends. The functions here answer "when is the next digest?" and "is a digest
due now, and for which session?" from an aware `now`, the plan client's
injectable clock, so they are tested with plain values (`tests/test_digest.py`)
and the cog (`cogs/digest.py`) only does the I/O.

A digest is for a session only: never on a weekend or a holiday. A bot that
starts after `DIGEST_TIME` on a session day, before the session closes, owes
that day's digest (`missed_session`); the cog posts it then, unless the
channel shows it was already posted.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

from bot.plans.market import MarketCalendar

DEFAULT_DIGEST_TIME: Final = dt.time(9, 0)
#: Days searched for the next session: longer than any run of closed days.
_SEARCH_DAYS: Final = 40
_TIME_SHAPE: Final = re.compile(r"(\d{1,2}):(\d{2})")
_TIME_EXPECTED: Final = "a 24-hour time HH:MM in the market's zone, e.g. 09:00 or 08:45"


def parse_digest_time(raw: str) -> dt.time:
    """`DIGEST_TIME`: `HH:MM`, 24-hour, naive: the market calendar gives the zone."""
    match = _TIME_SHAPE.fullmatch(raw.strip())
    if match is None:
        raise ValueError(_TIME_EXPECTED)
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        raise ValueError(_TIME_EXPECTED)
    return dt.time(hour, minute)


def digest_at(calendar: MarketCalendar, day: dt.date, at: dt.time) -> dt.datetime:
    """When the digest of `day` is posted: `at` on that day in the market's zone."""
    # A wall time that a DST switch skips moves on by the gap, as discord.py's loop does;
    # switches happen at night and at weekends, when no digest is due anyway.
    wall = dt.datetime.combine(day, at, tzinfo=calendar.zone)
    return wall.astimezone(dt.UTC).astimezone(calendar.zone)


def session_due(now: dt.datetime, calendar: MarketCalendar) -> dt.date | None:
    """The session a digest posted at `now` is for: the market's day, if it trades."""
    day = calendar.local_date(now)
    return day if calendar.is_session(day) else None


def missed_session(now: dt.datetime, calendar: MarketCalendar, at: dt.time) -> dt.date | None:
    """A session whose digest time passed before `now` while it is still open, else None.

    What a bot starting at `now` owes: the digest it would have posted had it
    been running. After the close the day's plans are history, not a digest.
    """
    day = session_due(now, calendar)
    if day is None or not digest_at(calendar, day, at) <= now < calendar.close_time(day):
        return None
    return day


def next_digest_at(now: dt.datetime, calendar: MarketCalendar, at: dt.time) -> dt.datetime:
    """The first digest strictly after `now`: `at` on the next session day, market zone."""
    day = calendar.local_date(now)
    for _ in range(_SEARCH_DAYS):
        if calendar.is_session(day):
            when = digest_at(calendar, day, at)
            if when > now:
                return when
        day += dt.timedelta(days=1)
    raise ValueError(f"{calendar.name} has no session within {_SEARCH_DAYS} days of {now}")


def digest_summary(channel_id: int | None, at: dt.time, role_id: int | None, market: str) -> str:
    """The digest settings in one line, for `--check-config`."""
    if channel_id is None:
        return "off (DIGEST_CHANNEL_ID is not set)"
    role = f", pinging role {role_id}" if role_id is not None else ", pinging no one"
    return f"channel {channel_id} at {at:%H:%M} in {market}'s zone{role}"
