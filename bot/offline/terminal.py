"""Render what the bot sent for a terminal: title, text, fields, images, footer, buttons,
privacy."""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import discord

from bot.plans.wording import ago

_TIMESTAMP = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")
_WIDTH = 88


_ESCAPED = re.compile(r"\\([\\*_`~|>#\-\[\]()])")


def readable_timestamps(text: str, tz: ZoneInfo, now: dt.datetime | None = None) -> str:
    """Discord's `<t:unix:style>` markup as a local time (or "N ago") a terminal can show.

    `now` is the simulated world's instant ("ago" is measured from it).
    """
    current = now or dt.datetime.now(dt.UTC)

    def local(match: re.Match[str]) -> str:
        when = dt.datetime.fromtimestamp(int(match.group(1)), tz)
        if match.group(2) == "R":
            return ago((current - when).total_seconds())
        return when.strftime("%Y-%m-%d %H:%M %Z")

    return _ESCAPED.sub(r"\1", _TIMESTAMP.sub(local, text))


def render_reply(
    content: str,
    embeds: Sequence[discord.Embed],
    *,
    ephemeral: bool,
    tz: ZoneInfo,
    now: dt.datetime | None = None,
    components: Sequence[Mapping[str, Any]] = (),
) -> str:
    """One bot reply as plain text, marking replies only the user sees.

    `components` are the message's rows as Discord sends them: a row of
    buttons prints as `[label]`s (`[label (disabled)]`), a select as its
    chosen option or placeholder with a `▾`.
    """
    lines: list[str] = []
    if ephemeral:
        lines.append("(only you can see this)")
    if content:
        lines.append(readable_timestamps(content, tz, now))
    for embed in embeds:
        lines.extend(_embed_lines(embed, tz, now))
    rows = [_row_text(row) for row in components]
    if any(rows):
        lines += ["", *(row for row in rows if row)]
    return "\n".join(lines) if lines else "(no visible reply)"


def _row_text(row: Mapping[str, Any]) -> str:
    shown: list[str] = []
    for item in row.get("components") or [row]:
        if item.get("type") == discord.ComponentType.button.value:
            label = str(item.get("label") or item.get("custom_id") or "button")
            shown.append(f"[{label}{' (disabled)' if item.get('disabled') else ''}]")
        elif item.get("type") == discord.ComponentType.string_select.value:
            chosen = [o["label"] for o in item.get("options") or [] if o.get("default")]
            shown.append(f"[{', '.join(chosen) or item.get('placeholder') or 'choose'} ▾]")
    return " ".join(shown)


def _embed_lines(embed: discord.Embed, tz: ZoneInfo, now: dt.datetime | None) -> list[str]:
    out: list[str] = []
    if embed.title:
        out += ["", f"== {embed.title} =="]
    if embed.url and embed.title and embed.url != embed.image.url:  # the title's link
        out.append(embed.url)
    if embed.description:
        out += _wrap(readable_timestamps(embed.description, tz, now))
    for field in embed.fields:
        value = readable_timestamps(str(field.value), tz, now)
        out.append(f"* {field.name}:")
        out += _wrap(value, indent="    ")
    if embed.image.url:
        out.append(f"[image] {embed.image.url}")
    if embed.thumbnail.url:
        out.append(f"[thumbnail] {embed.thumbnail.url}")
    if embed.footer.text:
        out.append(f"-- {embed.footer.text}")
    return out


def _wrap(text: str, indent: str = "") -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        wrapped = textwrap.wrap(paragraph, _WIDTH, initial_indent=indent, subsequent_indent=indent)
        lines += wrapped or [indent.rstrip()]
    return lines
