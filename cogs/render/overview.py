"""/plans: every configured coach's plan for one session at a glance, as one embed.

A field per configured coach (at most 25, Discord's field limit), each an
excerpt sized so the whole embed fits, or a clear line for no plan or a failure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import discord

from bot.plans import CoachPlan
from bot.plans.market import MarketCalendar, closed_day_note, day_label
from bot.plans.wording import plural
from cogs.render.charts import safe_chart_urls
from cogs.render.limits import (
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    FIELD_COUNT_LIMIT,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    FOOTER_LIMIT,
    TITLE_LIMIT,
)
from cogs.render.markdown import cut, plain, plan_body
from cogs.render.parts import COLOUR_DOWN, COLOUR_PLAN, COLOUR_STALE, FAILURE_TEXT, with_note
from cogs.render.source import overall_source


def plans_embed(
    plans: Mapping[str, CoachPlan],
    names: Mapping[str, str],
    day: dt.date,
    *,
    calendar: MarketCalendar,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> discord.Embed:
    """Every configured coach at a glance: an excerpt each, and a clear line for no plan.

    `plans` is the client's answer: the coaches that posted (one `names` does
    not list is not shown), or, when the API failed, an entry per coach that is
    a stale copy or a fallback. A coach of `names` without an entry has not posted.
    """
    order = list(names)[:FIELD_COUNT_LIMIT]
    shown = [plans[cid] for cid in order if cid in plans]
    posted = sum(1 for p in shown if p.found)
    down = [p.error for p in shown if p.error is not None and not p.stale]
    closed = closed_day_note(calendar, day)
    lines = [f"{posted} of {plural(len(order), 'coach', 'coaches')} posted a plan."]
    if closed and not posted:
        lines = [closed, "No coach posted a plan for that day."]
    if down and len(down) == len(order):
        lines = [FAILURE_TEXT[down[0]]]
    elif down:
        lines.append(
            f"The plan service could not answer for {len(down)} of them; their lines say so."
        )
    embed = discord.Embed(
        title=cut(f"Coach plans · {day_label(calendar, day)}", TITLE_LIMIT),
        description=cut(with_note(note, " ".join(lines)), DESCRIPTION_LIMIT),
        colour=COLOUR_DOWN if len(down) == len(order) else COLOUR_STALE if down else COLOUR_PLAN,
    )
    embed.set_footer(text=cut(overall_source(shown, now), FOOTER_LIMIT))
    field_names = [plain(names[cid], FIELD_NAME_LIMIT) for cid in order]
    room = EMBED_TOTAL_LIMIT - len(embed) - sum(len(n) for n in field_names)
    budget = max(40, min(FIELD_VALUE_LIMIT, room // max(1, len(order))))
    for cid, name in zip(order, field_names, strict=True):
        embed.add_field(name=name, value=_summary(plans.get(cid), budget), inline=False)
    return embed


def _summary(plan: CoachPlan | None, budget: int) -> str:
    """One coach's line; None is a coach who has not posted."""
    if plan is None:
        return "No plan yet."
    if plan.error is not None and not plan.stale:
        return cut(FAILURE_TEXT[plan.error], budget)
    if not plan.found:
        return cut("No plan yet." + (" *(stale)*" if plan.stale else ""), budget)
    meta: list[str] = []
    if plan.author:
        meta.append(f"by {plain(plan.author, 64)}")
    if plan.created_at:
        meta.append(discord.utils.format_dt(plan.created_at, "t"))
    if plan.edited_at:
        meta.append(f"edited {discord.utils.format_dt(plan.edited_at, 't')}")
    charts = len(safe_chart_urls(plan.charts))
    if charts:
        meta.append(plural(charts, "chart"))
    if plan.stale:
        meta.append("*stale copy*")
    tail = cut(" · ".join(meta), max(0, budget // 2))
    text_room = budget - len(tail) - 1
    body = plan_body(plan.plan, keep=text_room) or "(no text)"
    text = cut(body, text_room) if text_room > 0 else ""
    return "\n".join(part for part in (text, tail) if part) or cut("(no text)", budget)
