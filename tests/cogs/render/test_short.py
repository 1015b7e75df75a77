"""The one-line replies: /clearcache counts plans, the rate limit rounds up."""

from __future__ import annotations

import datetime as dt

import pytest

from cogs.render import short
from tests.cogs.render.conftest import DAY


@pytest.mark.parametrize(
    ("plans", "coach", "day", "text"),
    [
        (1, None, None, "Dropped 1 cached plan (everything)."),
        (3, "Swing", None, "Dropped 3 cached plans for coach Swing."),
        (2, "Swing", DAY, "Dropped 2 cached plans for coach Swing and 2024-11-09."),
        (0, None, DAY, "No plans were cached for 2024-11-09."),
        (0, None, None, "No plans were cached."),
    ],
)
def test_cleared_text_counts_plans(
    plans: int, coach: str | None, day: dt.date | None, text: str
) -> None:
    """/clearcache says how many plans went, in the right plural, not internal entries."""
    assert (
        short.cleared_text(plans, coach, day) == f"{text} The next request asks the plan service."
    )


def test_rate_limited_text_rounds_up() -> None:
    assert short.rate_limited_text(0.2) == "You're asking too quickly. Please try again in 1 s."
    assert short.rate_limited_text(12.01) == "You're asking too quickly. Please try again in 13 s."
