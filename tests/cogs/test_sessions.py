"""The commands on the days that matter, in SimCord: "today" is the current trading session.

Each test pins "now" through the client's `now` seam (`make_world(now=...)`),
so what it checks holds whatever day and zone the suite runs in: a Saturday,
a Sunday, Thanksgiving, the half day after it, a Monday before the open,
a Tuesday after a Monday holiday, and both DST switch nights.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tests.cogs.conftest import MakeWorld
from tests.cogs.test_coach_plans import embed_of, field

NY = ZoneInfo("America/New_York")


def new_york(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=NY)


SUNDAY = new_york("2026-11-29 15:00")
CLOSED_SUNDAY = "*Markets are closed today (Sunday); latest session: Friday 2026-11-27 (half day).*"


async def test_plan_on_a_sunday_is_fridays_half_day_and_says_so(make_world: MakeWorld) -> None:
    """A newcomer on Sunday sees Friday's plan, told plainly that markets are closed today."""
    world = await make_world(now=SUNDAY)
    world.server.add_plan("d", "2026-11-27", "Half day: flat by 12:45.")

    embed = embed_of(await world.alice.slash(world.channel, "plan", coach="d"))

    assert embed.title == "Day Trading · Friday 2026-11-27 (half day)"
    assert embed.description == f"{CLOSED_SUNDAY}\n\nHalf day: flat by 12:45."
    # 08:31:02 New York time, as a Discord timestamp every reader sees in their own zone.
    posted = int(new_york("2026-11-27 08:31:02.118223").timestamp())
    assert field(embed, "Posted") == f"<t:{posted}:f> (<t:{posted}:R>)"
    assert world.server.dates_asked() == ["2026-11-27"]


async def test_plans_on_a_sunday_and_previous_skips_thanksgiving(make_world: MakeWorld) -> None:
    """/plans is Friday's overview; `previous` and `yesterday` are Wednesday, not Saturday."""
    world = await make_world(now=SUNDAY)
    world.server.add_plan("s", "2026-11-27", "Swing.")

    overview = embed_of(await world.alice.slash(world.channel, "plans"))
    previous = embed_of(await world.bob.slash(world.channel, "plan", coach="s", date="previous"))
    yesterday = embed_of(await world.mod.slash(world.channel, "plan", coach="Swing",
                                               date="yesterday"))  # fmt: skip

    assert overview.title == "Coach plans · Friday 2026-11-27 (half day)"
    assert overview.description == f"{CLOSED_SUNDAY}\n\n1 of 4 coaches posted a plan."
    assert previous.title == yesterday.title == "Swing · Wednesday 2026-11-25"
    assert world.server.dates_asked() == ["2026-11-27", "2026-11-25"]  # then a cache hit


async def test_thanksgiving_says_markets_were_closed(make_world: MakeWorld) -> None:
    """Asked for explicitly, a closed day goes to the API; nothing there reads "closed"."""
    world = await make_world(now=SUNDAY)
    plan = embed_of(await world.alice.slash(world.channel, "plan", coach="d", date="2026-11-26"))
    overview = embed_of(await world.bob.slash(world.channel, "plans", date="2026-11-26"))

    assert plan.title == "Day Trading · Thursday 2026-11-26"
    assert plan.description == (
        "Markets were closed on Thursday 2026-11-26 (Thanksgiving Day). "
        "Day Trading posted no plan for that day."
    )
    assert overview.description == (
        "Markets were closed on Thursday 2026-11-26 (Thanksgiving Day). "
        "No coach posted a plan for that day."
    )
    assert world.server.dates_asked() == ["2026-11-26", "2026-11-26"]


async def test_a_weekend_outlook_is_shown_when_a_coach_posted_one(make_world: MakeWorld) -> None:
    world = await make_world(now=SUNDAY)
    world.server.add_plan("n", "2026-11-29", "Weekend outlook: jobs week.")
    embed = embed_of(await world.alice.slash(world.channel, "plan", coach="n", date="2026-11-29"))
    assert embed.title == "News/Events · Sunday 2026-11-29"
    assert embed.description == "Weekend outlook: jobs week."


@pytest.mark.parametrize(
    ("now", "today", "title_day"),
    [
        ("2026-11-28 12:00", "2026-11-27", "Friday 2026-11-27 (half day)"),  # Saturday
        ("2026-11-26 10:00", "2026-11-25", "Wednesday 2026-11-25"),  # Thanksgiving
        ("2026-11-27 12:30", "2026-11-27", "Friday 2026-11-27 (half day)"),  # the half day
        ("2026-11-30 07:00", "2026-11-30", "Monday 2026-11-30"),  # before the open
        ("2027-01-19 08:00", "2027-01-19", "Tuesday 2027-01-19"),  # after MLK day
        ("2026-03-08 23:59", "2026-03-06", "Friday 2026-03-06"),  # DST starts that night
        ("2026-03-09 00:00", "2026-03-09", "Monday 2026-03-09"),
        ("2026-11-01 23:59", "2026-10-30", "Friday 2026-10-30"),  # DST ended that night
        ("2026-11-02 00:00", "2026-11-02", "Monday 2026-11-02"),
    ],
)
async def test_plan_without_a_date_asks_for_the_current_session(
    make_world: MakeWorld, now: str, today: str, title_day: str
) -> None:
    world = await make_world(now=new_york(now))
    embed = embed_of(await world.alice.slash(world.channel, "plan", coach="i"))
    assert embed.title == f"Intraday · {title_day}"
    assert world.server.dates_asked() == [today]
    closed = "Markets are closed today" in (embed.description or "")
    assert closed == (today != now[:10])


async def test_previous_before_the_open_on_monday_is_friday(make_world: MakeWorld) -> None:
    world = await make_world(now=new_york("2026-11-30 07:00"))
    choices = await world.alice.autocomplete(world.channel, "plan", "date", "", coach="d")
    assert [c["name"] for c in choices[:2]] == [
        "today: Monday 2026-11-30",
        "previous: Friday 2026-11-27 (half day)",
    ]
    embed = embed_of(await world.alice.slash(world.channel, "plan", coach="d", date="previous"))
    assert embed.title == "Day Trading · Friday 2026-11-27 (half day)"


async def test_out_of_range_days_are_refused_in_one_sentence(make_world: MakeWorld) -> None:
    world = await make_world(now=SUNDAY)
    result = await world.alice.slash(world.channel, "plans", date="1999-12-31")
    assert result.ephemeral and result.response is not None
    assert result.response.content == "1999-12-31 is too early: plans start on 2000-01-01."
    assert world.server.dates_asked() == []
