"""/plan's embed: found, no plan, cached, stale and fallback, always within Discord's limits."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.plans import CoachPlan, ErrorCategory
from cogs.render import limits, one_plan, parts
from tests.cogs.render.conftest import DAY, FETCHED, NY, NYSE, a_plan, assert_within_limits


def test_plan_embed_shows_author_times_channel_and_image() -> None:
    embed = one_plan.plan_embed(
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
    assert embed.colour == parts.COLOUR_PLAN


def test_a_plan_without_a_time_has_no_posted_field() -> None:
    """The client drops a stamp it cannot read; the embed then just has no Posted field."""
    embed = one_plan.plan_embed(a_plan(created_at=None), "Day Trading", calendar=NYSE)
    assert "Posted" not in {f.name for f in embed.fields}


def test_half_day_and_closed_days_are_named() -> None:
    """A half day says so in the title; no plan on Thanksgiving says the market was closed."""
    half = one_plan.plan_embed(a_plan(day=dt.date(2026, 11, 27)), "Day Trading", calendar=NYSE)
    assert half.title == "Day Trading · Friday 2026-11-27 (half day)"
    closed = one_plan.plan_embed(
        a_plan(day=dt.date(2026, 11, 26), found=False, plan="", charts=()),
        "Day Trading",
        calendar=NYSE,
    )
    assert closed.description == (
        "Markets were closed on Thursday 2026-11-26 (Thanksgiving Day). "
        "Day Trading posted no plan for that day."
    )
    noted = one_plan.plan_embed(a_plan(), "Day Trading", calendar=NYSE, note="Markets closed.")
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
    embed = one_plan.plan_embed(a_plan(**changes), "Day Trading", calendar=NYSE)
    assert embed.footer.text == footer


@pytest.mark.parametrize("error", ["timeout", "unavailable", "bad_response", "rejected"])
def test_fallback_shows_the_bots_sentence_for_its_category_in_red(error: ErrorCategory) -> None:
    """The client returns a category; the bot words it, once, not the library's `plan` text."""
    plan = CoachPlan.fallback("d", DAY, error)
    embed = one_plan.plan_embed(plan, "Day Trading", calendar=NYSE)
    assert embed.description == parts.FAILURE_TEXT[error] != plan.plan
    assert embed.colour == parts.COLOUR_DOWN
    assert not embed.fields and embed.image.url is None


def test_no_plan_is_plain_words() -> None:
    plan = CoachPlan.missing("i", dt.date(2024, 11, 8), FETCHED)
    embed = one_plan.plan_embed(plan, "Intraday", calendar=NYSE)
    assert embed.description == "No plan yet: Intraday has not posted a plan for Friday 2024-11-08."


@pytest.mark.parametrize("length", [0, 1, 4096, 4097, 6000, 10_000, 100_000])
@pytest.mark.parametrize("charts", [0, 1, 3, 4, 5, 12, 60])
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

    embeds = one_plan.plan_embeds(plan, "N" * 100, calendar=NYSE)

    embed = embeds[0]
    for each in embeds:
        assert_within_limits(each)
    assert len(embeds) == min(max(charts, 1), 4) <= limits.EMBEDS_PER_MESSAGE_LIMIT
    assert sum(len(e) for e in embeds) <= limits.EMBED_TOTAL_LIMIT
    if length > limits.DESCRIPTION_LIMIT:
        assert embed.description is not None and embed.description.endswith(one_plan.CUT_MARK)


def test_ages_are_read_on_the_clients_clock() -> None:
    """The offline mode pins the client's clock: a cached answer's age follows it, not the wall."""
    fetched = dt.datetime(2026, 11, 29, 20, 0, tzinfo=dt.UTC)
    plan = a_plan(from_cache=True, fetched_at=fetched)
    later = fetched + dt.timedelta(minutes=5)
    embed = one_plan.plan_embed(plan, "Day Trading", calendar=NYSE, now=later)
    assert embed.footer.text == "From cache · fetched 5 minutes ago"


def test_a_plan_never_edited_says_so() -> None:
    """ "Not edited" is said, not left to guess; the field shows whenever the posting time does."""
    fields = {
        f.name: f.value for f in one_plan.plan_embed(a_plan(), "Day Trading", calendar=NYSE).fields
    }
    assert fields["Edited"] == one_plan.NOT_EDITED


# -- the chart gallery ---------------------------------------------------------------
def charts_of(count: int) -> tuple[str, ...]:
    return tuple(f"https://cdn.example.com/{n}.png?ex=abc" for n in range(1, count + 1))


@pytest.mark.parametrize(("count", "images", "links"), [(1, 1, 0), (2, 2, 0), (4, 4, 0), (6, 4, 2)])
def test_up_to_four_charts_are_images_in_one_card_and_the_rest_links(
    count: int, images: int, links: int
) -> None:
    """Discord joins embeds that share the card's url into one card of up to four images."""
    urls = charts_of(count)
    card, *gallery = one_plan.plan_embeds(a_plan(charts=urls), "Day Trading", calendar=NYSE)

    assert [e.image.url for e in (card, *gallery)] == list(urls[:images])
    if gallery:
        assert {e.url for e in (card, *gallery)} == {urls[0]}
        assert all(len(e) == 0 and e.colour == card.colour for e in gallery)  # no text
    else:
        assert card.url is None  # one image: the title links nowhere
    shown = " ".join(str(f.value) for f in card.fields if str(f.name).startswith("More charts"))
    assert shown.count("[Chart ") == links
    assert all(f"[Chart {n}]({urls[n - 1]})" in shown for n in range(5, count + 1))


def test_only_http_charts_count_for_the_gallery() -> None:
    urls = (
        "javascript:alert(1)",
        "https://cdn.example.com/a.png",
        "data:,x",
        "http://b.example/b.png",
    )
    embeds = one_plan.plan_embeds(a_plan(charts=urls), "Day Trading", calendar=NYSE)
    assert [e.image.url for e in embeds] == [urls[1], urls[3]]


@pytest.mark.parametrize(
    "changes",
    [
        {"found": False, "error": "unavailable", "plan": "down"},
        {"found": False, "plan": ""},
    ],
)
def test_no_gallery_without_a_plan(changes: dict[str, object]) -> None:
    """A fallback or a day without a plan is one card, whatever charts the result holds."""
    embeds = one_plan.plan_embeds(
        a_plan(charts=charts_of(6), **changes), "Day Trading", calendar=NYSE
    )
    assert len(embeds) == 1 and embeds[0].image.url is None


def test_a_stale_copy_keeps_its_gallery() -> None:
    plan = a_plan(charts=charts_of(3), from_cache=True, stale=True)
    embeds = one_plan.plan_embeds(plan, "Day Trading", calendar=NYSE)
    assert len(embeds) == 3 and embeds[0].footer.text is not None
    assert embeds[0].footer.text.startswith("Stale copy")
