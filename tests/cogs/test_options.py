"""Option rules without Discord: which coaches and dates are accepted, what is suggested."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.plans import InvalidInput, inputs
from bot.plans.market import market_calendar
from cogs import options

NAMES = {"d": "Day Trading", "i": "Intraday", "s": "Swing", "n": "News/Events"}
NYSE = market_calendar()


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
        ("coach_d", "d"),
        ("Coach S", "s"),
    ],
)
def test_coach_is_an_id_or_display_name_in_any_case(value: str, coach: str | None) -> None:
    assert options.parse_coach(value, NAMES) == coach


def test_coach_choices_list_all_for_empty_input_and_prefix_matches_first() -> None:
    assert [c.value for c in options.coach_choices("", NAMES)] == ["d", "i", "s", "n"]
    assert [c.value for c in options.coach_choices("da", NAMES)] == ["d", "i"]
    assert [c.name for c in options.coach_choices("sw", NAMES)] == ["Swing (s)"]


def test_coach_choices_stay_within_discords_limits() -> None:
    names = {f"c{i}": "N" * 100 for i in range(30)}
    choices = options.coach_choices("", names)
    assert len(choices) == 25 and all(len(c.name) <= 100 for c in choices)


def test_date_choices_offer_sessions_not_calendar_days() -> None:
    """On Sunday after Thanksgiving: today is the half day, previous skips the holiday."""
    sunday = dt.date(2026, 11, 27)  # the current session on Sunday 2026-11-29
    choices = options.date_choices("", sunday, NYSE)
    assert [c.value for c in choices[:4]] == ["today", "previous", "2026-11-24", "2026-11-23"]
    assert choices[0].name == "today: Friday 2026-11-27 (half day)"
    assert choices[1].name == "previous: Wednesday 2026-11-25"
    assert not any("2026-11-26" in c.value or "Saturday" in c.name for c in choices)
    assert [c.value for c in options.date_choices("prev", sunday, NYSE)] == ["previous"]
    assert [c.value for c in options.date_choices("2026-11-2", sunday, NYSE)] == [
        "today", "previous", "2026-11-24", "2026-11-23", "2026-11-20"
    ]  # fmt: skip


def test_bad_input_text_is_the_policys_sentence_without_markdown() -> None:
    with pytest.raises(InvalidInput) as caught:
        inputs.parse_coach("zz_*", NAMES)
    assert options.bad_input_text(caught.value) == (
        "Unknown coach 'zz\\_\\*'. Valid coaches: d (Day Trading), i (Intraday), s (Swing), "
        "n (News/Events)."
    )


def test_bad_input_echo_is_short_and_harmless() -> None:
    with pytest.raises(InvalidInput) as caught:
        inputs.parse_coach("<@&123456789012345678> **" + "z" * 500, {"d": "Day Trading"})
    text = options.bad_input_text(caught.value)
    assert "<@&123456789012345678>" not in text and "**" not in text and len(text) < 200
