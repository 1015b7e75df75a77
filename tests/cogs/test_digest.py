"""The opening digest in SimCord: the real bot, its `tasks.loop`, the simulated clock.

Categories: when it fires (09:00 New York on a session; not on a weekend or a
holiday; across a DST switch; a missed digest after a late start); what it
posts (the /plans overview, a half day named, only its role pinged); once per
session (a restart); a channel it cannot use (a warning, no crash); /digest
(moderators only, the next time, a test post, set-up help when off).

SimCord's clock starts on 2026-01-01 and moves only when the test advances
it. discord.py's loop reads that clock (SimCord patches `discord.ext.tasks`'s
`datetime`), so `env.advance_time` is what fires it: no real sleep. The plan
client reads the same clock here (`now=discord.utils.utcnow`), so the
digest's "which session?" and the loop's "when?" agree. `digest_world` moves
the clock to the test's start first, with no digest configured, then
restarts the bot with `DIGEST_CHANNEL_ID` set, as an operator would (the
channel's id exists only once the world does).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

import discord
import pytest
import simcord
from discord.ext import tasks

from bot.settings import Settings
from tests.cogs.conftest import MakeWorld, World

NY = ZoneInfo("America/New_York")
HEADING = "**Opening digest**"


def new_york(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=NY)


@dataclasses.dataclass
class Desk:
    world: World
    digests: simcord.ChannelHandle
    traders: simcord.RoleHandle

    def posts(self) -> list[discord.Message]:
        """The bot's messages in the digest channel, oldest first."""
        bot = self.world.bot.user
        assert bot is not None
        return [m for m in self.digests.history() if m.author.id == bot.id]

    def posted_at(self) -> list[dt.datetime]:
        """When each post was made, in New York, to the minute."""
        return [m.created_at.astimezone(NY).replace(second=0, microsecond=0) for m in self.posts()]

    def sent(self) -> list[dict[str, Any]]:
        """The JSON bodies the bot sent to create messages in the digest channel."""
        path = f"/channels/{self.digests.id}/messages"
        return [
            e.json
            for e in self.world.env.http_requests
            if e.method == "POST" and e.path.endswith(path) and isinstance(e.json, dict)
        ]

    async def advance_to(self, moment: dt.datetime) -> None:
        await self.world.env.advance_time((moment - self.world.env.now()).total_seconds())


def digest_loop(world: World) -> tasks.Loop[Any]:
    """The cog's loop (`load_extension` runs the module anew, so no isinstance on its class)."""
    loop = getattr(world.bot.get_cog("Opening digest"), "scheduled", None)
    assert isinstance(loop, tasks.Loop)
    return loop


async def digest_world(
    make_world: MakeWorld, start: dt.datetime, *, role: bool = True, **overrides: str
) -> Desk:
    """A world whose bot posts the digest in #opening-digest, from `start` on."""
    world = await make_world(client_args={"now": discord.utils.utcnow})
    digests = world.guild.create_text_channel("opening-digest")
    traders = world.guild.create_role("Traders", mentionable=True)
    desk = Desk(world, digests, traders)
    await desk.advance_to(start)  # no digest yet: nothing runs on the way
    environ = {"PLANS_API_URL": world.server.url, "DIGEST_CHANNEL_ID": str(digests.id)}
    if role:
        environ["DIGEST_ROLE_ID"] = str(traders.id)
    world.settings = Settings.from_env(environ | overrides, env_file=None)
    await world.restart()
    return desk


# -- when it fires ------------------------------------------------------------------------
async def test_fires_at_nine_new_york_on_a_friday(make_world: MakeWorld) -> None:
    """The desk gets the session's plans at 09:00 New York time, not a minute before."""
    desk = await digest_world(make_world, new_york("2026-11-20 08:50"))
    desk.world.server.add_plan("d", "2026-11-20", "TSLA gap fill to 340.")

    await desk.advance_to(new_york("2026-11-20 08:59"))
    assert desk.posts() == []
    await desk.advance_to(new_york("2026-11-20 09:01"))

    assert desk.posted_at() == [new_york("2026-11-20 09:00")]
    [post] = desk.posts()
    assert post.content.startswith(f"<@&{desk.traders.id}> {HEADING} · Friday 2026-11-20: ")
    [embed] = post.embeds
    assert embed.title == "Coach plans · Friday 2026-11-20"
    assert embed.description == "1 of 4 coaches posted a plan."
    assert "TSLA gap fill to 340." in (embed.fields[0].value or "")


async def test_not_on_a_weekend(make_world: MakeWorld) -> None:
    """Saturday and Sunday have no session: the next digest is Monday's."""
    desk = await digest_world(make_world, new_york("2026-11-20 17:00"))

    await desk.advance_to(new_york("2026-11-22 23:00"))
    assert desk.posts() == []
    await desk.advance_to(new_york("2026-11-23 09:30"))

    assert desk.posted_at() == [new_york("2026-11-23 09:00")]
    assert f"{HEADING} · Monday 2026-11-23:" in desk.posts()[0].content


async def test_not_on_thanksgiving_and_the_half_day_after_is_named(make_world: MakeWorld) -> None:
    """No digest on Thursday 2026-11-26; Friday's says it is a half day closing at 13:00."""
    desk = await digest_world(make_world, new_york("2026-11-25 17:00"))

    await desk.advance_to(new_york("2026-11-26 23:00"))
    assert desk.posts() == []
    await desk.advance_to(new_york("2026-11-27 09:30"))

    assert desk.posted_at() == [new_york("2026-11-27 09:00")]
    [post] = desk.posts()
    close = int(new_york("2026-11-27 13:00").timestamp())
    assert f"{HEADING} · Friday 2026-11-27 (half day): " in post.content
    assert post.content.endswith(f"closes early, at <t:{close}:t>.")
    assert post.embeds[0].title == "Coach plans · Friday 2026-11-27 (half day)"


async def test_nine_new_york_across_the_end_of_daylight_saving_time(
    make_world: MakeWorld,
) -> None:
    """Friday's digest at 13:00 UTC, Monday's at 14:00 UTC: both 09:00 New York time."""
    desk = await digest_world(make_world, new_york("2026-10-30 08:00"))

    await desk.advance_to(new_york("2026-11-02 12:00"))

    posted = [m.created_at.replace(second=0, microsecond=0) for m in desk.posts()]
    assert posted == [
        dt.datetime(2026, 10, 30, 13, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 2, 14, 0, tzinfo=dt.UTC),
    ]


async def test_a_late_start_posts_the_missed_digest_once(make_world: MakeWorld) -> None:
    """A bot (re)started after 09:00 while the session is open posts the digest it owes,
    and a restart after that finds it in the channel and posts nothing."""
    desk = await digest_world(make_world, new_york("2026-11-20 10:15"))
    assert desk.posted_at() == [new_york("2026-11-20 10:15")]

    await desk.advance_to(new_york("2026-11-20 10:30"))
    await desk.world.restart()
    await desk.advance_to(new_york("2026-11-20 16:00"))

    assert len(desk.posts()) == 1


async def test_after_the_close_a_late_start_posts_nothing(make_world: MakeWorld) -> None:
    """At 16:30 the session's plans are history, not a digest."""
    desk = await digest_world(make_world, new_york("2026-11-20 16:30"))
    assert desk.posts() == []


# -- once per session ---------------------------------------------------------------------
async def test_a_restart_does_not_post_twice(make_world: MakeWorld) -> None:
    """A new bot on the same guild, started after the digest, finds it and stays quiet;
    the next session still gets its own."""
    desk = await digest_world(make_world, new_york("2026-11-23 08:00"))
    await desk.advance_to(new_york("2026-11-23 09:05"))
    assert len(desk.posts()) == 1

    await desk.world.restart()
    await desk.advance_to(new_york("2026-11-24 09:05"))

    assert desk.posted_at() == [new_york("2026-11-23 09:00"), new_york("2026-11-24 09:00")]


# -- what it posts ------------------------------------------------------------------------
async def test_the_digest_pings_its_role_and_nothing_else(make_world: MakeWorld) -> None:
    """allowed_mentions names the one role: a plan's @everyone or a user id pings no one."""
    desk = await digest_world(make_world, new_york("2026-11-20 08:00"))
    alice = desk.world.alice.id
    desk.world.server.add_plan("d", "2026-11-20", f"@everyone <@{alice}> look at this")

    await desk.advance_to(new_york("2026-11-20 09:01"))

    [body] = desk.sent()
    assert body["allowed_mentions"] == {"parse": [], "roles": [desk.traders.id]}
    assert body["content"].count("<@") == 1  # the role's mention, and no other
    assert body["content"].startswith(f"<@&{desk.traders.id}> ")
    [post] = desk.posts()
    assert not post.mention_everyone


async def test_without_a_role_the_digest_pings_no_one(make_world: MakeWorld) -> None:
    desk = await digest_world(make_world, new_york("2026-11-20 08:00"), role=False)

    await desk.advance_to(new_york("2026-11-20 09:01"))

    [body] = desk.sent()
    assert body["allowed_mentions"] == {"parse": []}
    assert body["content"].startswith(f"{HEADING} · Friday 2026-11-20: ")


# -- a channel it cannot use ----------------------------------------------------------------
async def test_a_missing_channel_is_one_warning_not_a_crash(
    make_world: MakeWorld, caplog: pytest.LogCaptureFixture
) -> None:
    """A wrong DIGEST_CHANNEL_ID is said once at start and once per digest; the loop lives."""
    with caplog.at_level(logging.WARNING, logger="cogs.digest"):
        desk = await digest_world(
            make_world, new_york("2026-11-20 08:00"), DIGEST_CHANNEL_ID="123456789012345678"
        )
        await desk.advance_to(new_york("2026-11-23 09:01"))

    warnings = [r.getMessage() for r in caplog.records if r.name == "cogs.digest"]
    assert len(warnings) == 3  # at start, Friday, Monday
    assert "channel 123456789012345678 (DIGEST_CHANNEL_ID) was not found" in warnings[0]
    assert digest_loop(desk.world).is_running()


async def test_a_channel_the_bot_may_not_post_in_is_a_warning(
    make_world: MakeWorld, caplog: pytest.LogCaptureFixture
) -> None:
    desk = await digest_world(make_world, new_york("2026-11-20 08:00"))
    me = desk.world.guild.me
    assert me is not None
    locked = desk.world.guild.create_text_channel(
        "locked", overwrites={me: discord.PermissionOverwrite(send_messages=False)}
    )
    with caplog.at_level(logging.WARNING, logger="cogs.digest"):
        desk.world.settings = dataclasses.replace(desk.world.settings, digest_channel_id=locked.id)
        await desk.world.restart()
        await desk.advance_to(new_york("2026-11-20 09:01"))

    assert locked.history() == []
    warnings = [r.getMessage() for r in caplog.records if r.name == "cogs.digest"]
    assert warnings[-1] == (
        "opening digest cannot be posted: the bot lacks Send Messages, Embed Links in "
        f"<#{locked.id}>; grant it there"
    )


# -- /digest -----------------------------------------------------------------------------------
async def test_digest_is_refused_to_members(make_world: MakeWorld) -> None:
    """Hidden by default_permissions, and checked again when an admin shows it to everyone."""
    desk = await digest_world(make_world, new_york("2026-11-20 08:00"))
    world = desk.world
    with pytest.raises(simcord.SetupError, match="not visible"):
        await world.alice.slash(world.channel, "digest")
    [command] = [c for c in await world.bot.tree.fetch_commands() if c.name == "digest"]
    world.guild.set_command_permissions(command, {world.alice: True})

    result = await world.alice.slash(world.channel, "digest", post_now=True)

    assert result.response is not None and result.response.ephemeral
    assert result.response.content == "Sorry, only moderators can use /digest."
    assert desk.posts() == []


async def test_digest_shows_the_next_digest(make_world: MakeWorld) -> None:
    """On Thanksgiving evening the next digest is Friday's half day, 09:00 New York."""
    desk = await digest_world(make_world, new_york("2026-11-26 18:00"))
    world = desk.world

    result = await world.mod.slash(world.channel, "digest")

    assert result.response is not None and result.response.ephemeral
    at = int(new_york("2026-11-27 09:00").timestamp())
    assert result.response.content == (
        f"Next opening digest: <t:{at}:F> (<t:{at}:R>), for the session of Friday 2026-11-27 "
        f"(half day), in <#{desk.digests.id}>, pinging <@&{desk.traders.id}>.\n"
        "Use `post_now` to post a test digest of the current session there now."
    )


async def test_digest_post_now_posts_a_test_that_pings_no_one(make_world: MakeWorld) -> None:
    """The test shows the set-up works, names the role without pinging it, and does not
    stand in for the session's digest at 09:00."""
    desk = await digest_world(make_world, new_york("2026-11-20 08:00"))
    world = desk.world

    result = await world.mod.slash(world.channel, "digest", post_now=True)
    await desk.advance_to(new_york("2026-11-20 09:01"))

    assert result.response is not None and result.response.ephemeral
    assert result.response.content == (
        f"Posted a test digest of Friday 2026-11-20 in <#{desk.digests.id}>. "
        "It does not count as that session's digest."
    )
    test, scheduled = desk.sent()
    assert test["allowed_mentions"] == {"parse": []}
    assert test["content"].startswith("**Test of the opening digest**")
    assert f"The scheduled digest pings <@&{desk.traders.id}>." in test["content"]
    assert scheduled["content"].startswith(f"<@&{desk.traders.id}> {HEADING}")


async def test_digest_explains_how_to_set_it_up_when_off(world: World) -> None:
    result = await world.mod.slash(world.channel, "digest", post_now=True)

    assert result.response is not None and result.response.ephemeral
    assert result.response.content.startswith(
        "The opening digest is off. To turn it on, set `DIGEST_CHANNEL_ID`"
    )
    assert "`DIGEST_TIME` (now 09:00, America/New_York time)" in result.response.content
    assert not digest_loop(world).is_running()
