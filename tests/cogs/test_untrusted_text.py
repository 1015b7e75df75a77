"""Hostile coach names and plan links through the real bot in SimCord.

Configured names and API text reach titles, fields, choices and replies; each
surface must show them escaped, and a plan's masked link must show where it
goes. (The unit checks are in `tests/cogs/render/`; this is the wiring.)
"""

from __future__ import annotations

import re

import discord
import simcord

from tests.cogs.conftest import MakeWorld
from tests.cogs.render.reader import assert_escaped, assert_no_masked_link

HOSTILE_COACHES = "d=**Bold** [x](https://evil.example),i=<@&123>,s=@everyone"
EVIL = "https://evil.example/login"


def embed_of(result: simcord.InteractionResult) -> discord.Embed:
    assert result.response is not None and len(result.response.embeds) == 1
    return result.response.embeds[0]


def text_of(result: simcord.InteractionResult) -> str:
    assert result.response is not None
    return result.response.content


async def test_hostile_names_and_links_are_shown_inert_on_every_surface(
    make_world: MakeWorld,
) -> None:
    world = await make_world(COACHES=HOSTILE_COACHES)
    world.server.add_plan("d", world.today, f"Log in at [https://bank.example]({EVIL}) now")
    world.server.add_plan("i", world.today, "@everyone <@&123> `[x](https://e.example)`")

    plan = embed_of(await world.alice.slash(world.channel, "plan", coach="d"))
    role = embed_of(await world.alice.slash(world.channel, "plan", coach="i"))
    missing = embed_of(await world.alice.slash(world.channel, "plan", coach="s"))
    overview = embed_of(await world.bob.slash(world.channel, "plans"))
    choices = await world.alice.autocomplete(world.channel, "plan", "coach", "")
    unknown = text_of(await world.bob.slash(world.channel, "plan", coach="nobody"))
    cleared = text_of(await world.mod.slash(world.channel, "clearcache", coach="d"))

    assert plan.description is not None and f"https://bank.example ({EVIL})" in plan.description
    assert_no_masked_link(plan.description)
    assert role.description is not None and "<@&123>" not in role.description
    assert "`[x](https://e.example)`" in role.description  # code is shown as written
    surfaces = [
        plan.title,
        role.title,
        missing.title,
        missing.description,
        *(f.name for f in overview.fields),
        *(c["name"] for c in choices),
        unknown,
        cleared,
    ]
    for surface in surfaces:
        assert surface is not None
        assert_escaped(surface)
    assert len(overview.fields) == 3 and len(choices) == 3
    assert re.search(r"Bold", cleared) and "nobody" in unknown
