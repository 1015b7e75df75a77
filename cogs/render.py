"""Pure functions from plan results and client metrics to embeds and reply text.

Every Discord limit lives here, so a command can hand over whatever the API
sent (a 10,000-character plan, a dozen charts, `@everyone`) and still get a
message Discord accepts: long text is cut on a word boundary with a visible
mark (never inside open code), chart URLs other than http(s) are dropped, and
each embed stays under the 6000-character total. Nothing here does I/O or
reads settings.

Text from the API, configuration or a user is untrusted. Names and labels go
through `escape` (shown exactly as written); a plan keeps its markdown but
goes through `plan_body`, so a masked link shows its real address. Neither
can mention anyone, and the bot sends with `AllowedMentions.none()` as well.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import discord

from bot.plans import CoachPlan, ErrorCategory
from bot.plans.market import MarketCalendar, closed_day_note
from bot.plans.market import day_label as session_label
from bot.plans.wording import ago, plural
from cogs.markdown import ELLIPSIS as ELLIPSIS
from cogs.markdown import URL_LIMIT as URL_LIMIT
from cogs.markdown import ZERO_WIDTH_SPACE as ZERO_WIDTH_SPACE
from cogs.markdown import code_spans as code_spans
from cogs.markdown import cut as cut
from cogs.markdown import escape as escape
from cogs.markdown import plan_body as plan_body

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
TITLE_LIMIT: Final = 256
DESCRIPTION_LIMIT: Final = 4096
FIELD_NAME_LIMIT: Final = 256
FIELD_VALUE_LIMIT: Final = 1024
FIELD_COUNT_LIMIT: Final = 25
FOOTER_LIMIT: Final = 2048
EMBED_TOTAL_LIMIT: Final = 6000
EMBEDS_PER_MESSAGE_LIMIT: Final = 10
CONTENT_LIMIT: Final = 2000
CHOICE_LIMIT: Final = 25

#: Fields of links for the charts after the first, which is the embed's image.
MAX_CHART_LINK_FIELDS: Final = 3
CUT_MARK: Final = " … *(cut: the full plan is longer than Discord shows)*"

COLOUR_PLAN: Final = discord.Colour.green()
COLOUR_NO_PLAN: Final = discord.Colour.light_grey()
COLOUR_STALE: Final = discord.Colour.orange()
COLOUR_DOWN: Final = discord.Colour.red()
COLOUR_STATS: Final = discord.Colour.blurple()

#: The bot's one wording of each failure category the client returns (the tools have theirs).
FAILURE_TEXT: Final[Mapping[ErrorCategory, str]] = {
    "timeout": "The plan service took too long to answer. Please try again in a minute.",
    "unavailable": "The plan service is unavailable right now. Please try again later.",
    "bad_response": "The plan service sent an answer we could not read. Please try again later.",
    "rejected": "The plan service refused this request.",
}


def plain(text: str, limit: int) -> str:
    """User or API text shown as-is: no markdown, no mentions, within `limit`."""
    return cut(escape(text), limit)


def day_label(day: dt.date, calendar: MarketCalendar | None = None) -> str:
    """`Friday 2026-11-27`; with a calendar, `(half day)` on an early close."""
    if calendar is not None:
        return session_label(calendar, day)
    return f"{day:%A} {day.isoformat()}"


def with_note(note: str | None, text: str) -> str:
    """`text` under an italic session note ("Markets are closed today ..."), if any."""
    return f"*{note}*\n\n{text}" if note else text


def safe_chart_urls(charts: Iterable[str]) -> list[str]:
    """Only absolute http(s) URLs; anything else (`javascript:`, `data:`) is dropped."""
    out: list[str] = []
    for url in charts:
        if not isinstance(url, str) or len(url) > URL_LIMIT or url in out:
            continue
        if any(ch.isspace() or ord(ch) < 32 or ch in "<>\"'" for ch in url):
            continue
        try:
            parts = urlsplit(url)
        except ValueError:
            continue
        if parts.scheme.lower() in ("http", "https") and parts.hostname:
            out.append(url)
    return out


def discord_time(moment: dt.datetime | None) -> str | None:
    """A Discord timestamp: each reader sees the instant in their own zone, and its age."""
    if moment is None:
        return None
    return f"{discord.utils.format_dt(moment, 'f')} ({discord.utils.format_dt(moment, 'R')})"


def source_line(plan: CoachPlan, now: dt.datetime | None = None) -> str:
    """Where the answer came from: live, from cache (with its age), stale, or nothing.

    `now` is the client's clock (`client.now()`), which the offline mode pins.
    """
    age = plan.age_seconds if now is None else plan.age_at(now)
    if plan.stale:
        return f"Stale copy fetched {ago(age)}: the plan service is not answering"
    if plan.error is not None:
        return "No answer from the plan service"
    if plan.from_cache:
        return f"From cache · fetched {ago(age)}"
    return "Live from the plan service"


# -- /plan -------------------------------------------------------------------------
def plan_embed(
    plan: CoachPlan,
    coach_name: str,
    *,
    calendar: MarketCalendar,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> discord.Embed:
    """One coach's session: the plan, who wrote it and when, charts, and where it came from.

    `note` is the session note the command adds when "today" is a closed day.
    `coach_name` comes from configuration and is escaped wherever it shows.
    """
    name = escape(coach_name)
    title = cut(f"{name} · {day_label(plan.day, calendar)}", TITLE_LIMIT)
    footer = cut(source_line(plan, now), FOOTER_LIMIT)
    if plan.error is not None and not plan.stale:
        embed = discord.Embed(
            title=title,
            description=cut(with_note(note, FAILURE_TEXT[plan.error]), DESCRIPTION_LIMIT),
            colour=COLOUR_DOWN,
        )
        return embed.set_footer(text=footer)
    if not plan.found:
        closed = closed_day_note(calendar, plan.day)
        text = (
            f"{closed} {name} posted no plan for that day."
            if closed
            else f"No plan yet: {name} has not posted a plan for {day_label(plan.day, calendar)}."
        )
        embed = discord.Embed(
            title=title,
            description=cut(with_note(note, text), DESCRIPTION_LIMIT),
            colour=COLOUR_STALE if plan.stale else COLOUR_NO_PLAN,
        )
        return embed.set_footer(text=footer)

    embed = discord.Embed(title=title, colour=COLOUR_STALE if plan.stale else COLOUR_PLAN)
    if plan.author:
        embed.add_field(name="Author", value=plain(plan.author, FIELD_VALUE_LIMIT))
    posted = discord_time(plan.created_at)
    if posted:
        embed.add_field(name="Posted", value=posted)
    edited = discord_time(plan.edited_at)
    if edited:
        embed.add_field(name="Edited", value=edited)
    if plan.channel:
        embed.add_field(name="Channel", value=plain(f"#{plan.channel}", FIELD_VALUE_LIMIT))
    charts = safe_chart_urls(plan.charts)
    if charts:
        embed.set_image(url=charts[0])
        for name, value in chart_link_fields(charts[1:], first_number=2):
            embed.add_field(name=name, value=value, inline=False)
    embed.set_footer(text=footer)
    head = with_note(note, "")
    room = min(DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT - len(embed)) - len(head)
    body = plan_body(plan.plan, keep=room) if plan.plan else "(The plan has no text.)"
    embed.description = head + cut(body, room, CUT_MARK)
    return embed


def chart_link_fields(urls: list[str], *, first_number: int) -> list[tuple[str, str]]:
    """Links for the extra charts, packed into a few fields; what does not fit is counted."""
    room = FIELD_VALUE_LIMIT - len(" · and 9999 more")
    groups: list[list[str]] = []
    hidden = 0
    for number, url in enumerate(urls, start=first_number):
        link = f"[Chart {number}]({_link_target(url)})"
        if len(link) > room:
            hidden += 1
        elif groups and len(" · ".join([*groups[-1], link])) <= room:
            groups[-1].append(link)
        elif len(groups) < MAX_CHART_LINK_FIELDS:
            groups.append([link])
        else:
            hidden += 1
    values = [" · ".join(group) for group in groups]
    if hidden:
        more = f"and {hidden} more"
        values = [*values[:-1], f"{values[-1]} · {more}"] if values else [f"{more} (not shown)"]
    return [
        ("More charts" if index == 0 else "More charts (continued)", value)
        for index, value in enumerate(values)
    ]


def _link_target(url: str) -> str:
    # A ")" would end the markdown link early.
    return url.replace("(", "%28").replace(")", "%29")


# -- /plans ------------------------------------------------------------------------
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
        title=cut(f"Coach plans · {day_label(day, calendar)}", TITLE_LIMIT),
        description=cut(with_note(note, " ".join(lines)), DESCRIPTION_LIMIT),
        colour=COLOUR_DOWN if len(down) == len(order) else COLOUR_STALE if down else COLOUR_PLAN,
    )
    embed.set_footer(text=cut(_overall_source(shown, now), FOOTER_LIMIT))
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


def _overall_source(plans: list[CoachPlan], now: dt.datetime | None) -> str:
    if not plans:  # nobody posted: nothing says whether the answer was cached
        return "From the plan service"
    answered = [p for p in plans if p.error is None or p.stale]
    if not answered:
        return "No answer from the plan service"
    stale = [p for p in answered if p.stale]
    # The oldest answer is the one with the earliest fetch, whatever clock ages it.
    if stale:
        return source_line(min(stale, key=lambda p: p.fetched_at), now)
    if all(p.from_cache for p in answered):
        return source_line(min(answered, key=lambda p: p.fetched_at), now)
    return "Live from the plan service"


# -- /cachestats -------------------------------------------------------------------
def stats_embed(metrics: Mapping[str, Any]) -> discord.Embed:
    """The client's counters, compact: the numbers are exactly `get_metrics()`'s."""
    req, api, cache, breaker = (
        metrics["requests"],
        metrics["api"],
        metrics["cache"],
        metrics["breaker"],
    )
    embed = discord.Embed(
        title="Plan cache",
        description=f"{plural(req['total'], 'request')} since start.",
        colour=COLOUR_STATS,
    )
    fields = [
        ("Hit rate", f"{req['cache_hit_rate_percent']:.1f} %"),
        ("Hits / misses", f"{req['cache_hits']} / {req['cache_misses']}"),
        ("Coalesced", f"{req['coalesced']}"),
        ("API ok / errors / retries", f"{api['success']} / {api['errors']} / {api['retries']}"),
        (
            "Cached plans",
            f"{cache['plans']} · in {cache['size']} of {cache['max_size']} cache entries",
        ),
        ("Cache TTL", f"{_seconds(cache['ttl_seconds'])} · evictions {cache['evictions']}"),
        ("Stale served / fallbacks", f"{req['stale_served']} / {req['fallbacks']}"),
        (
            "Breaker",
            f"{breaker['state']} · opened {breaker['opens']} · "
            f"short-circuited {breaker['short_circuited']}",
        ),
        ("Deadline exceeded", f"{metrics.get('deadline_exceeded', 0)}"),
        ("Last API error", f"{api.get('last_error') or 'none'}"),
        ("Upstream p50 / p95", _latencies(metrics.get("latency_ms", {}))),
    ]
    for name, value in fields[:FIELD_COUNT_LIMIT]:
        embed.add_field(name=cut(name, FIELD_NAME_LIMIT), value=cut(value, FIELD_VALUE_LIMIT))
    return embed


def _seconds(value: float) -> str:
    return f"{value:g} s" if math.isfinite(value) else str(value)


def _latencies(latency: Mapping[str, Mapping[str, float]]) -> str:
    if not latency:
        return "no upstream calls yet"
    return "\n".join(
        f"{endpoint}: {v['p50']:.0f} / {v['p95']:.0f} ms ({plural(int(v['count']), 'call')})"
        for endpoint, v in sorted(latency.items())
    )


# -- short replies -----------------------------------------------------------------
def rate_limited_text(retry_after: float) -> str:
    return f"You're asking too quickly. Please try again in {max(1, math.ceil(retry_after))} s."


def refusal_text() -> str:
    return "Sorry, only moderators can clear the plan cache."


def cleared_text(plans: int, coach_name: str | None, day: dt.date | None) -> str:
    """What /clearcache did, in plans (the client's `cached_plans`), not cache entries."""
    scope = " and ".join(
        part
        for part in (coach_name and f"coach {escape(coach_name)}", day and day.isoformat())
        if part
    )
    where = f" for {scope}" if scope else ""
    if plans:
        head = f"Dropped {plural(plans, 'cached plan')}{where or ' (everything)'}."
    else:
        head = f"No plans were cached{where}."
    return cut(f"{head} The next request asks the plan service.", CONTENT_LIMIT)


def error_text(error_id: str) -> str:
    return f"Something went wrong on our side (error id `{error_id}`). Please try again."
