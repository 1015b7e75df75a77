"""Configured coach names are shown exactly as written, on every surface, and never format.

Titles, fields, autocomplete choices, the /plans overview and the replies
all escape a name; escaping adds backslashes only, so Discord shows it as configured.
"""

from __future__ import annotations

import re

import pytest

from bot.plans import CoachPlan, InvalidInput, inputs
from cogs import options
from cogs.render import limits, markdown, one_plan, overview, short
from tests.cogs.render.conftest import DAY, FETCHED, NYSE, a_plan
from tests.cogs.render.reader import assert_escaped

HOSTILE_NAMES = {
    "b": "**Bold** [x](https://evil.example)",
    "r": "<@&123>",
    "e": "@everyone",
    "u": "__Under__ ~~strike~~ ||spoiler|| `code` # Head",
}


def test_coach_names_are_escaped_in_the_plan_embed() -> None:
    for cid, name in HOSTILE_NAMES.items():
        found = one_plan.plan_embed(a_plan(plan="x", coach=cid), name, calendar=NYSE)
        missing = one_plan.plan_embed(CoachPlan.missing(cid, DAY, FETCHED), name, calendar=NYSE)
        assert_escaped(found.title or "")
        assert_escaped(missing.title or "")
        assert_escaped(missing.description or "")


def test_coach_names_are_escaped_in_the_overview() -> None:
    plans = {cid: a_plan(plan="x", coach=cid) for cid in HOSTILE_NAMES}
    embed = overview.plans_embed(plans, HOSTILE_NAMES, DAY, calendar=NYSE)
    assert len(embed.fields) == len(HOSTILE_NAMES)
    for f in embed.fields:
        assert_escaped(f.name or "")


def test_coach_names_are_escaped_in_autocomplete_choices() -> None:
    choices = options.coach_choices("", HOSTILE_NAMES)
    assert [c.value for c in choices] == list(HOSTILE_NAMES)
    for choice in choices:
        assert_escaped(choice.name)
        assert len(choice.name) <= limits.CHOICE_NAME_LIMIT


def test_coach_names_are_escaped_in_the_cleared_cache_reply() -> None:
    for name in HOSTILE_NAMES.values():
        assert_escaped(short.cleared_text(2, name, DAY))


def test_coach_names_are_escaped_in_the_bad_input_reply() -> None:
    with pytest.raises(InvalidInput) as caught:
        inputs.parse_coach("nobody", HOSTILE_NAMES)
    text = options.bad_input_text(caught.value)
    assert "nobody" in text
    assert_escaped(text)


def test_an_escaped_name_reads_as_written() -> None:
    """Escaping adds backslashes only; Discord shows the name exactly as configured."""
    for name in [*HOSTILE_NAMES.values(), "Day Trading", "News/Events", "a\\b", "- dash"]:
        escaped = markdown.escape(name)
        assert (
            re.sub(r"\\(.)", r"\1", escaped)
            .replace(markdown.ZERO_WIDTH_SPACE, "")
            .replace("%5D", "]")
            == name
        )
