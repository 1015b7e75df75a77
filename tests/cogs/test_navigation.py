"""The buttons and the coach select on plan replies, clicked by members in SimCord.

Categories: stepping through sessions (weekends and a holiday skipped, next
disabled at the current session, /plans too); who may change a message (its
member edits it, anyone else is answered privately); state in the custom_id
(a click after a restart, the documented shapes, a coach since removed); the
coach select; the commands' rules on clicks (rate limit, cache, fallbacks,
the "markets are closed" note, the log line).

"Now" is pinned on Monday 2026-11-30, 10:00 in New York: the session before
is Friday 2026-11-27 (a half day), and before that Wednesday 2026-11-25,
since Thursday 2026-11-26 is Thanksgiving.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

import discord
import pytest
import simcord

from bot.app import create_bot
from bot.plans import CoachPlan
from bot.plans.market import market_calendar
from bot.settings import Settings
from cogs import navigation
from cogs.navigation import (
    COACH_SELECT_TEMPLATE,
    NEXT_LABEL,
    PLAN_TEMPLATE,
    PREVIOUS_LABEL,
    plans_view,
)
from cogs.render import parts
from tests.cogs.conftest import MakeWorld, World

NY = ZoneInfo("America/New_York")
MONDAY = dt.datetime(2026, 11, 30, 10, 0, tzinfo=NY)
SUNDAY = dt.datetime(2026, 11, 29, 15, 0, tzinfo=NY)
SESSIONS = {
    "2026-11-30": "Monday 2026-11-30",
    "2026-11-27": "Friday 2026-11-27 (half day)",
    "2026-11-25": "Wednesday 2026-11-25",
}


@pytest.fixture
async def monday(make_world: MakeWorld) -> World:
    world = await make_world(now=MONDAY)
    for day in SESSIONS:
        world.server.add_plan("d", day, f"Day plan for {day}.")
        world.server.add_plan("s", day, f"Swing plan for {day}.")
    return world


def title(message: simcord.ResponseMessage | None) -> str:
    assert message is not None, "no reply"
    return message.embeds[0].title or ""


def controls(message: simcord.ResponseMessage | None) -> dict[str, dict[str, Any]]:
    """The message's buttons by label and its select as "select"."""
    assert message is not None, "no reply"
    out: dict[str, dict[str, Any]] = {}
    for row in message.components:
        for item in row.get("components", []):
            out["select" if item["type"] == 3 else item["label"]] = item
    return out


def chosen_coach(message: simcord.ResponseMessage | None) -> str:
    [default] = [o["value"] for o in controls(message)["select"]["options"] if o.get("default")]
    return str(default)


# -- stepping through sessions -------------------------------------------------------
async def test_previous_and_next_step_over_the_weekend_and_thanksgiving(monday: World) -> None:
    """From Monday, previous is Friday then Wednesday (not Thursday, a holiday), and next
    comes back; each click edits the same message, and next is disabled on Monday."""
    world = monday
    command = await world.alice.slash(world.channel, "plan", coach="d")
    message = command.response
    assert message is not None
    assert title(message) == "Day Trading · Monday 2026-11-30"
    assert controls(message)[NEXT_LABEL].get("disabled") is True

    seen = []
    for label in (PREVIOUS_LABEL, PREVIOUS_LABEL, NEXT_LABEL, NEXT_LABEL):
        clicked = await world.alice.click(message, label=label)
        assert not clicked.ephemeral and clicked.response is not None
        assert clicked.response.id == message.id
        message = clicked.response
        seen.append(title(message).removeprefix("Day Trading · "))

    assert seen == [SESSIONS["2026-11-27"], SESSIONS["2026-11-25"], SESSIONS["2026-11-27"],
                    SESSIONS["2026-11-30"]]  # fmt: skip
    assert controls(message)[NEXT_LABEL].get("disabled") is True
    assert len(world.channel.history()) == 1, "clicks edit the message, they post none"
    # Friday and Monday came back from the cache, as a command's second ask would.
    assert world.server.dates_asked() == ["2026-11-30", "2026-11-27", "2026-11-25"]


async def test_next_is_enabled_before_the_current_session(monday: World) -> None:
    """Only the current session has no next: Friday's reply offers Monday."""
    message = (
        await monday.alice.slash(monday.channel, "plan", coach="d", date="2026-11-27")
    ).response

    buttons = controls(message)
    assert not buttons[NEXT_LABEL].get("disabled")
    assert buttons[NEXT_LABEL]["custom_id"] == "plan:d:2026-11-30"
    assert buttons[PREVIOUS_LABEL]["custom_id"] == "plan:d:2026-11-25"


async def test_plans_steps_through_sessions_too(monday: World) -> None:
    """/plans has the same two buttons; previous shows Friday's overview in the same message."""
    world = monday
    command = await world.alice.slash(world.channel, "plans")
    buttons = controls(command.response)
    assert buttons[NEXT_LABEL].get("disabled") is True
    assert buttons[PREVIOUS_LABEL]["custom_id"] == "plans:2026-11-27"
    assert command.response is not None

    clicked = await world.alice.click(command.response, label=PREVIOUS_LABEL)

    assert title(clicked.response) == "Coach plans · Friday 2026-11-27 (half day)"
    assert clicked.response is not None and clicked.response.id == command.response.id
    assert not controls(clicked.response)[NEXT_LABEL].get("disabled")


# -- who may change a message ----------------------------------------------------------
async def test_another_members_click_is_answered_privately(monday: World) -> None:
    """Bob's click shows him Friday's plan where only he sees it; Alice's message stays
    on Monday. Bob's private reply has the buttons too, and his clicks there edit it."""
    world = monday
    command = await world.alice.slash(world.channel, "plan", coach="d")
    before = command.response
    assert before is not None

    private = await world.bob.click(before, label=PREVIOUS_LABEL)

    assert private.ephemeral and private.response is not None
    assert title(private.response) == "Day Trading · Friday 2026-11-27 (half day)"
    after = command.response
    assert after is not None
    assert [e.to_dict() for e in after.embeds] == [e.to_dict() for e in before.embeds]
    assert after.components == before.components
    assert [m.id for m in world.channel.history()] == [before.id]  # nothing new for all

    again = await world.bob.click(private.response, label=PREVIOUS_LABEL)

    assert again.response is not None and again.response.id == private.response.id
    assert title(again.response) == "Day Trading · Wednesday 2026-11-25"
    assert title(command.response) == "Day Trading · Monday 2026-11-30"


async def test_a_message_the_bot_posted_on_its_own_is_private_for_everyone(
    monday: World,
) -> None:
    """A message with no member behind it (as the digest posts) is nobody's to edit."""
    world = monday
    channel = world.bot.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    view = plans_view(
        dt.date(2026, 11, 30), today=world.client.today(), calendar=world.client.calendar
    )
    posted = await channel.send("Today's plans", view=view)
    message = next(m for m in world.channel.history() if m.id == posted.id)

    clicked = await world.alice.click(message, label=PREVIOUS_LABEL)

    assert clicked.ephemeral
    assert title(clicked.response) == "Coach plans · Friday 2026-11-27 (half day)"
    assert world.channel.history()[-1].content == "Today's plans"


# -- state in the custom_id ------------------------------------------------------------
async def test_a_click_after_a_restart_still_works(monday: World) -> None:
    """The buttons hold their state: a new bot process answers a click on an old message."""
    world = monday
    command = await world.alice.slash(world.channel, "plan", coach="d")
    assert command.response is not None
    await world.restart()

    clicked = await world.alice.click(command.response, label=PREVIOUS_LABEL)

    assert clicked.response is not None and clicked.response.id == command.response.id
    assert title(clicked.response) == "Day Trading · Friday 2026-11-27 (half day)"


async def test_custom_ids_have_the_documented_shapes(monday: World) -> None:
    """`plan:<coach>:<YYYY-MM-DD>` for the buttons, `plan-coach:<YYYY-MM-DD>` for the select."""
    message = (await monday.alice.slash(monday.channel, "plan", coach="d")).response

    found = controls(message)
    assert found[PREVIOUS_LABEL]["custom_id"] == "plan:d:2026-11-27"
    assert found[NEXT_LABEL]["custom_id"] == "plan:d:2026-12-01"  # disabled
    assert found["select"]["custom_id"] == "plan-coach:2026-11-30"
    assert PLAN_TEMPLATE.fullmatch(found[PREVIOUS_LABEL]["custom_id"])
    assert COACH_SELECT_TEMPLATE.fullmatch(found["select"]["custom_id"])
    longest = "plan:" + "x" * 20 + ":2026-11-30"
    assert PLAN_TEMPLATE.fullmatch(longest) and len(longest) <= 100


async def test_a_click_naming_a_coach_since_removed_is_answered(make_world: MakeWorld) -> None:
    """A message outlives configuration: its click gets the command's "unknown coach" reply."""
    world = await make_world(now=MONDAY, COACHES="d=Day Trading,x=Extra")
    world.server.add_plan("x", "2026-11-30", "Extra plan.")
    command = await world.alice.slash(world.channel, "plan", coach="x")
    assert command.response is not None
    settings = Settings.from_env(
        {"PLANS_API_URL": world.server.url, "COACHES": "d=Day Trading"}, env_file=None
    )
    await world.restart(
        create_bot(settings, sync_state_path=world.sync_state_path, **world.client_args)
    )

    clicked = await world.alice.click(command.response, label=PREVIOUS_LABEL)

    assert clicked.ephemeral and clicked.response is not None
    assert clicked.response.content.startswith("Unknown coach 'x'.")
    assert title(command.response) == "Extra · Monday 2026-11-30"


# -- the coach select ------------------------------------------------------------------
async def test_the_coach_select_switches_coach_on_the_same_session(monday: World) -> None:
    """Choosing Swing shows Swing's plan for the session shown, in the same message."""
    world = monday
    command = await world.alice.slash(world.channel, "plan", coach="d", date="2026-11-27")
    assert command.response is not None
    assert chosen_coach(command.response) == "d"
    options = controls(command.response)["select"]["options"]
    assert [(o["label"], o["value"]) for o in options] == [
        ("Day Trading", "d"), ("Intraday", "i"), ("Swing", "s"), ("News/Events", "n"),
    ]  # fmt: skip

    chosen = await world.alice.select(command.response, ["s"])

    assert chosen.response is not None and chosen.response.id == command.response.id
    assert title(chosen.response) == "Swing · Friday 2026-11-27 (half day)"
    assert chosen.response.embeds[0].description == "Swing plan for 2026-11-27."
    assert chosen_coach(chosen.response) == "s"
    assert controls(chosen.response)[PREVIOUS_LABEL]["custom_id"] == "plan:s:2026-11-25"


async def test_plans_has_no_coach_select(monday: World) -> None:
    message = (await monday.alice.slash(monday.channel, "plans")).response
    assert "select" not in controls(message)


# -- the commands' rules on clicks ----------------------------------------------------------
async def test_clicks_share_the_commands_rate_limit(make_world: MakeWorld) -> None:
    """Past the limit a click is refused privately, the message stays, and the API is not asked."""
    world = await make_world(now=MONDAY, RATE_LIMIT_USES="2", RATE_LIMIT_SECONDS="30")
    command = await world.alice.slash(world.channel, "plan", coach="d")
    assert command.response is not None
    await world.alice.click(command.response, label=PREVIOUS_LABEL)
    calls = sum(world.server.hits.values())

    refused = await world.alice.click(command.response, label=PREVIOUS_LABEL)

    assert refused.ephemeral and refused.response is not None
    assert refused.response.content == "You're asking too quickly. Please try again in 30 s."
    assert title(command.response) == "Day Trading · Friday 2026-11-27 (half day)"
    assert sum(world.server.hits.values()) == calls
    other = await world.bob.click(command.response, label=PREVIOUS_LABEL)
    assert other.ephemeral and title(other.response).startswith("Day Trading · Wednesday")


async def test_a_click_with_the_api_down_gets_the_commands_fallback(
    make_world: MakeWorld,
) -> None:
    """The same sentence and footer as the command, and the buttons stay for another try."""
    world = await make_world(now=MONDAY, PLANS_MAX_RETRIES="1")
    world.server.add_plan("d", "2026-11-30")
    command = await world.alice.slash(world.channel, "plan", coach="d")
    assert command.response is not None
    world.server.fail("status", status=500, times=5)

    clicked = await world.alice.click(command.response, label=PREVIOUS_LABEL)

    assert clicked.response is not None
    embed = clicked.response.embeds[0]
    assert embed.description == parts.FAILURE_TEXT["unavailable"]
    assert embed.footer.text == "No answer from the plan service"
    assert set(controls(clicked.response)) == {PREVIOUS_LABEL, NEXT_LABEL, "select"}


async def test_a_click_back_to_today_on_a_sunday_keeps_the_closed_note(
    make_world: MakeWorld,
) -> None:
    """Friday shown on a Sunday says markets are closed today, whether typed or clicked."""
    world = await make_world(now=SUNDAY)
    world.server.add_plan("d", "2026-11-27", "Half day.")
    world.server.add_plan("d", "2026-11-25", "Wednesday.")
    command = await world.alice.slash(world.channel, "plan", coach="d")
    assert command.response is not None
    typed = command.response.embeds[0].description

    back = await world.alice.click(command.response, label=PREVIOUS_LABEL)
    assert back.response is not None and back.response.embeds[0].description == "Wednesday."
    forth = await world.alice.click(back.response, label=NEXT_LABEL)

    assert forth.response is not None
    assert forth.response.embeds[0].description == typed
    assert typed is not None and typed.startswith("*Markets are closed today (Sunday)")
    assert controls(forth.response)[NEXT_LABEL].get("disabled") is True


async def test_each_click_gets_one_log_line(
    monday: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Operators see clicks as they see commands: who, which component, outcome, time."""
    command = await monday.alice.slash(monday.channel, "plan", coach="d")
    assert command.response is not None

    with caplog.at_level(logging.INFO, logger="cogs.coach_plans"):
        await monday.alice.click(command.response, label=PREVIOUS_LABEL)
        await monday.alice.select(command.response, ["s"])

    lines = [r.getMessage() for r in caplog.records if " by user " in r.getMessage()]
    assert lines[0].startswith(
        f"click by user {monday.alice.id} (custom_id='plan:d:2026-11-27') -> plan (live) in "
    )
    assert lines[1].startswith(
        f"select by user {monday.alice.id} (custom_id='plan-coach:2026-11-27', values=['s'])"
    )


async def test_a_click_to_a_session_with_six_charts_shows_the_gallery(monday: World) -> None:
    """The edited message carries the gallery as the command's would: four images, two links."""
    charts = [f"https://cdn.example.com/{n}.png" for n in range(6)]
    monday.server.add_plan("d", "2026-11-27", "Six charts.", charts=charts)
    command = await monday.alice.slash(monday.channel, "plan", coach="d")
    assert command.response is not None

    clicked = await monday.alice.click(command.response, label=PREVIOUS_LABEL)

    assert clicked.response is not None
    assert [e.image.url for e in clicked.response.embeds] == charts[:4]
    back = await monday.alice.click(clicked.response, label=NEXT_LABEL)
    assert back.response is not None and len(back.response.embeds) == 1  # Monday: one chart


# -- the views, without Discord -----------------------------------------------------------
NYSE = market_calendar("NYSE")
NAMES = {"d": "Day Trading", "s": "Swing"}


def plan_on(day: dt.date, coach: str = "d") -> CoachPlan:
    return CoachPlan(coach=coach, day=day, plan="x", found=True)


def ids(view: discord.ui.View) -> list[str]:
    return [str(getattr(item, "custom_id", "")) for item in view.children]


def disabled(view: discord.ui.View) -> list[bool]:
    return [bool(item.to_component_dict().get("disabled")) for item in view.children]


def test_previous_skips_a_monday_holiday() -> None:
    """Tuesday after Martin Luther King Jr. Day: previous is the Friday before."""
    tuesday = dt.date(2027, 1, 19)
    view = navigation.plan_view(plan_on(tuesday), NAMES, today=tuesday, calendar=NYSE)
    assert ids(view) == ["plan:d:2027-01-15", "plan:d:2027-01-20", "plan-coach:2027-01-19"]


def test_next_is_disabled_for_a_future_day_and_previous_at_the_first_accepted_day() -> None:
    today = dt.date(2026, 11, 30)
    future = navigation.plan_view(plan_on(dt.date(2026, 12, 4)), NAMES, today=today, calendar=NYSE)
    first = navigation.plans_view(dt.date(2000, 1, 3), today=today, calendar=NYSE)

    assert disabled(future)[:2] == [False, True]
    assert disabled(first) == [True, False]


def test_one_coach_needs_no_select() -> None:
    day = dt.date(2026, 11, 30)
    view = navigation.plan_view(plan_on(day), {"d": "Day Trading"}, today=day, calendar=NYSE)
    assert ids(view) == ["plan:d:2026-11-27", "plan:d:2026-12-01"]


def test_the_plan_view_takes_another_modules_item_and_is_never_tracked() -> None:
    """Another feature adds its own registered item; discord.py keeps no view in memory."""
    day = dt.date(2026, 11, 30)
    view = navigation.plan_view(plan_on(day), NAMES, today=day, calendar=NYSE)

    view.add_item(
        navigation.PlansButton(discord.ui.Button(label="everyone", custom_id="plans:2026-11-30"))
    )

    assert len(view.children) == 4 and view.is_finished() and view.timeout is None


def test_select_labels_show_configured_names_as_written() -> None:
    """Select labels are plain text in Discord: no escaping, nothing to render or ping."""
    names = {"d": "**Bold** [x](https://evil.example)", "s": "@everyone"}
    select = navigation.coach_select("s", dt.date(2026, 11, 30), names)
    assert [(o.label, o.value, o.default) for o in select.options] == [
        ("**Bold** [x](https://evil.example)", "d", False), ("@everyone", "s", True),
    ]  # fmt: skip
