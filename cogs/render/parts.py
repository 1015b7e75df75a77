"""What every reply kind shares: colours, the bot's failure sentences, notes and timestamps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Final

import discord

from bot.plans import ErrorCategory

COLOUR_PLAN: Final = discord.Colour.green()
COLOUR_NO_PLAN: Final = discord.Colour.light_grey()
COLOUR_STALE: Final = discord.Colour.orange()
COLOUR_DOWN: Final = discord.Colour.red()
COLOUR_STATS: Final = discord.Colour.blurple()

#: The bot's one wording of each failure category the client returns (the tools have theirs).
FAILURE_TEXT: Final[Mapping[ErrorCategory, str]] = {
    "timeout": "The plan service took too long to answer. Please try again in a minute.",
    "unavailable": "The plan service is unavailable right now. Please try again later.",
    "bad_response": "The plan service sent an answer we could not read. Please try again later.",
    "rejected": "The plan service refused this request.",
}


def with_note(note: str | None, text: str) -> str:
    """`text` under an italic session note ("Markets are closed today ..."), if any."""
    return f"*{note}*\n\n{text}" if note else text


def discord_time(moment: dt.datetime | None) -> str | None:
    """A Discord timestamp: each reader sees the instant in their own zone, and its age."""
    if moment is None:
        return None
    return f"{discord.utils.format_dt(moment, 'f')} ({discord.utils.format_dt(moment, 'R')})"
