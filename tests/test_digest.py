"""The digest's schedule as plain functions of an aware `now` (bot/digest.py).

Categories: `DIGEST_TIME` parsing; which session a digest at `now` is for;
the next digest (weekends, holidays, DST); the digest a late start owes.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.digest import (
    DEFAULT_DIGEST_TIME,
    digest_at,
    missed_session,
    next_digest_at,
    parse_digest_time,
    session_due,
)
from bot.plans.market import market_calendar

NY = ZoneInfo("America/New_York")
NYSE = market_calendar("NYSE")
NINE = DEFAULT_DIGEST_TIME


def new_york(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=NY)


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [("09:00", dt.time(9)), ("9:05", dt.time(9, 5)), (" 23:59 ", dt.time(23, 59))],
)
def test_digest_time_is_hh_mm(raw: str, parsed: dt.time) -> None:
    assert parse_digest_time(raw) == parsed


@pytest.mark.parametrize("raw", ["9", "9h", "09:60", "24:00", "09:00:00", "09:00Z", "-1:00"])
def test_digest_time_refuses_anything_else(raw: str) -> None:
    with pytest.raises(ValueError, match="24-hour time HH:MM"):
        parse_digest_time(raw)


@pytest.mark.parametrize(
    ("now", "session"),
    [
        ("2026-11-20 09:00", dt.date(2026, 11, 20)),  # a Friday
        ("2026-11-21 09:00", None),  # Saturday
        ("2026-11-26 09:00", None),  # Thanksgiving
        ("2026-11-27 09:00", dt.date(2026, 11, 27)),  # the half day after it
        ("2026-11-20 23:30", dt.date(2026, 11, 20)),  # 04:30 UTC on Saturday
    ],
)
def test_a_digest_is_for_the_market_day_if_it_trades(now: str, session: dt.date | None) -> None:
    """The market's day, not UTC's, and never a weekend or a holiday."""
    assert session_due(new_york(now), NYSE) == session


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2026-11-20 08:59", "2026-11-20 09:00"),  # today, still to come
        ("2026-11-20 09:00", "2026-11-23 09:00"),  # strictly after: Monday, over the weekend
        ("2026-11-25 12:00", "2026-11-27 09:00"),  # over Thanksgiving
        ("2026-10-30 12:00", "2026-11-02 09:00"),  # over the end of DST (EDT to EST)
        ("2027-03-05 12:00", "2027-03-08 09:00"),  # over its start (EST to EDT)
        ("2027-01-15 12:00", "2027-01-19 09:00"),  # over Martin Luther King Jr. Day
    ],
)
def test_next_digest_is_nine_new_york_on_the_next_session(now: str, expected: str) -> None:
    assert next_digest_at(new_york(now), NYSE, NINE) == new_york(expected)


def test_dst_keeps_the_wall_time_not_the_utc_time() -> None:
    """09:00 New York is 13:00 UTC in summer time and 14:00 UTC in winter."""
    friday = digest_at(NYSE, dt.date(2026, 10, 30), NINE)
    monday = digest_at(NYSE, dt.date(2026, 11, 2), NINE)
    assert (friday.astimezone(dt.UTC).hour, monday.astimezone(dt.UTC).hour) == (13, 14)


def test_a_digest_time_other_than_nine() -> None:
    now = new_york("2026-11-20 08:00")
    assert next_digest_at(now, NYSE, dt.time(7, 30)) == new_york("2026-11-23 07:30")
    assert next_digest_at(now, NYSE, dt.time(8, 45)) == new_york("2026-11-20 08:45")


@pytest.mark.parametrize(
    ("now", "owed"),
    [
        ("2026-11-20 08:59", None),  # before the digest time: the loop will post it
        ("2026-11-20 09:00", dt.date(2026, 11, 20)),
        ("2026-11-20 15:59", dt.date(2026, 11, 20)),
        ("2026-11-20 16:00", None),  # the session closed
        ("2026-11-27 12:59", dt.date(2026, 11, 27)),
        ("2026-11-27 13:00", None),  # a half day closes at 13:00
        ("2026-11-21 10:00", None),  # Saturday
    ],
)
def test_a_late_start_owes_the_digest_while_the_session_is_open(
    now: str, owed: dt.date | None
) -> None:
    assert missed_session(new_york(now), NYSE, NINE) == owed
