"""Rendering without Discord: every embed within Discord's limits, whatever the API sends.

Categories: text cutting; chart URL filtering and links; /plan embeds for
found / no plan / cached / stale / fallback; /plans at 25 coaches; /cachestats;
short replies.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import discord
import pytest

from bot.plans import CoachPlan, ErrorCategory, InvalidInput, inputs
from bot.plans.market import market_calendar
from cogs import options, render

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
    assert len(embed.title or "") <= render.TITLE_LIMIT
    assert len(embed.description or "") <= render.DESCRIPTION_LIMIT
    assert len(embed.fields) <= render.FIELD_COUNT_LIMIT
    for f in embed.fields:
        assert 0 < len(f.name or "") <= render.FIELD_NAME_LIMIT
        assert 0 < len(f.value or "") <= render.FIELD_VALUE_LIMIT
    assert len(embed.footer.text or "") <= render.FOOTER_LIMIT
    assert len(embed) <= render.EMBED_TOTAL_LIMIT


# -- text --------------------------------------------------------------------------
def test_cut_leaves_short_text_alone() -> None:
    assert render.cut("short", 10) == "short"


def test_cut_ends_on_a_word_with_the_mark_within_the_limit() -> None:
    text = "alpha beta gamma delta"
    assert render.cut(text, 14) == "alpha beta…"
    assert render.cut(text, 14, " [cut]") == "alpha [cut]"


def test_cut_splits_one_huge_word_rather_than_dropping_everything() -> None:
    assert render.cut("x" * 50, 10) == "x" * 9 + "…"


def test_cut_with_a_limit_below_the_mark() -> None:
    assert render.cut("abcdef", 2, "[cut]") == "[c"


def test_plain_text_cannot_mention_or_format() -> None:
    assert render.plain("@everyone **bold**", 100) == "@\u200beveryone \\*\\*bold\\*\\*"


# -- charts ------------------------------------------------------------------------
def test_only_http_and_https_chart_urls_survive() -> None:
    urls = [
        "https://cdn.example.com/a.png?ex=1",
        "http://cdn.example.com/b.png",
        "HTTPS://CDN.EXAMPLE.COM/C.PNG",
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "ftp://example.com/x.png",
        "/relative/x.png",
        "https://",
        "https://cdn.example.com/with space.png",
        "https://cdn.example.com/" + "x" * render.URL_LIMIT,
        "https://cdn.example.com/a.png?ex=1",
    ]
    assert render.safe_chart_urls(urls) == urls[:3]


def test_extra_charts_are_packed_into_at_most_three_fields_and_the_rest_counted() -> None:
    urls = [f"https://cdn.example.com/{n}/{'y' * 150}.png" for n in range(40)]

    fields = render.chart_link_fields(urls, first_number=2)

    assert 1 <= len(fields) <= render.MAX_CHART_LINK_FIELDS
    assert all(len(value) <= render.FIELD_VALUE_LIMIT for _, value in fields)
    shown = sum(value.count("[Chart ") for _, value in fields)
    assert fields[-1][1].endswith(f"and {40 - shown} more")


def test_a_parenthesis_cannot_break_a_chart_link() -> None:
    [(_, value)] = render.chart_link_fields(["https://x.example/a_(1).png"], first_number=2)
    assert value == "[Chart 2](https://x.example/a_%281%29.png)"


# -- /plan -------------------------------------------------------------------------
def test_plan_embed_shows_author_times_channel_and_image() -> None:
    embed = render.plan_embed(
        a_plan(edited_at=dt.datetime.fromisoformat("2024-11-09T10:02:44").replace(tzinfo=NY)),
        "Day Trading",
        calendar=NYSE,
    )

    assert embed.title == "Day Trading · Saturday 2024-11-09"
    assert embed.description == "NVDA bull flag on the daily."
    fields = {f.name: f.value for f in embed.fields}
    # 08:31:02 in New York on 2024-11-09 is 13:31:02 UTC.
    assert fields["Posted"] == "<t:1731159062:f> (<t:1731159062:R>)"
    assert fields["Edited"] is not None and fields["Edited"].startswith("<t:1731164564:f>")
    assert fields["Author"] == "coach\\_d" and fields["Channel"] == "\\#day-trading"
    assert embed.image.url == "https://cdn.example.com/a.png"
    assert embed.colour == render.COLOUR_PLAN


def test_a_plan_without_a_time_has_no_posted_field() -> None:
    """The client drops a stamp it cannot read; the embed then just has no Posted field."""
    embed = render.plan_embed(a_plan(created_at=None), "Day Trading", calendar=NYSE)
    assert "Posted" not in {f.name for f in embed.fields}


def test_half_day_and_closed_days_are_named() -> None:
    """A half day says so in the title; no plan on Thanksgiving says the market was closed."""
    half = render.plan_embed(a_plan(day=dt.date(2026, 11, 27)), "Day Trading", calendar=NYSE)
    assert half.title == "Day Trading · Friday 2026-11-27 (half day)"
    closed = render.plan_embed(
        a_plan(day=dt.date(2026, 11, 26), found=False, plan="", charts=()),
        "Day Trading",
        calendar=NYSE,
    )
    assert closed.description == (
        "Markets were closed on Thursday 2026-11-26 (Thanksgiving Day). "
        "Day Trading posted no plan for that day."
    )
    noted = render.plan_embed(a_plan(), "Day Trading", calendar=NYSE, note="Markets closed.")
    assert noted.description == "*Markets closed.*\n\nNVDA bull flag on the daily."


@pytest.mark.parametrize(
    ("changes", "footer"),
    [
        ({}, "Live from the plan service"),
        ({"from_cache": True}, "From cache · fetched just now"),
        (
            {"from_cache": True, "stale": True},
            "Stale copy fetched just now: the plan service is not answering",
        ),
        (
            {"found": False, "error": "timeout", "plan": "took too long"},
            "No answer from the plan service",
        ),
    ],
)
def test_footer_says_where_the_answer_came_from(changes: dict[str, object], footer: str) -> None:
    assert render.plan_embed(a_plan(**changes), "Day Trading", calendar=NYSE).footer.text == footer


@pytest.mark.parametrize("error", ["timeout", "unavailable", "bad_response", "rejected"])
def test_fallback_shows_the_bots_sentence_for_its_category_in_red(error: ErrorCategory) -> None:
    """The client returns a category; the bot words it, once, not the library's `plan` text."""
    plan = CoachPlan.fallback("d", DAY, error)
    embed = render.plan_embed(plan, "Day Trading", calendar=NYSE)
    assert embed.description == render.FAILURE_TEXT[error] != plan.plan
    assert embed.colour == render.COLOUR_DOWN
    assert not embed.fields and embed.image.url is None


def test_no_plan_is_plain_words() -> None:
    plan = CoachPlan.missing("i", dt.date(2024, 11, 8), FETCHED)
    embed = render.plan_embed(plan, "Intraday", calendar=NYSE)
    assert embed.description == "No plan yet: Intraday has not posted a plan for Friday 2024-11-08."


@pytest.mark.parametrize("length", [0, 1, 4096, 4097, 6000, 10_000, 100_000])
@pytest.mark.parametrize("charts", [0, 1, 12, 60])
def test_plan_embed_always_fits_discords_limits(length: int, charts: int) -> None:
    """However long the plan and however many charts, Discord accepts the embed."""
    text = ("lorem ipsum dolor " * (length // 18 + 1))[:length]
    urls = tuple(f"https://cdn.example.com/{n}/{'q' * 200}.png" for n in range(charts))
    plan = a_plan(
        plan=text,
        charts=urls,
        author="a" * 2000,
        channel="c" * 2000,
        created_at=dt.datetime.fromisoformat("2024-11-09T08:31:02").replace(tzinfo=NY),
        edited_at=dt.datetime.fromisoformat("2024-11-09T09:00:00").replace(tzinfo=NY),
    )

    embed = render.plan_embed(plan, "N" * 100, calendar=NYSE)

    assert_within_limits(embed)
    if length > render.DESCRIPTION_LIMIT:
        assert embed.description is not None and embed.description.endswith(render.CUT_MARK)


# -- /plans ------------------------------------------------------------------------
def test_plans_embed_for_25_coaches_with_huge_plans_fits() -> None:
    names = {f"c{i}": f"Coach number {i} " + "x" * 60 for i in range(25)}
    plans = {
        cid: a_plan(coach=cid, plan="word " * 3000, charts=("https://c.example/x.png",) * 5)
        for cid in names
    }

    embed = render.plans_embed(plans, names, DAY, calendar=NYSE)

    assert_within_limits(embed)
    assert len(embed.fields) == 25


def test_plans_embed_distinguishes_no_plan_stale_and_down() -> None:
    names = {"d": "Day Trading", "i": "Intraday", "s": "Swing", "n": "News/Events"}
    plans = {
        "d": a_plan(),
        "i": CoachPlan.missing("i", DAY, FETCHED),
        "s": a_plan(coach="s", from_cache=True, stale=True),
        "n": CoachPlan.fallback("n", DAY, "timeout"),
    }

    embed = render.plans_embed(plans, names, DAY, calendar=NYSE)

    values = {f.name: f.value for f in embed.fields}
    assert values["Intraday"] == "No plan yet."
    assert values["Swing"] is not None and "*stale copy*" in values["Swing"]
    assert values["News/Events"] == render.FAILURE_TEXT["timeout"]
    assert embed.description == (
        "2 of 4 coaches posted a plan. The plan service could not answer for 1 of them; "
        "their lines say so."
    )
    assert embed.footer.text is not None and embed.footer.text.startswith("Stale copy")


def test_plans_embed_names_every_configured_coach_who_has_not_posted() -> None:
    """The client returns only the coaches that posted; the overview still lists the rest,
    and leaves out a coach the configuration does not name."""
    names = {"d": "Day Trading", "i": "Intraday", "s": "Swing", "n": "News/Events"}
    plans = {"s": a_plan(coach="s"), "x": a_plan(coach="x", plan="Unlisted coach's plan.")}

    embed = render.plans_embed(plans, names, DAY, calendar=NYSE)

    values = {f.name: f.value for f in embed.fields}
    assert list(values) == ["Day Trading", "Intraday", "Swing", "News/Events"]
    assert values["Day Trading"] == values["Intraday"] == values["News/Events"] == "No plan yet."
    assert values["Swing"] is not None and values["Swing"].startswith("NVDA bull flag")
    assert embed.description == "1 of 4 coaches posted a plan."
    assert "Unlisted" not in str(embed.to_dict())


def test_plans_embed_for_a_day_nobody_posted() -> None:
    """An empty answer is "nobody posted", not a failure: every coach reads "No plan yet"."""
    names = {"d": "Day Trading"}
    embed = render.plans_embed({}, names, dt.date(2024, 11, 8), calendar=NYSE)
    assert embed.description == "0 of 1 coach posted a plan."
    assert [f.value for f in embed.fields] == ["No plan yet."]
    assert embed.footer.text == "From the plan service" and embed.colour == render.COLOUR_PLAN


def test_plans_embed_when_the_service_failed_for_everyone() -> None:
    """One fallback per configured coach: the category's sentence, once at the top, in red."""
    names = {"d": "Day Trading", "i": "Intraday"}
    plans = {c: CoachPlan.fallback(c, DAY, "bad_response") for c in names}
    embed = render.plans_embed(plans, names, DAY, calendar=NYSE)
    assert embed.description == render.FAILURE_TEXT["bad_response"]
    assert embed.colour == render.COLOUR_DOWN
    assert embed.footer.text == "No answer from the plan service"


# -- /cachestats and short replies ------------------------------------------------
def fresh_metrics() -> dict[str, Any]:
    """`get_metrics()` of a client that has made no call yet."""
    return {
        "requests": {
            "total": 0,
            "cache_hits": 0,
            "cache_misses": 0,
            "cache_hit_rate_percent": 0.0,
            "coalesced": 0,
            "stale_served": 0,
            "fallbacks": 0,
        },
        "api": {"success": 0, "errors": 0, "retries": 0, "last_error": None},
        "cache": {"size": 0, "max_size": 100, "ttl_seconds": 3600, "evictions": 0, "plans": 0},
        "breaker": {"state": "closed", "opens": 0, "short_circuited": 0},
        "deadline_exceeded": 0,
        "latency_ms": {},
    }


def test_stats_embed_before_any_call() -> None:
    embed = render.stats_embed(fresh_metrics())

    values = {f.name: f.value for f in embed.fields}
    assert values["Upstream p50 / p95"] == "no upstream calls yet"
    assert values["Cache TTL"] == "3600 s · evictions 0"
    assert values["Cached plans"] == "0 · in 0 of 100 cache entries"
    assert embed.description == "0 requests since start."
    assert_within_limits(embed)


def test_stats_embed_counts_in_the_right_plural() -> None:
    """One request, one call: no "1 requests", no "1 calls"; plans, not cache entries."""
    metrics = fresh_metrics()
    metrics["requests"]["total"] = 1
    metrics["cache"].update(size=5, plans=2)
    metrics["latency_ms"] = {
        "all": {"p50": 3.0, "p95": 3.0, "count": 1},
        "plan": {"p50": 2.0, "p95": 4.0, "count": 2},
    }

    embed = render.stats_embed(metrics)

    values = {f.name: f.value for f in embed.fields}
    assert embed.description == "1 request since start."
    assert values["Upstream p50 / p95"] == "all: 3 / 3 ms (1 call)\nplan: 2 / 4 ms (2 calls)"
    assert values["Cached plans"] == "2 · in 5 of 100 cache entries"


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
        render.cleared_text(plans, coach, day) == f"{text} The next request asks the plan service."
    )


def test_rate_limited_text_rounds_up() -> None:
    assert render.rate_limited_text(0.2) == "You're asking too quickly. Please try again in 1 s."
    assert render.rate_limited_text(12.01) == "You're asking too quickly. Please try again in 13 s."


def test_bad_input_echo_is_short_and_harmless() -> None:
    with pytest.raises(InvalidInput) as caught:
        inputs.parse_coach("<@&123456789012345678> **" + "z" * 500, {"d": "Day Trading"})
    text = options.bad_input_text(caught.value)
    assert "<@&123456789012345678>" not in text and "**" not in text and len(text) < 200


def test_ages_are_read_on_the_clients_clock() -> None:
    """The offline mode pins the client's clock: a cached answer's age follows it, not the wall."""
    fetched = dt.datetime(2026, 11, 29, 20, 0, tzinfo=dt.UTC)
    plan = a_plan(from_cache=True, fetched_at=fetched)
    later = fetched + dt.timedelta(minutes=5)
    embed = render.plan_embed(plan, "Day Trading", calendar=NYSE, now=later)
    assert embed.footer.text == "From cache · fetched 5 minutes ago"
