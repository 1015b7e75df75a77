"""The console's pure parts: reading a typed command, and rendering a reply for a terminal."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import discord
import pytest
from discord import app_commands

from bot.offline._simcord import serialize_page_actions
from bot.offline.commandline import CommandLineError, parse_command
from bot.offline.console import help_text
from bot.offline.terminal import readable_timestamps, render_reply
from bot.settings import Coach

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def tree() -> app_commands.CommandTree[discord.Client]:
    """A tree with the shapes of our commands (no bot needed to parse)."""
    client = discord.Client(intents=discord.Intents.none())
    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)

    @tree.command(name="plan", description="one plan")
    async def plan(interaction: discord.Interaction, coach: str, date: str | None = None) -> None:
        """unused"""

    @tree.command(name="cachestats", description="stats")
    async def cachestats(interaction: discord.Interaction) -> None:
        """unused"""

    return tree


@pytest.mark.parametrize(
    ("line", "options"),
    [
        ("/plan d", {"coach": "d"}),
        ("/plan d yesterday", {"coach": "d", "date": "yesterday"}),
        ("/plan coach:d date:2024-11-09", {"coach": "d", "date": "2024-11-09"}),
        ("/plan date:today coach:s", {"date": "today", "coach": "s"}),
        ('/PLAN "d"', {"coach": "d"}),
        ("/cachestats", {}),
    ],
)
def test_lines_become_calls(tree: Any, line: str, options: dict[str, str]) -> None:
    """Positional words fill options in order; name:value sets one by name."""
    call = parse_command(line, tree)
    assert call.options == options


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("plan d", "start with /"),
        ("/nope", "unknown command /nope"),
        ("/plan", "needs coach"),
        ("/plan d today extra", "one too many"),
        ('/plan "d', "the quotes don't match"),
        ("/plan O'Neil", "the quotes don't match"),
        ("/plan d \\", "ends with a backslash"),
    ],
)
def test_bad_lines_say_what_is_wrong(tree: Any, line: str, says: str) -> None:
    with pytest.raises(CommandLineError, match=says) as refused:
        parse_command(line, tree)
    assert "quotation" not in str(refused.value) and "escaped" not in str(refused.value)


def test_help_lists_every_configured_coach() -> None:
    """`/help` names each coach of COACHES, whatever their number, with id and name."""
    coaches = [Coach(f"c{i}", f"Coach number {i}") for i in range(12)]
    text = help_text(coaches)
    for coach in coaches:
        assert re.search(rf"^  {coach.id} +{coach.name}$", text, re.M), coach
    assert "/plan d" in text and "/quit" in text


def test_discord_timestamps_read_as_local_time() -> None:
    """`<t:…:f>` becomes a date and time in the bot's timezone; `:R` becomes "… ago"."""
    when = int(dt.datetime(2024, 11, 9, 13, 5, tzinfo=NEW_YORK).timestamp())
    assert readable_timestamps(f"<t:{when}:f>", NEW_YORK) == "2024-11-09 13:05 EST"
    assert readable_timestamps(f"<t:{when}:R>", NEW_YORK).endswith(" ago")
    assert readable_timestamps(r"by ivan\_intraday in \#day-trading", NEW_YORK) == (
        "by ivan_intraday in #day-trading"
    )


def test_reply_shows_every_part_of_an_embed() -> None:
    """Title, text, fields, image, footer, and whether only the user sees it."""
    embed = discord.Embed(title="Day Trading · 2024-11-09", description="NVDA bull flag")
    embed.add_field(name="Author", value="dana")
    embed.set_image(url="https://cdn.example.com/a.png")
    embed.set_footer(text="Live from the plan service")
    text = render_reply("", [embed], ephemeral=True, tz=NEW_YORK)
    for part in ("(only you can see this)", "== Day Trading · 2024-11-09 ==", "NVDA bull flag",
                 "* Author:", "dana", "[image] https://cdn.example.com/a.png",
                 "-- Live from the plan service"):  # fmt: skip
        assert part in text
    assert render_reply("", [], ephemeral=False, tz=NEW_YORK) == "(no visible reply)"


def test_reply_shows_the_gallery_images_and_the_buttons() -> None:
    """A gallery prints each image once (not its shared url), and the buttons and select
    print as the member would see them."""
    card = discord.Embed(title="Day Trading", url="https://c.example/1.png")
    card.set_image(url="https://c.example/1.png")
    extra = discord.Embed(url="https://c.example/1.png").set_image(url="https://c.example/2.png")
    rows = [
        {"type": 1, "components": [
            {"type": 2, "label": "◀ previous session", "custom_id": "plan:d:2026-11-23"},
            {"type": 2, "label": "next session ▶", "custom_id": "plan:d:2026-11-25",
             "disabled": True},
        ]},
        {"type": 1, "components": [
            {"type": 3, "custom_id": "plan-coach:2026-11-24", "placeholder": "Another coach",
             "options": [{"label": "Day Trading", "value": "d", "default": True}]},
        ]},
    ]  # fmt: skip

    text = render_reply("", [card, extra], ephemeral=False, tz=NEW_YORK, components=rows)

    assert text.splitlines()[-4:] == [
        "[image] https://c.example/2.png",
        "",
        "[◀ previous session] [next session ▶ (disabled)]",
        "[Day Trading ▾]",
    ]
    assert text.count("https://c.example/1.png") == 1


async def test_page_actions_wait_for_the_console() -> None:
    """A page action arriving during a console command waits its turn instead of failing."""
    order: list[str] = []

    class FakePreview:  # our seam: only the entry point we wrap
        async def _action(self, context_id: Any, body: Any) -> str:
            order.append("page")
            return "done"

    preview = FakePreview()
    lock = asyncio.Lock()
    serialize_page_actions(preview, lock)
    async with lock:  # a console command in progress
        page = asyncio.ensure_future(preview._action("ctx", {}))
        await asyncio.sleep(0)  # one turn of the loop: the page action starts, and waits
        assert order == [] and not page.done()
        order.append("console")
    assert await page == "done"
    assert order == ["console", "page"]
