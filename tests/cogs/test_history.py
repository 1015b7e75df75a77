"""/history and the History button, as members see them: the real bot in SimCord.

Categories: a plan with edits (versions, who, when, the changed words), an
unedited plan and a day without a plan, the API down (the fallback wording),
hostile names and words, Discord's limits with many long edits, input and the
shared rate limit, the cache, and the button (private answer, after a restart,
on /plan replies whose plan was edited only).
"""

from __future__ import annotations

from typing import Any

import discord
import simcord

from cogs.history import HISTORY_LABEL, HistoryButton
from cogs.navigation import StatelessView
from cogs.render import limits, parts
from tests.cogs.conftest import MakeWorld, World


def embed_of(result: simcord.InteractionResult) -> discord.Embed:
    assert result.response is not None, "the interaction got no reply"
    assert len(result.response.embeds) == 1
    return result.response.embeds[0]


def fields(embed: discord.Embed) -> list[tuple[str, str]]:
    return [(str(f.name), str(f.value)) for f in embed.fields]


def private_text(result: simcord.InteractionResult) -> str:
    assert result.response is not None and result.ephemeral, "expected an ephemeral reply"
    return result.response.content


def three_edits(world: World, day: str | None = None) -> str:
    """Posted 08:31, edited 09:05 and 09:40 by the coach, 10:02 by a moderator."""
    day = day or world.today
    world.server.add_plan(
        "d", day, "Long NVDA over 950, stop 925. Size half.", author="coach_dan",
        edited_at=f"{day}T10:02:00",
    )  # fmt: skip
    world.server.add_edits(
        "d",
        day,
        ("Long NVDA over 950, stop 920. Size half.", "mod_rachel", f"{day}T10:02:00"),
        ("Long NVDA over 945, stop 920. Size half.", "coach_dan", f"{day}T09:40:00"),
        ("Long NVDA over 945. Size half.", "coach_dan", f"{day}T09:05:00"),
    )
    return day


def buttons(message: Any) -> dict[str, str]:
    """A reply's (or a channel message's) buttons: custom_id by label."""
    assert message is not None, "no reply"
    out: dict[str, str] = {}
    for row in message.components:
        items = row.get("components", []) if isinstance(row, dict) else row.children
        for item in items:
            item = item if isinstance(item, dict) else item.to_dict()
            if item["type"] == 2:
                out[item.get("label", "")] = item["custom_id"]
    return out


# -- edits ---------------------------------------------------------------------------
async def test_three_edits_show_three_versions_with_who_when_and_changed_words(
    world: World,
) -> None:
    """Newest first; each edit names its editor and time and marks the words it changed;
    the first version closes the list."""
    three_edits(world)

    result = await world.alice.slash(world.channel, "history", coach="d")

    assert not result.ephemeral
    embed = embed_of(result)
    assert embed.title == "Edit history · Day Trading · Tuesday 2026-11-24"
    assert embed.description is not None and embed.description.startswith("3 edits, newest first.")
    shown = fields(embed)
    assert [name for name, _ in shown] == [
        r"Edit 3 by mod\_rachel",
        r"Edit 2 by coach\_dan",
        r"Edit 1 by coach\_dan",
        r"First posted by coach\_dan",
    ]
    assert all(value.startswith("<t:") for _, value in shown)
    assert "stop ~~920.~~ **925.** Size half." in shown[0][1]
    assert "over ~~945,~~ **950,** stop 920." in shown[1][1]
    assert "over ~~945.~~ **945, stop 920.** Size half." in shown[2][1]
    assert shown[3][1].endswith("\nLong NVDA over 945. Size half.")
    assert embed.footer.text == "Live from the plan service"
    assert embed.colour == parts.COLOUR_PLAN


async def test_an_unedited_plan_says_no_edits(world: World) -> None:
    """A plan nobody edited: one sentence, no fields."""
    world.server.add_plan("s", world.today)

    embed = embed_of(await world.alice.slash(world.channel, "history", coach="s"))

    assert embed.description is not None
    assert embed.description.startswith("No edits: Swing's plan for Tuesday 2026-11-24 has not")
    assert not embed.fields


async def test_a_day_without_a_plan_says_so(world: World) -> None:
    """No plan is not "no edits": the reader learns there is nothing to have edited."""
    embed = embed_of(await world.alice.slash(world.channel, "history", coach="i"))

    assert embed.description == (
        "No plan yet: Intraday has not posted a plan for Tuesday 2026-11-24, so there are no edits."
    )


async def test_api_down_gives_the_fallback_wording(make_world: MakeWorld) -> None:
    """The same sentence and footer as /plan when the plan service does not answer."""
    world = await make_world(REPLY_DEADLINE_SECONDS="1")
    await world.server.stop()

    embed = embed_of(await world.alice.slash(world.channel, "history", coach="d"))

    assert embed.description == parts.FAILURE_TEXT["unavailable"]
    assert embed.footer.text == "No answer from the plan service"
    assert embed.colour == parts.COLOUR_DOWN and not embed.fields


async def test_a_second_history_is_served_from_cache(world: World) -> None:
    """One history request and one plan request for two answers; the footer says cached."""
    three_edits(world)

    await world.alice.slash(world.channel, "history", coach="d")
    again = embed_of(await world.bob.slash(world.channel, "history", coach="d"))

    assert world.server.requests_to("history") == 1 and world.server.requests_to("plan") == 1
    assert again.footer.text is not None and again.footer.text.startswith("From cache")


# -- untrusted text and limits -------------------------------------------------------
async def test_editor_names_and_words_cannot_format_or_ping(world: World) -> None:
    """Names and words come from the API: shown as written, mentions defused."""
    day = world.today
    world.server.add_plan("d", day, "Hi @everyone **buy** now", edited_at=f"{day}T10:00:00")
    world.server.add_edits("d", day, ("Hi team", "@everyone", f"{day}T10:00:00"))

    embed = embed_of(await world.alice.slash(world.channel, "history", coach="d"))

    name, value = fields(embed)[0]
    assert name == "Edit 1 by @\u200beveryone"
    assert "**@\u200beveryone \\*\\*buy\\*\\* now**" in value


async def test_forty_long_edits_stay_within_discords_limits(world: World) -> None:
    """Every diff gets a share of the 6000 characters; the edits that do not fit are counted."""
    day = world.today
    words = " ".join(f"word{n}" for n in range(300))
    world.server.add_plan("d", day, f"{words} final", edited_at=f"{day}T11:00:00")
    world.server.add_edits(
        "d",
        day,
        *((f"{words} v{n}", f"editor_{n}", f"{day}T10:{n:02d}:00") for n in range(40, 0, -1)),
    )

    embed = embed_of(await world.alice.slash(world.channel, "history", coach="d"))

    assert len(embed) <= limits.EMBED_TOTAL_LIMIT
    assert len(embed.fields) <= limits.FIELD_COUNT_LIMIT
    assert all(len(str(f.value)) <= limits.FIELD_VALUE_LIMIT for f in embed.fields)
    shown = fields(embed)
    assert shown[0][0] == r"Edit 40 by editor\_40" and "~~v40~~ **final**" in shown[0][1]
    hidden = dict(shown)["Earlier edits"]
    assert hidden.endswith("earlier edits not shown: one reply cannot hold them all.")


# -- input and the rate limit --------------------------------------------------------
async def test_unknown_coach_is_answered_privately_without_an_api_call(world: World) -> None:
    """The same input policy and sentences as /plan."""
    result = await world.alice.slash(world.channel, "history", coach="zz")

    assert "Unknown coach" in private_text(result)
    assert sum(world.server.hits.values()) == 0


async def test_history_shares_the_plan_commands_rate_limit(make_world: MakeWorld) -> None:
    """One quota per user for /plan, /plans and /history."""
    world = await make_world(RATE_LIMIT_USES="2", RATE_LIMIT_SECONDS="30")
    await world.alice.slash(world.channel, "plan", coach="d")
    await world.alice.slash(world.channel, "history", coach="d")

    refused = await world.alice.slash(world.channel, "history", coach="s")

    assert private_text(refused) == "You're asking too quickly. Please try again in 30 s."


async def test_history_offers_the_plan_commands_autocomplete(world: World) -> None:
    """Coach and date suggestions are /plan's."""
    coaches = await world.alice.autocomplete(world.channel, "history", "coach", "sw")
    dates = await world.alice.autocomplete(world.channel, "history", "date", "", coach="d")

    assert coaches == [{"name": "Swing (s)", "value": "s"}]
    assert [c["value"] for c in dates[:2]] == ["today", "previous"]


# -- the button ----------------------------------------------------------------------
async def post_with_button(world: World, coach: str, day: str) -> discord.Message:
    """A message carrying the History button, as a plan reply would."""
    channel = world.bot.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    view = StatelessView()
    view.add_item(HistoryButton(coach, day))
    posted = await channel.send("A plan", view=view)
    return next(m for m in world.channel.history() if m.id == posted.id)


async def test_the_button_shows_the_history_privately_and_leaves_the_message(
    world: World,
) -> None:
    """Whoever clicks sees the history where only they see it; the message stays as it was."""
    day = three_edits(world)
    message = await post_with_button(world, "d", day)
    assert buttons(message)[HISTORY_LABEL] == f"history:d:{day}"

    clicked = await world.bob.click(message, label=HISTORY_LABEL)

    assert clicked.ephemeral
    assert fields(embed_of(clicked))[0][0] == r"Edit 3 by mod\_rachel"
    assert world.channel.history()[-1].content == "A plan"


async def test_the_button_works_after_a_restart(world: World) -> None:
    """Its state is its custom_id: a new bot process answers a click on an old message."""
    day = three_edits(world)
    message = await post_with_button(world, "d", day)
    await world.restart()

    clicked = await world.alice.click(message, label=HISTORY_LABEL)

    assert clicked.ephemeral and len(embed_of(clicked).fields) == 4


async def test_a_button_naming_a_removed_coach_is_answered(world: World) -> None:
    """A coach since removed from the configuration: a private sentence, no API call."""
    message = await post_with_button(world, "zz", world.today)

    clicked = await world.alice.click(message, label=HISTORY_LABEL)

    assert "Unknown coach" in private_text(clicked)
    assert sum(world.server.hits.values()) == 0


async def test_a_plan_reply_offers_the_button_only_when_the_plan_was_edited(world: World) -> None:
    """/plan of an edited plan carries History; clicking it answers the clicker privately."""
    day = three_edits(world)
    world.server.add_plan("s", day)

    edited = await world.alice.slash(world.channel, "plan", coach="d")
    unedited = await world.alice.slash(world.channel, "plan", coach="s")

    assert buttons(edited.response)[HISTORY_LABEL] == f"history:d:{day}"
    assert HISTORY_LABEL not in buttons(unedited.response)
    assert edited.response is not None
    clicked = await world.bob.click(edited.response, label=HISTORY_LABEL)
    assert clicked.ephemeral and len(embed_of(clicked).fields) == 4
