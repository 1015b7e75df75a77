"""The demo's prose agrees with the calendar of the session it lands on.

Categories: neighbouring sessions named (Wednesday's close on the Friday after
Thanksgiving, "yesterday" only when it was), half days announced with nothing
scheduled after the early close, and a sweep over a year of weeks.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from bot.reference_api import demo_rows
from bot.reference_api._sessions import is_half_day, next_session, previous_session

HALF_DAY = date(2026, 11, 27)
LATER = datetime(2027, 1, 1, 12, 0)  # the server's clock, after every stamp used here
CLOCK_TIME = re.compile(r"\b(\d{1,2}):(\d{2})\b")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAY = re.compile(rf"\b({'|'.join(WEEKDAYS)})\b")


def _plan(today: date, coach: str, day: date) -> str:
    rows = demo_rows(today=today, now=LATER)
    (text,) = [row["plan"] for row in rows if (row["coach"], row["date"]) == (coach, str(day))]
    return str(text)


def _texts(row: dict[str, Any]) -> list[str]:
    return [row["plan"], *(edit["plan_text"] for edit in row["edits"])]


def test_friday_after_thanksgiving_names_wednesdays_close() -> None:
    """The previous session of 2026-11-27 is Wednesday, so it is not "yesterday"."""
    text = _plan(HALF_DAY, "d", HALF_DAY)
    assert "(Wednesday's close)" in text
    assert "yesterday" not in text.lower()


def test_yesterday_and_tomorrow_only_for_adjacent_sessions() -> None:
    """Tuesday's previous session is yesterday; Monday's is Friday; Wednesday's next is Friday."""
    assert "(yesterday's close)" in _plan(date(2026, 11, 24), "d", date(2026, 11, 24))
    assert "(Friday's close)" in _plan(date(2026, 11, 23), "d", date(2026, 11, 23))
    assert "plan tomorrow's reaction" in _plan(HALF_DAY, "n", date(2026, 11, 24))
    assert "plan Friday's reaction" in _plan(date(2026, 11, 30), "n", date(2026, 11, 25))


@pytest.mark.parametrize(
    "today",
    [HALF_DAY, date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)],
    ids=[f"half day {n} sessions back" for n in range(5)],
)
def test_half_day_plans_say_so_and_schedule_nothing_after_the_close(today: date) -> None:
    """Wherever the half day falls in the week, its plans open with it and stop at 13:00 ET."""
    rows = [row for row in demo_rows(today=today, now=LATER) if row["date"] == str(HALF_DAY)]
    assert len(rows) >= 3
    for row in rows:
        assert row["plan"].startswith("Half day: the market closes at 13:00 ET. ")
        for text in _texts(row):
            times = [(int(h), int(m)) for h, m in CLOCK_TIME.findall(text)]
            assert all(clock <= (13, 0) for clock in times), text


def test_calendar_words_are_true_for_a_year_of_weeks() -> None:
    """For every day of 2026: "yesterday", "tomorrow", weekday names and half days are true."""
    for offset in range(365):
        today = date(2026, 1, 1) + timedelta(days=offset)
        for row in demo_rows(today=today, now=LATER):
            day = date.fromisoformat(row["date"])
            neighbours = {WEEKDAYS[previous_session(day).weekday()]}
            neighbours.add(WEEKDAYS[next_session(day).weekday()])
            for text in _texts(row):
                assert "{" not in text and "}" not in text, text
                if "yesterday" in text:
                    assert previous_session(day) == day - timedelta(days=1), (day, text)
                if "tomorrow" in text:
                    assert next_session(day) == day + timedelta(days=1), (day, text)
                assert set(WEEKDAY.findall(text)) <= neighbours, (day, text)
                assert ("Half day" in text) == is_half_day(day), (day, text)
