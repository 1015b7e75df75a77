"""/plans' overview: 25 coaches fit, and no plan, stale and down read apart."""

from __future__ import annotations

import datetime as dt

from bot.plans import CoachPlan
from cogs.render import overview, parts
from tests.cogs.render.conftest import DAY, FETCHED, NYSE, a_plan, assert_within_limits


def test_plans_embed_for_25_coaches_with_huge_plans_fits() -> None:
    names = {f"c{i}": f"Coach number {i} " + "x" * 60 for i in range(25)}
    plans = {
        cid: a_plan(coach=cid, plan="word " * 3000, charts=("https://c.example/x.png",) * 5)
        for cid in names
    }

    embed = overview.plans_embed(plans, names, DAY, calendar=NYSE)

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

    embed = overview.plans_embed(plans, names, DAY, calendar=NYSE)

    values = {f.name: f.value for f in embed.fields}
    assert values["Intraday"] == "No plan yet."
    assert values["Swing"] is not None and "*stale copy*" in values["Swing"]
    assert values["News/Events"] == parts.FAILURE_TEXT["timeout"]
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

    embed = overview.plans_embed(plans, names, DAY, calendar=NYSE)

    values = {f.name: f.value for f in embed.fields}
    assert list(values) == ["Day Trading", "Intraday", "Swing", "News/Events"]
    assert values["Day Trading"] == values["Intraday"] == values["News/Events"] == "No plan yet."
    assert values["Swing"] is not None and values["Swing"].startswith("NVDA bull flag")
    assert embed.description == "1 of 4 coaches posted a plan."
    assert "Unlisted" not in str(embed.to_dict())


def test_plans_embed_for_a_day_nobody_posted() -> None:
    """An empty answer is "nobody posted", not a failure: every coach reads "No plan yet"."""
    names = {"d": "Day Trading"}
    embed = overview.plans_embed({}, names, dt.date(2024, 11, 8), calendar=NYSE)
    assert embed.description == "0 of 1 coach posted a plan."
    assert [f.value for f in embed.fields] == ["No plan yet."]
    assert embed.footer.text == "From the plan service" and embed.colour == parts.COLOUR_PLAN


def test_plans_embed_when_the_service_failed_for_everyone() -> None:
    """One fallback per configured coach: the category's sentence, once at the top, in red."""
    names = {"d": "Day Trading", "i": "Intraday"}
    plans = {c: CoachPlan.fallback(c, DAY, "bad_response") for c in names}
    embed = overview.plans_embed(plans, names, DAY, calendar=NYSE)
    assert embed.description == parts.FAILURE_TEXT["bad_response"]
    assert embed.colour == parts.COLOUR_DOWN
    assert embed.footer.text == "No answer from the plan service"


def test_an_edited_plan_says_when_in_its_line() -> None:
    """Each line tells an edited plan from an unedited one, as /plan does."""
    edited_at = dt.datetime(2024, 11, 9, 15, 2, 44, tzinfo=dt.UTC)
    names = {"d": "Day Trading", "s": "Swing"}
    plans = {"d": a_plan(edited_at=edited_at), "s": a_plan(coach="s")}

    values = {
        f.name: f.value or "" for f in overview.plans_embed(plans, names, DAY, calendar=NYSE).fields
    }

    assert f"edited <t:{int(edited_at.timestamp())}:t>" in values["Day Trading"]
    assert "edited" not in values["Swing"]
