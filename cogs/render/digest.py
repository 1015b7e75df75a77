"""The opening digest's words: the line above the /plans overview, and /digest's replies.

The digest itself is `overview.plans_embed`, the /plans reply, under one line
of content naming the session (a half day as such) and its hours, with the
role's mention in front. That line also marks the message as the digest of
that session: `is_digest_of` finds it again after a restart, so the session
gets one digest. A test post from /digest says it is a test, so it does not
count as the session's digest, and it names the role without pinging it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

import discord

from bot.plans.market import MarketCalendar, day_label
from cogs.render.limits import CONTENT_LIMIT
from cogs.render.markdown import cut

HEADING: Final = "**Opening digest**"
TEST_HEADING: Final = "**Test of the opening digest** (posted with /digest, no one is pinged)"


def _t(moment: dt.datetime, style: discord.utils.TimestampStyle = "t") -> str:
    return discord.utils.format_dt(moment, style)


def marker(day: dt.date) -> str:
    """What only the digest of `day` carries: the heading and the session's day."""
    return f"{HEADING} · {day:%A} {day.isoformat()}"


def is_digest_of(content: str, day: dt.date) -> bool:
    return marker(day) in content


def hours(calendar: MarketCalendar, day: dt.date) -> str:
    """The session's hours in Discord timestamps; an early close said as such."""
    opens, closes = _t(calendar.open_time(day)), _t(calendar.close_time(day))
    if calendar.is_early_close(day):
        return f"the market opens at {opens} and closes early, at {closes}"
    return f"the market opens at {opens} and closes at {closes}"


def digest_content(
    calendar: MarketCalendar, day: dt.date, *, role_id: int | None, test: bool = False
) -> str:
    """The line above the overview: `<@&role> **Opening digest** · Friday 2026-11-27 (half
    day): ...`. The mention pings only with the digest's `allowed_mentions`."""
    session = f"{day_label(calendar, day)}: {hours(calendar, day)}."
    if test:
        pinged = f" The scheduled digest pings <@&{role_id}>." if role_id is not None else ""
        return cut(f"{TEST_HEADING} · {session}{pinged}", CONTENT_LIMIT)
    mention = f"<@&{role_id}> " if role_id is not None else ""
    return cut(f"{mention}{HEADING} · {session}", CONTENT_LIMIT)


# -- /digest's replies (ephemeral) ----------------------------------------------------
def refusal_text() -> str:
    return "Sorry, only moderators can use /digest."


def off_text(at: dt.time, calendar: MarketCalendar) -> str:
    return (
        "The opening digest is off. To turn it on, set `DIGEST_CHANNEL_ID` to the id of the "
        "channel to post in (right-click the channel > Copy Channel ID, with Developer Mode "
        "on) in the bot's settings and restart the bot. It then posts the /plans overview "
        f"there at `DIGEST_TIME` (now {at:%H:%M}, {calendar.zone.key} time) on each "
        "trading session; `DIGEST_ROLE_ID` makes it ping one role."
    )


def status_text(
    *,
    next_at: dt.datetime,
    calendar: MarketCalendar,
    channel_id: int,
    role_id: int | None,
    problems: Sequence[str],
) -> str:
    """When the next digest goes out, where, whom it pings, and what would stop it."""
    day = calendar.local_date(next_at)
    ping = f"pinging <@&{role_id}>" if role_id is not None else "pinging no one"
    lines = [
        f"Next opening digest: {_t(next_at, 'F')} ({_t(next_at, 'R')}), for the session of "
        f"{day_label(calendar, day)}, in <#{channel_id}>, {ping}."
    ]
    lines += [f"Problem: {problem}" for problem in problems]
    if not problems:
        lines.append("Use `post_now` to post a test digest of the current session there now.")
    return cut("\n".join(lines), CONTENT_LIMIT)


def posted_text(channel_id: int, calendar: MarketCalendar, day: dt.date) -> str:
    return (
        f"Posted a test digest of {day_label(calendar, day)} in <#{channel_id}>. "
        "It does not count as that session's digest."
    )


def not_posted_text(problem: str) -> str:
    return cut(f"The test digest was not posted: {problem}", CONTENT_LIMIT)


# -- problems, for the log and for /digest ---------------------------------------------
def channel_missing_text(channel_id: int) -> str:
    return (
        f"channel {channel_id} (DIGEST_CHANNEL_ID) was not found, or the bot cannot see it; "
        "check the id and that the bot is in that server"
    )


def other_process_text(channel_id: int) -> str:
    return (
        f"<#{channel_id}> is in a server that another process of the bot runs (SHARD_IDS); "
        "that process posts the digest"
    )


def not_text_channel_text(channel_id: int) -> str:
    return f"channel {channel_id} (DIGEST_CHANNEL_ID) is not a text channel"


def missing_permissions_text(channel_id: int, permissions: Sequence[str]) -> str:
    names = ", ".join(name.replace("_", " ").title() for name in permissions)
    return f"the bot lacks {names} in <#{channel_id}>; grant it there"


def role_missing_text(role_id: int) -> str:
    return f"role {role_id} (DIGEST_ROLE_ID) is not in that server; the digest pings no one"


def role_silent_text(role_id: int) -> str:
    return (
        f"<@&{role_id}> is not mentionable and the bot may not mention all roles there, so "
        "its members are not notified; make the role mentionable or grant the permission"
    )
