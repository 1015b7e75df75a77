"""Charts: which URLs are shown at all, the gallery of images, and links for the rest.

Chart URLs are data from the API: only absolute http(s) URLs survive, and
they are shown as images or as links, never as markdown the URL could shape.

The gallery: Discord draws the embeds of one message that share one `url` as
a single card with up to four images, the first embed's (the plan) and one
each from up to three more embeds that carry nothing but that `url` and an
image. Those extra embeds hold no text, so they cost nothing of the 6000
characters a message's embeds share; the charts past the fourth are links.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final
from urllib.parse import urlsplit

import discord

from cogs.render.limits import FIELD_VALUE_LIMIT, URL_LIMIT

#: Charts shown as images: Discord's gallery card holds four.
GALLERY_IMAGES: Final = 4
#: Fields of links for the charts past the gallery.
MAX_CHART_LINK_FIELDS: Final = 3


def safe_chart_urls(charts: Iterable[str]) -> list[str]:
    """Only absolute http(s) URLs; anything else (`javascript:`, `data:`) is dropped."""
    out: list[str] = []
    for url in charts:
        if not isinstance(url, str) or len(url) > URL_LIMIT or url in out:
            continue
        if any(ch.isspace() or ord(ch) < 32 or ch in "<>\"'" for ch in url):
            continue
        try:
            parts = urlsplit(url)
        except ValueError:
            continue
        if parts.scheme.lower() in ("http", "https") and parts.hostname:
            out.append(url)
    return out


def gallery_embeds(
    card_url: str, images: Iterable[str], *, colour: discord.Colour | None = None
) -> list[discord.Embed]:
    """The image-only embeds that join the card whose `url` is `card_url` (one per image).

    Discord joins them only while the card's embed carries the same `url`; a
    client that does not join them (the offline page) shows each image in a
    card of its own, edged in the card's `colour`.
    """
    return [discord.Embed(url=card_url, colour=colour).set_image(url=url) for url in images]


def chart_link_fields(urls: list[str], *, first_number: int) -> list[tuple[str, str]]:
    """Links for the extra charts, packed into a few fields; what does not fit is counted."""
    room = FIELD_VALUE_LIMIT - len(" · and 9999 more")
    groups: list[list[str]] = []
    hidden = 0
    for number, url in enumerate(urls, start=first_number):
        link = f"[Chart {number}]({_link_target(url)})"
        if len(link) > room:
            hidden += 1
        elif groups and len(" · ".join([*groups[-1], link])) <= room:
            groups[-1].append(link)
        elif len(groups) < MAX_CHART_LINK_FIELDS:
            groups.append([link])
        else:
            hidden += 1
    values = [" · ".join(group) for group in groups]
    if hidden:
        more = f"and {hidden} more"
        values = [*values[:-1], f"{values[-1]} · {more}"] if values else [f"{more} (not shown)"]
    return [
        ("More charts" if index == 0 else "More charts (continued)", value)
        for index, value in enumerate(values)
    ]


def _link_target(url: str) -> str:
    # A ")" would end the markdown link early.
    return url.replace("(", "%28").replace(")", "%29")
