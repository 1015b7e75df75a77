"""Builders and the limit check the render tests share: a plan as the API sends one."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import discord

from bot.plans import CoachPlan
from bot.plans.market import market_calendar
from cogs.render import limits

NY = ZoneInfo("America/New_York")
NYSE = market_calendar("NYSE")
DAY = dt.date(2024, 11, 9)
FETCHED = dt.datetime.now(dt.UTC)


def a_plan(**changes: object) -> CoachPlan:
    plan = CoachPlan(
        coach="d",
        day=DAY,
        plan="NVDA bull flag on the daily.",
        charts=("https://cdn.example.com/a.png",),
        author="coach_d",
        created_at=dt.datetime.fromisoformat("2024-11-09T08:31:02.118223").replace(tzinfo=NY),
        channel="day-trading",
        found=True,
        fetched_at=dt.datetime.now(dt.UTC),
    )
    return dataclasses.replace(plan, **changes)  # type: ignore[arg-type]


def assert_within_limits(embed: discord.Embed) -> None:
    """Discord's embed limits, as SimCord and Discord enforce them."""
    assert len(embed.title or "") <= limits.TITLE_LIMIT
    assert len(embed.description or "") <= limits.DESCRIPTION_LIMIT
    assert len(embed.fields) <= limits.FIELD_COUNT_LIMIT
    for f in embed.fields:
        assert 0 < len(f.name or "") <= limits.FIELD_NAME_LIMIT
        assert 0 < len(f.value or "") <= limits.FIELD_VALUE_LIMIT
    assert len(embed.footer.text or "") <= limits.FOOTER_LIMIT
    assert len(embed) <= limits.EMBED_TOTAL_LIMIT
