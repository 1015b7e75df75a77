"""The one input policy: coach spellings and day words, shared by every front end."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.plans import InvalidInput, inputs
from bot.plans.market import market_calendar

NAMES = {"d": "Day Trading", "i": "Intraday", "s": "Swing", "n": "News/Events"}
NYSE = market_calendar()
MONDAY = dt.date(2026, 11, 30)  # the session after the Thanksgiving half day


@pytest.mark.parametrize(
    ("value", "coach"),
    [("d", "d"), (" D ", "d"), ("swing", "s"), ("NEWS/EVENTS", "n"), ("coach_d", "d"),
     ("COACH_S", "s"), ("coach i", "i")],
)  # fmt: skip
def test_coach_spellings(value: str, coach: str) -> None:
    assert inputs.parse_coach(value, NAMES) == coach


@pytest.mark.parametrize("value", ["x", "", "Day", "coach_", "coach_x", None, 5])
def test_unknown_coach_lists_the_coaches(value: object) -> None:
    with pytest.raises(InvalidInput, match=r"Valid coaches: d \(Day Trading\), i \(Intraday\)"):
        inputs.parse_coach(value, NAMES)


@pytest.mark.parametrize(
    ("value", "day"),
    [
        (None, MONDAY),
        ("", MONDAY),
        ("Today", MONDAY),
        ("previous", dt.date(2026, 11, 27)),
        (" yesterday ", dt.date(2026, 11, 27)),
        ("2024-02-29", dt.date(2024, 2, 29)),
        ("2026-11-26", dt.date(2026, 11, 26)),  # Thanksgiving: not a session, still a day
        (dt.date(2026, 11, 28), dt.date(2026, 11, 28)),
        (dt.datetime(2026, 11, 30, 3, 0, tzinfo=dt.UTC), dt.date(2026, 11, 29)),
    ],
)
def test_day_words(value: object, day: dt.date) -> None:
    assert inputs.parse_day(value, calendar=NYSE, current=MONDAY) == day


@pytest.mark.parametrize(
    "value", ["2024-13-45", "2023-02-29", "2024-1-5", "tomorrow", "20241109", "2024-11-09T00:00", 3]
)
def test_bad_days_say_what_is_accepted(value: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        inputs.parse_day(value, calendar=NYSE, current=MONDAY)
    assert str(caught.value).endswith(": use YYYY-MM-DD, today or previous (yesterday works too).")


def test_range_is_2000_to_a_year_past_the_current_session() -> None:
    assert inputs.parse_day("2000-01-03", calendar=NYSE, current=MONDAY)
    assert inputs.parse_day("2027-12-01", calendar=NYSE, current=MONDAY)
    with pytest.raises(InvalidInput, match="too early"):
        inputs.parse_day("1999-12-31", calendar=NYSE, current=MONDAY)
    with pytest.raises(InvalidInput, match="more than a year after the current session"):
        inputs.parse_day("2027-12-02", calendar=NYSE, current=MONDAY)


def test_a_quoted_value_is_short_and_on_one_line() -> None:
    with pytest.raises(InvalidInput) as caught:
        inputs.parse_day("x\n" * 200, calendar=NYSE, current=MONDAY)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 120
