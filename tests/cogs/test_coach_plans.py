"""The four commands as users see them: the real bot in SimCord, the contract server behind.

Categories: /plan (happy path, cache, no plan, bad input, API down, hostile
content), /plans, /cachestats, /clearcache, autocomplete, rate limit, the
unexpected-error path and the per-command log line.
"""

from __future__ import annotations

import logging

import discord
import pytest
import simcord

from cogs.render import limits, one_plan, parts, stats
from tests.cogs.conftest import MakeWorld, World


def embed_of(result: simcord.InteractionResult) -> discord.Embed:
    assert result.response is not None, "the interaction got no reply"
    assert len(result.response.embeds) == 1
    return result.response.embeds[0]


def field(embed: discord.Embed, name: str) -> str:
    values = [f.value for f in embed.fields if f.name == name]
    assert values, f"no field {name!r} in {[f.name for f in embed.fields]}"
    return str(values[0])


def deferred_first(world: World) -> bool:
    """Whether the bot's first answer to the last interaction was a defer (type 5)."""
    callbacks = [e.json for e in world.env.http_requests if e.path.endswith("/callback")]
    return bool(callbacks) and isinstance(callbacks[-1], dict) and callbacks[-1]["type"] == 5


def private_text(result: simcord.InteractionResult) -> str:
    assert result.response is not None and result.ephemeral, "expected an ephemeral reply"
    return result.response.content


# -- /plan -------------------------------------------------------------------------
async def test_plan_shows_coach_date_text_author_times_chart_and_live_footer(world: World) -> None:
    """The happy path: one embed with everything a trader needs to read the plan."""
    world.server.add_plan("d", world.today, "NVDA bull flag. Entry 945.", author="coach_dan",
                          edited_at=f"{world.today}T09:15:00")  # fmt: skip

    result = await world.alice.slash(world.channel, "plan", coach="d")

    assert deferred_first(world) and not result.ephemeral
    embed = embed_of(result)
    assert embed.title is not None and "Day Trading" in embed.title and world.today in embed.title
    assert embed.description == "NVDA bull flag. Entry 945."
    assert field(embed, "Author") == r"coach\_dan"
    assert field(embed, "Posted").startswith("<t:") and field(embed, "Edited").startswith("<t:")
    assert embed.image.url == "https://cdn.example.com/attachments/1/2/chart.png?ex=1&hm=2"
    assert embed.footer.text == "Live from the plan service"


async def test_second_plan_is_served_from_cache_and_says_so(world: World) -> None:
    """Asking twice costs the API one request; the footer tells the reader it is cached."""
    world.server.add_plan("s", world.today)

    await world.alice.slash(world.channel, "plan", coach="s")
    again = await world.bob.slash(world.channel, "plan", coach="swing")

    assert world.server.requests_to("plan") == 1
    callbacks = [
        r.json["type"]
        for r in world.env.http_requests
        if r.path.endswith("/callback") and isinstance(r.json, dict)
    ]
    assert callbacks == [5, 4]  # the miss deferred first; the hit answered at once
    footer = embed_of(again).footer.text
    assert footer is not None and footer.startswith("From cache · fetched ")


async def test_no_plan_is_said_in_plain_words(world: World) -> None:
    """A day without a plan is an answer, not an error."""
    result = await world.alice.slash(world.channel, "plan", coach="i", date="yesterday")

    embed = embed_of(result)
    assert embed.description is not None
    assert embed.description.startswith("No plan yet: Intraday has not posted a plan for")
    assert embed.image.url is None


@pytest.mark.parametrize("date", ["2024-13-45", "2024-02-30", "tomorrow", "11/09/2024"])
async def test_bad_date_gets_ephemeral_help_and_no_api_call(world: World, date: str) -> None:
    """A typo is answered privately with the accepted forms; the API never hears of it."""
    result = await world.alice.slash(world.channel, "plan", coach="d", date=date)

    text = private_text(result)
    assert text.endswith(": use YYYY-MM-DD, today or previous (yesterday works too).")
    assert not deferred_first(world)
    assert sum(world.server.hits.values()) == 0


async def test_unknown_coach_lists_the_coaches_and_makes_no_api_call(world: World) -> None:
    """An unknown coach is answered privately with the configured choices."""
    result = await world.alice.slash(world.channel, "plan", coach="@everyone")

    text = private_text(result)
    assert "Day Trading" in text and "News/Events" in text
    assert sum(world.server.hits.values()) == 0


async def test_api_unreachable_gets_an_answer_within_the_deadline(make_world: MakeWorld) -> None:
    """With the API gone, retries stop at the deadline and the user still gets a sentence."""
    world = await make_world(REPLY_DEADLINE_SECONDS="1")
    await world.server.stop()

    started = world.env.now()  # SimCord's clock: backoff waits move it, machine load does not
    result = await world.alice.slash(world.channel, "plan", coach="d")

    assert (world.env.now() - started).total_seconds() < 1.0
    embed = embed_of(result)
    assert embed.description == "The plan service is unavailable right now. Please try again later."
    assert embed.footer.text == "No answer from the plan service"


async def test_api_down_gives_a_fallback_without_urls_or_exception_text(
    make_world: MakeWorld,
) -> None:
    """A 500 becomes a sentence a trader understands."""
    world = await make_world(PLANS_MAX_RETRIES="1")
    world.server.fail("status", status=500)

    embed = embed_of(await world.alice.slash(world.channel, "plan", coach="d"))

    assert embed.description == "The plan service is unavailable right now. Please try again later."
    text = str(embed.to_dict())
    assert "127.0.0.1" not in text and "http://" not in text and "Error" not in text


async def test_api_down_after_a_fetch_shows_the_stale_copy_marked_stale(
    make_world: MakeWorld,
) -> None:
    """A plan we saw before is better than nothing, if the footer says it may be old."""
    world = await make_world(PLANS_MAX_RETRIES="1")
    world.server.add_plan("d", world.today, "Yesterday's thinking still holds.")
    await world.alice.slash(world.channel, "plan", coach="d")
    world.client.clear_cache()
    world.server.fail("status", status=503, times=5)

    embed = embed_of(await world.alice.slash(world.channel, "plan", coach="d"))

    assert embed.description == "Yesterday's thinking still holds."
    assert embed.footer.text is not None and embed.footer.text.startswith("Stale copy fetched ")


async def test_a_10000_character_plan_is_cut_on_a_word_with_a_visible_mark(world: World) -> None:
    """Discord rejects long embeds; we send what fits and say that we cut it."""
    words = " ".join(f"word{i}" for i in range(2000))[:10_000]
    world.server.add_plan("d", world.today, words)

    embed = embed_of(await world.alice.slash(world.channel, "plan", coach="d"))

    assert embed.description is not None and embed.description.endswith(one_plan.CUT_MARK)
    kept = embed.description.removesuffix(one_plan.CUT_MARK)
    assert words.startswith(kept) and words[len(kept)] == " "
    assert len(embed.description) <= limits.DESCRIPTION_LIMIT and len(embed) <= 6000


async def test_everyone_in_a_plan_pings_nobody(world: World) -> None:
    """A plan's `@everyone`, role or user mention is shown, never delivered as a ping."""
    world.server.add_plan("d", world.today, f"@everyone <@&123> {world.bob.mention} look")

    result = await world.alice.slash(world.channel, "plan", coach="d")

    assert result.response is not None
    assert not result.response.message.mention_everyone
    replies = world.sent()
    assert replies and all(body["allowed_mentions"] == {"parse": []} for body in replies)


async def test_six_charts_show_four_images_and_two_links(world: World) -> None:
    """The issue's case: a gallery of four in the reply itself, charts 5 and 6 as links."""
    charts = [f"https://cdn.example.com/attachments/{n}/chart.png?ex=1&hm={n}" for n in range(6)]
    world.server.add_plan("d", world.today, "Six charts.", charts=charts)

    result = await world.alice.slash(world.channel, "plan", coach="d")

    assert result.response is not None
    embeds = result.response.embeds
    assert [e.image.url for e in embeds] == charts[:4]
    assert field(embeds[0], "More charts") == f"[Chart 5]({charts[4]}) · [Chart 6]({charts[5]})"
    assert len(embeds) <= limits.EMBEDS_PER_MESSAGE_LIMIT
    assert sum(len(e) for e in embeds) <= limits.EMBED_TOTAL_LIMIT


async def test_twelve_charts_give_a_gallery_of_four_and_eight_links(world: World) -> None:
    """Four charts are pictures in one card (embeds sharing the card's url); the other eight
    stay one click away, and the whole message is within Discord's limits."""
    charts = [f"https://cdn.example.com/attachments/{n}/chart-{n}.png?ex={'a' * 80}" for n in
              range(1, 13)]  # fmt: skip
    world.server.add_plan("d", world.today, "Many charts today.", charts=charts)

    result = await world.alice.slash(world.channel, "plan", coach="d")

    assert result.response is not None
    card, *gallery = result.response.embeds
    assert [e.image.url for e in (card, *gallery)] == charts[:4]
    assert {e.url for e in (card, *gallery)} == {charts[0]}
    assert all(not e.title and not e.description and not e.fields for e in gallery)
    links = " ".join(f.value or "" for f in card.fields if (f.name or "").startswith("More charts"))
    assert all(f"[Chart {n}]({charts[n - 1]})" in links for n in range(5, 13))
    assert "[Chart 4]" not in links
    assert sum(len(e) for e in result.response.embeds) <= limits.EMBED_TOTAL_LIMIT


async def test_javascript_chart_url_is_dropped(world: World) -> None:
    """Only http(s) charts are shown; a `javascript:` link never reaches Discord."""
    charts = ["javascript:alert(1)", "data:image/png;base64,AAAA", "https://cdn.example.com/ok.png"]
    world.server.add_plan("d", world.today, "Careful.", charts=charts)

    embed = embed_of(await world.alice.slash(world.channel, "plan", coach="d"))

    assert embed.image.url == "https://cdn.example.com/ok.png"
    text = str(embed.to_dict())
    assert "javascript" not in text and "data:" not in text


# -- /plans ------------------------------------------------------------------------
async def test_plans_shows_every_coach_with_a_clear_line_for_no_plan(world: World) -> None:
    """One glance: excerpts for coaches who posted, "No plan yet." for the others."""
    world.server.add_plan("d", world.today, "Day plan text.")
    world.server.add_plan("s", world.today, "Swing plan text.", charts=[])

    embed = embed_of(await world.alice.slash(world.channel, "plans"))

    assert [f.name for f in embed.fields] == ["Day Trading", "Intraday", "Swing", "News/Events"]
    assert field(embed, "Day Trading").startswith("Day plan text.")
    assert field(embed, "Swing").startswith("Swing plan text.")
    assert field(embed, "Intraday") == field(embed, "News/Events") == "No plan yet."
    assert embed.description == "2 of 4 coaches posted a plan."
    assert world.server.requests_to("all") == 1


async def test_plans_when_the_api_is_down_says_so(make_world: MakeWorld) -> None:
    """Every coach line says "unavailable" rather than a misleading "no plan"."""
    world = await make_world(PLANS_MAX_RETRIES="1")
    world.server.fail("status", status=500)

    embed = embed_of(await world.alice.slash(world.channel, "plans", date="2024-11-09"))

    assert embed.description == parts.FAILURE_TEXT["unavailable"]
    assert all(f.value == parts.FAILURE_TEXT["unavailable"] for f in embed.fields)


# -- /cachestats -------------------------------------------------------------------
async def test_cachestats_numbers_match_the_client_after_traffic(world: World) -> None:
    """The embed is the client's own metrics, privately."""
    world.server.add_plan("d", world.today)
    await world.alice.slash(world.channel, "plan", coach="d")
    await world.alice.slash(world.channel, "plan", coach="d")
    await world.alice.slash(world.channel, "plans")

    result = await world.alice.slash(world.channel, "cachestats")

    embed = embed_of(result)
    assert result.ephemeral
    m = world.client.get_metrics()
    assert (m["requests"]["cache_hits"], m["requests"]["cache_misses"]) == (1, 2)
    assert field(embed, "Hits / misses") == "1 / 2"
    assert field(embed, "Hit rate") == f"{m['requests']['cache_hit_rate_percent']:.1f} %"
    assert field(embed, "API ok / errors / retries") == "2 / 0 / 0"
    # One posted plan, held by d's entry and the day's /all entry, of five entries.
    assert field(embed, "Cached plans") == "1 · in 5 of 100 cache entries"
    assert field(embed, "Coalesced") == "0"
    assert "plan:" in field(embed, "Upstream p50 / p95")
    assert embed.to_dict() == stats.stats_embed(m).to_dict()


# -- /clearcache -------------------------------------------------------------------
async def test_moderator_clears_the_cache_and_it_is_logged(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """A moderator empties the cache, privately, and the log says who did it; the reply
    counts plans, not the cache's entries (after /plans: 5 entries hold 1 plan)."""
    world.server.add_plan("d", world.today)
    await world.alice.slash(world.channel, "plan", coach="d")
    await world.alice.slash(world.channel, "plans")
    assert world.client.get_metrics()["cache"]["size"] == 5

    with caplog.at_level(logging.INFO, logger="cogs.coach_plans"):
        result = await world.mod.slash(world.channel, "clearcache")

    assert private_text(result) == (
        "Dropped 1 cached plan (everything). The next request asks the plan service."
    )
    assert world.client.get_metrics()["cache"]["size"] == 0
    assert any("cache cleared by mod" in r.getMessage() and str(world.mod.id) in r.getMessage()
               for r in caplog.records)  # fmt: skip


async def test_clearcache_for_one_coach_and_day(world: World) -> None:
    """Options narrow what is dropped."""
    world.server.add_plan("d", world.today)
    world.server.add_plan("s", world.today)
    await world.alice.slash(world.channel, "plan", coach="d")
    await world.alice.slash(world.channel, "plan", coach="s")

    result = await world.mod.slash(world.channel, "clearcache", coach="d", date="today")

    assert private_text(result) == (
        f"Dropped 1 cached plan for coach Day Trading and {world.today}. "
        "The next request asks the plan service."
    )
    assert world.client.get_metrics()["cache"]["size"] == 1


async def test_clearcache_is_hidden_from_members(world: World) -> None:
    """Discord hides /clearcache from anyone without Manage Messages."""
    assert "clearcache" not in world.alice.available_commands(world.channel)
    assert "clearcache" in world.mod.available_commands(world.channel)
    with pytest.raises(simcord.SetupError):
        await world.alice.slash(world.channel, "clearcache")


async def test_member_allowed_by_an_override_is_still_refused_and_cache_kept(
    world: World,
) -> None:
    """If a server admin makes the command visible, the bot checks again when it runs."""
    world.server.add_plan("d", world.today)
    await world.alice.slash(world.channel, "plan", coach="d")
    commands = {c.name: c for c in await world.bot.tree.fetch_commands()}
    world.guild.set_command_permissions(commands["clearcache"], {world.alice: True})

    result = await world.alice.slash(world.channel, "clearcache")

    assert private_text(result) == "Sorry, only moderators can clear the plan cache."
    assert world.client.get_metrics()["cache"]["size"] == 1


async def test_configured_moderator_role_may_clear(make_world: MakeWorld) -> None:
    """MODERATOR_ROLE names a role that may clear without Manage Messages."""
    world = await make_world(MODERATOR_ROLE="Plan Keepers")
    keepers = world.guild.create_role("Plan Keepers")
    keeper = world.guild.add_member(world.env.create_user("kim"), roles=[keepers])
    commands = {c.name: c for c in await world.bot.tree.fetch_commands()}
    world.guild.set_command_permissions(commands["clearcache"], {keepers: True})

    result = await keeper.slash(world.channel, "clearcache")

    assert private_text(result).startswith("No plans were cached.")


# -- autocomplete ------------------------------------------------------------------
async def test_coach_autocomplete_offers_configured_coaches(make_world: MakeWorld) -> None:
    """Coaches come from configuration, matched by id or name, prefix matches first."""
    world = await make_world(COACHES="d=Day Trading,s=Swing,o=Options Desk")

    everyone = await world.alice.autocomplete(world.channel, "plan", "coach", "")
    typed = await world.alice.autocomplete(world.channel, "plan", "coach", "op")

    assert [c["value"] for c in everyone] == ["d", "s", "o"]
    assert typed == [{"name": "Options Desk (o)", "value": "o"}]


async def test_date_autocomplete_offers_today_and_previous_sessions(world: World) -> None:
    """The words the command accepts are one tap away, named with their sessions."""
    choices = await world.alice.autocomplete(world.channel, "plan", "date", "", coach="d")

    assert [c["value"] for c in choices[:3]] == ["today", "previous", "2026-11-20"]
    assert choices[0]["name"] == "today: Tuesday 2026-11-24"
    assert choices[1]["name"] == "previous: Monday 2026-11-23"


# -- rate limit, errors, logging ---------------------------------------------------
async def test_rate_limit_refuses_politely_without_calling_the_api(make_world: MakeWorld) -> None:
    """Past the limit a user waits; others are unaffected; the window slides."""
    world = await make_world(RATE_LIMIT_USES="2", RATE_LIMIT_SECONDS="30")
    await world.alice.slash(world.channel, "plan", coach="d")
    await world.alice.slash(world.channel, "plans")
    calls = sum(world.server.hits.values())

    refused = await world.alice.slash(world.channel, "plan", coach="s", date="2024-11-08")
    other = await world.bob.slash(world.channel, "plan", coach="s", date="2024-11-08")

    assert private_text(refused) == "You're asking too quickly. Please try again in 30 s."
    assert embed_of(other).title is not None
    assert sum(world.server.hits.values()) == calls + 1
    await world.env.advance_time(30)
    assert embed_of(await world.alice.slash(world.channel, "plan", coach="s")).title is not None


async def test_unexpected_error_answers_with_an_error_id_that_is_logged(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """The user gets a short id to quote; the log has the traceback under the same id."""
    world.server.add_plan("d", world.today)
    world.env.inject_error(
        "POST", "/webhooks/*", status=400, code=50035, message="Invalid Form Body"
    )

    with caplog.at_level(logging.INFO, logger="cogs.coach_plans"):
        result = await world.alice.slash(world.channel, "plan", coach="d")

    assert result.response is not None
    text = result.response.content
    assert text.startswith("Something went wrong on our side (error id `")
    error_id = text.split("`")[1]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors and error_id in errors[0].getMessage() and errors[0].exc_info
    assert "Invalid Form Body" not in text


async def test_one_info_line_per_command_with_user_options_outcome_and_ms(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Operators can follow every command in the log."""
    with caplog.at_level(logging.INFO, logger="cogs.coach_plans"):
        await world.alice.slash(world.channel, "plan", coach="n", date="2024-11-09")
        await world.alice.slash(world.channel, "plan", coach="zz")

    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("/plan ")]
    assert len(lines) == 2
    assert lines[0].startswith(f"/plan by user {world.alice.id} (coach='n', date='2024-11-09')")
    assert "-> no-plan (live) in " in lines[0] and lines[0].endswith(" ms")
    assert "-> bad-input in " in lines[1]
