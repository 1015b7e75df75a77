"""The demo's calendar is NYSE sessions: weekends and exchange holidays skipped, half days known.

Categories: `trading_days` around Thanksgiving, a weekend, a Monday holiday and a new
year; half days; and the whole calendar against exchange_calendars' XNYS when that
package is installed.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.reference_api import trading_days
from bot.reference_api._sessions import (
    is_half_day,
    is_session,
    next_session,
    previous_session,
)

THANKSGIVING_WEEK = [
    date(2026, 11, 20),
    date(2026, 11, 23),
    date(2026, 11, 24),
    date(2026, 11, 25),
    date(2026, 11, 27),
]


def test_thanksgiving_is_skipped() -> None:
    """Up to Friday 2026-11-27 the week skips Thursday, Thanksgiving."""
    assert trading_days(date(2026, 11, 27)) == THANKSGIVING_WEEK


@pytest.mark.parametrize("closed", [date(2026, 11, 28), date(2026, 11, 29)])
def test_a_weekend_gives_the_week_ending_friday(closed: date) -> None:
    """Saturday and Sunday end the week at Friday's session, so the demo has that day."""
    assert trading_days(closed) == THANKSGIVING_WEEK


def test_a_holiday_ends_the_week_at_the_previous_session() -> None:
    """On Thanksgiving itself the latest session is Wednesday."""
    assert trading_days(date(2026, 11, 26))[-1] == date(2026, 11, 25)


def test_tuesday_after_a_monday_holiday_skips_the_monday() -> None:
    """Martin Luther King Jr. Day 2027-01-18 is not a session; the week runs back to the 12th."""
    assert trading_days(date(2027, 1, 19)) == [
        date(2027, 1, 12),
        date(2027, 1, 13),
        date(2027, 1, 14),
        date(2027, 1, 15),
        date(2027, 1, 19),
    ]


def test_the_week_crosses_a_new_year_holiday() -> None:
    """New Year's Day is closed and the year boundary needs both years' holidays."""
    assert trading_days(date(2027, 1, 4)) == [
        date(2026, 12, 28),
        date(2026, 12, 29),
        date(2026, 12, 30),
        date(2026, 12, 31),
        date(2027, 1, 4),
    ]


def test_count_is_honoured() -> None:
    """`count` sessions, down to none."""
    assert trading_days(date(2026, 11, 27), count=2) == THANKSGIVING_WEEK[-2:]
    assert trading_days(date(2026, 11, 27), count=0) == []


def test_neighbouring_sessions_skip_closed_days() -> None:
    """Previous and next are strict and jump over weekends and holidays."""
    assert previous_session(date(2026, 11, 27)) == date(2026, 11, 25)
    assert next_session(date(2026, 11, 25)) == date(2026, 11, 27)
    assert next_session(date(2026, 11, 27)) == date(2026, 11, 30)
    assert previous_session(date(2027, 1, 19)) == date(2027, 1, 15)


def test_half_days_are_sessions_that_close_early() -> None:
    """The day after Thanksgiving and Christmas Eve 2026 close at 13:00; others do not."""
    assert is_half_day(date(2026, 11, 27))
    assert is_half_day(date(2026, 12, 24))
    assert not is_half_day(date(2026, 11, 25))
    assert not is_half_day(date(2026, 11, 26))  # closed, not short


@pytest.mark.filterwarnings("ignore:Series.values returning an ndarray")
def test_sessions_agree_with_exchange_calendars() -> None:
    """Every day of 2024-2027: sessions and early closes match XNYS in exchange_calendars."""
    xcals = pytest.importorskip("exchange_calendars")
    start, end = date(2024, 1, 1), date(2027, 12, 31)
    xnys = xcals.get_calendar("XNYS", start=start.isoformat(), end=end.isoformat())
    sessions = {stamp.date() for stamp in xnys.sessions}
    early = {stamp.date() for stamp in xnys.early_closes}
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    assert {day for day in days if is_session(day)} == sessions
    assert {day for day in days if is_half_day(day)} == early
