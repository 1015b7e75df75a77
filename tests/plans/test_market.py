"""The market calendar: NYSE sessions from `holidays`, checked against exchange_calendars.

Categories: agreement with exchange_calendars for every day of 2000-2030
(sessions, early closes, close times), the small API at the instants that
matter (weekends, Thanksgiving, the half day, before the open, Monday
holidays, DST switches), selection by name, and the sentences for closed days.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.plans.market import (
    closed_day_note,
    closed_today_note,
    day_label,
    market_calendar,
)

NY = ZoneInfo("America/New_York")
NYSE = market_calendar("NYSE")


def at(text: str) -> dt.datetime:
    """An instant written as New York wall time."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=NY)


@pytest.mark.filterwarnings(
    "ignore:Series.values returning an ndarray"
)  # inside exchange_calendars
def test_sessions_and_early_closes_match_exchange_calendars_2000_to_2030() -> None:
    """Every day of 2000-2030: the same sessions, early closes and close times as XNYS."""
    xcals = pytest.importorskip("exchange_calendars")
    xnys = xcals.get_calendar("XNYS", start="2000-01-01", end="2030-12-31")
    sessions = {ts.date() for ts in xnys.sessions}
    closes = {ts.date(): close.to_pydatetime() for ts, close in xnys.schedule["close"].items()}
    disagreements = []
    day = dt.date(2000, 1, 1)
    while day <= dt.date(2030, 12, 31):
        ours = NYSE.is_session(day)
        if ours != (day in sessions):
            disagreements.append(f"{day}: session {ours}")
        elif ours and NYSE.close_time(day) != closes[day]:
            disagreements.append(f"{day}: close {NYSE.close_time(day)} vs {closes[day]}")
        day += dt.timedelta(days=1)
    assert disagreements == []
    assert sum(NYSE.is_early_close(d) for d in sessions) == len(xnys.early_closes)


@pytest.mark.parametrize(
    ("now", "current", "previous"),
    [
        ("2026-11-28 12:00", "2026-11-27", "2026-11-25"),  # Saturday -> the half day
        ("2026-11-29 15:00", "2026-11-27", "2026-11-25"),  # Sunday
        ("2026-11-26 10:00", "2026-11-25", "2026-11-24"),  # Thanksgiving
        ("2026-11-27 10:00", "2026-11-27", "2026-11-25"),  # the half day itself
        ("2026-11-30 07:00", "2026-11-30", "2026-11-27"),  # Monday before the open
        ("2027-01-18 12:00", "2027-01-15", "2027-01-14"),  # MLK day
        ("2027-01-19 09:00", "2027-01-19", "2027-01-15"),  # Tuesday after it
        ("2026-03-08 00:30", "2026-03-06", "2026-03-05"),  # DST starts (a Sunday)
        ("2026-03-09 00:00", "2026-03-09", "2026-03-06"),
        ("2026-11-01 01:30", "2026-10-30", "2026-10-29"),  # DST ends (a Sunday)
        ("2026-11-02 00:00", "2026-11-02", "2026-10-30"),
    ],
)
def test_current_and_previous_session(now: str, current: str, previous: str) -> None:
    """The current session is today's on a session day, from midnight; else the latest one."""
    session = NYSE.current_session(at(now))
    assert session.isoformat() == current
    assert NYSE.previous_session(session).isoformat() == previous


def test_dst_midnights_are_read_in_new_york_whatever_the_instant_zone() -> None:
    """23:59 and 00:00 New York time on each side of a DST switch, given in UTC."""
    sunday_night = dt.datetime(2026, 11, 2, 4, 59, tzinfo=dt.UTC)  # 23:59 EST, Sunday 1 Nov
    assert NYSE.current_session(sunday_night) == dt.date(2026, 10, 30)
    monday = dt.datetime(2026, 11, 2, 5, 0, tzinfo=dt.UTC)  # 00:00 EST
    assert NYSE.current_session(monday) == dt.date(2026, 11, 2)
    spring = dt.datetime(2026, 3, 9, 3, 59, tzinfo=dt.UTC)  # 23:59 EDT, Sunday 8 March
    assert NYSE.current_session(spring) == dt.date(2026, 3, 6)
    assert NYSE.current_session(spring + dt.timedelta(minutes=1)) == dt.date(2026, 3, 9)
    with pytest.raises(ValueError, match="aware"):
        NYSE.current_session(dt.datetime(2026, 11, 2))


def test_next_session_skips_weekends_and_holidays() -> None:
    assert NYSE.next_session(dt.date(2026, 11, 25)) == dt.date(2026, 11, 27)
    assert NYSE.next_session(dt.date(2026, 11, 27)) == dt.date(2026, 11, 30)
    assert NYSE.next_session(dt.date(2027, 1, 15)) == dt.date(2027, 1, 19)


def test_open_and_close_times_are_aware_in_new_york() -> None:
    """13:00 on a half day, 16:00 otherwise; asking for a closed day is an error."""
    assert NYSE.close_time(dt.date(2026, 11, 27)) == at("2026-11-27 13:00")
    assert NYSE.close_time(dt.date(2026, 12, 24)) == at("2026-12-24 13:00")
    assert NYSE.close_time(dt.date(2026, 11, 25)) == at("2026-11-25 16:00")
    assert NYSE.open_time(dt.date(2026, 11, 25)) == at("2026-11-25 09:30")
    with pytest.raises(ValueError, match="not a NYSE session"):
        NYSE.close_time(dt.date(2026, 11, 26))


def test_market_day_says_why_there_is_no_session() -> None:
    thanksgiving = NYSE.market_day(dt.date(2026, 11, 26))
    assert (thanksgiving.is_session, thanksgiving.closed_reason) == (False, "Thanksgiving Day")
    assert NYSE.market_day(dt.date(2026, 11, 29)).closed_reason == "Sunday"
    half = NYSE.market_day(dt.date(2026, 11, 27))
    assert (half.is_session, half.early_close, half.closed_reason) == (True, True, None)


def test_sessions_back_counts_sessions_not_days() -> None:
    assert NYSE.sessions_back(dt.date(2026, 11, 29), 5) == [
        dt.date(2026, 11, d) for d in (27, 25, 24, 23, 20)
    ]


def test_calendars_are_chosen_by_name() -> None:
    """Any case gives the one shared calendar; an unknown name lists the known ones."""
    assert market_calendar("nyse") is NYSE
    with pytest.raises(ValueError, match="known: NYSE"):
        market_calendar("LSE")


def test_sentences_for_closed_days() -> None:
    assert day_label(NYSE, dt.date(2026, 11, 27)) == "Friday 2026-11-27 (half day)"
    assert closed_today_note(NYSE, at("2026-11-29 15:00")) == (
        "Markets are closed today (Sunday); latest session: Friday 2026-11-27 (half day)."
    )
    assert closed_today_note(NYSE, at("2026-11-30 07:00")) is None
    assert closed_day_note(NYSE, dt.date(2026, 11, 26)) == (
        "Markets were closed on Thursday 2026-11-26 (Thanksgiving Day)."
    )
    assert closed_day_note(NYSE, dt.date(2026, 11, 28)) == (
        "Markets were closed on Saturday 2026-11-28 (weekend)."
    )
    assert closed_day_note(NYSE, dt.date(2026, 11, 27)) is None
