"""Option rules without Discord: which coaches and dates are accepted, what is suggested."""

from __future__ import annotations

import datetime as dt

import pytest

from cogs import options

NAMES = {"d": "Day Trading", "i": "Intraday", "s": "Swing", "n": "News/Events"}
TODAY = dt.date(2024, 11, 9)


@pytest.mark.parametrize(
    ("value", "coach"),
    [
        ("d", "d"),
        (" D ", "d"),
        ("swing", "s"),
        ("NEWS/EVENTS", "n"),
        ("x", None),
        ("", None),
        ("Day", None),
    ],
)
def test_coach_is_an_id_or_display_name_in_any_case(value: str, coach: str | None) -> None:
    assert options.parse_coach(value, NAMES) == coach


@pytest.mark.parametrize(
    ("value", "day"),
    [
        (None, TODAY),
        ("", TODAY),
        ("Today", TODAY),
        ("yesterday", dt.date(2024, 11, 8)),
        ("2024-02-29", dt.date(2024, 2, 29)),
        ("2024-13-45", None),
        ("2023-02-29", None),
        ("2024-1-5", None),
        ("tomorrow", None),
        ("20241109", None),
        ("2024-11-09T00:00", None),
    ],
)
def test_day_is_today_yesterday_or_a_real_calendar_day(
    value: str | None, day: dt.date | None
) -> None:
    assert options.parse_day(value, TODAY) == day


def test_coach_choices_list_all_for_empty_input_and_prefix_matches_first() -> None:
    assert [c.value for c in options.coach_choices("", NAMES)] == ["d", "i", "s", "n"]
    assert [c.value for c in options.coach_choices("da", NAMES)] == ["d", "i"]
    assert [c.name for c in options.coach_choices("sw", NAMES)] == ["Swing (s)"]


def test_coach_choices_stay_within_discords_limits() -> None:
    names = {f"c{i}": "N" * 100 for i in range(30)}
    choices = options.coach_choices("", names)
    assert len(choices) == 25 and all(len(c.name) <= 100 for c in choices)


def test_date_choices_offer_words_then_recent_days() -> None:
    choices = options.date_choices("", TODAY)
    assert [c.value for c in choices[:3]] == ["today", "yesterday", "2024-11-07"]
    assert choices[2].name == "Thursday 2024-11-07"
    assert [c.value for c in options.date_choices("yes", TODAY)] == ["yesterday"]


def test_bad_input_texts_say_what_is_accepted() -> None:
    assert "`d` (Day Trading)" in options.bad_coach_text("zz", NAMES)
    text = options.bad_date_text("2024-13-45")
    assert "YYYY-MM-DD" in text and "`today`" in text and "`yesterday`" in text
