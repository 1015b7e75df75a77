"""Counts and durations as words, the same in the bot, the agent tools and the offline terminal.

It lives in `bot.plans` because the tools (inside it) may import nothing
outside it, while the bot and the terminal may import from it; nothing here
imports discord. It words numbers only: what a failure category means to a
reader is worded by each audience once (the cog for Discord, the tools for an
LLM), not here.

One style for durations, the one Discord's relative timestamps use (and that
the offline terminal renders them as): the largest whole unit, spelled out,
"3 days ago", "in 2 hours", "1 minute ago".
"""

from __future__ import annotations

import math
from typing import Final

#: Units from the largest down; a duration is told in the largest that fits once.
_UNITS: Final = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`count` and the noun in the form it takes: "1 plan", "0 plans", "2 entries".

    English adds "s" for most nouns we count; pass `plural_form` for the rest
    ("entry", "entries"; "coach", "coaches").
    """
    word = singular if count == 1 else plural_form or f"{singular}s"
    return f"{count} {word}"


def duration(seconds: float) -> str:
    """A length of time in its largest whole unit: "42 seconds", "1 minute", "3 days".

    Rounded down, so "1 hour" means at least an hour; a negative (or not finite)
    length reads as "0 seconds".
    """
    whole = int(seconds) if math.isfinite(seconds) and seconds > 0 else 0
    for unit, size in _UNITS:
        if whole >= size:
            return plural(whole // size, unit)
    return plural(0, "second")


def ago(seconds: float) -> str:
    """How long before now (`seconds` > 0) or after it (< 0): "5 minutes ago", "in 2 days";
    under a second either way is "just now"."""
    if not abs(seconds) >= 1:  # NaN too
        return "just now"
    return f"in {duration(-seconds)}" if seconds < 0 else f"{duration(seconds)} ago"
