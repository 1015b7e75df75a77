"""/plan: one coach's plan for one session: the plan's card, and a gallery of its charts.

A found plan shows its text, who wrote it, when, whether it was edited, its
charts and where the answer came from; a day without a plan and a failure
each get a plain sentence. Up to four charts are images in the reply itself
(the card's own image and up to three image-only embeds joined to it, see
`charts`), the rest are links.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import discord

from bot.plans import CoachPlan
from bot.plans.market import MarketCalendar, closed_day_note, day_label
from cogs.render.charts import GALLERY_IMAGES, chart_link_fields, gallery_embeds, safe_chart_urls
from cogs.render.limits import (
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    FIELD_VALUE_LIMIT,
    FOOTER_LIMIT,
    TITLE_LIMIT,
)
from cogs.render.markdown import cut, escape, plain, plan_body
from cogs.render.parts import (
    COLOUR_DOWN,
    COLOUR_NO_PLAN,
    COLOUR_PLAN,
    COLOUR_STALE,
    FAILURE_TEXT,
    discord_time,
    with_note,
)
from cogs.render.source import source_line

CUT_MARK: Final = " … *(cut: the full plan is longer than Discord shows)*"
NOT_EDITED: Final = "not edited"


def plan_embeds(
    plan: CoachPlan,
    coach_name: str,
    *,
    calendar: MarketCalendar,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> list[discord.Embed]:
    """The reply's embeds: the plan's card (`plan_embed`), then its chart gallery.

    All of them together stay within a message's limits: at most four embeds,
    and the image-only ones add no characters to the 6000 the card may use.
    """
    card = plan_embed(plan, coach_name, calendar=calendar, note=note, now=now)
    if card.url is None:  # the card has a `url` only when a gallery joins it
        return [card]
    images = safe_chart_urls(plan.charts)[1:GALLERY_IMAGES]
    return [card, *gallery_embeds(card.url, images, colour=card.colour)]


def plan_embed(
    plan: CoachPlan,
    coach_name: str,
    *,
    calendar: MarketCalendar,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> discord.Embed:
    """One coach's session: the plan, who wrote it and when, charts, and where it came from.

    The first of `plan_embeds`: its image is the first chart, and the charts
    past the gallery are links; send it with the rest of `plan_embeds`, or
    charts two to four are not shown. `note` is the session note the command
    adds when "today" is a closed day. `coach_name` comes from configuration
    and is escaped wherever it shows.
    """
    name = escape(coach_name)
    title = cut(f"{name} · {day_label(calendar, plan.day)}", TITLE_LIMIT)
    footer = cut(source_line(plan, now), FOOTER_LIMIT)
    if plan.error is not None and not plan.stale:
        embed = discord.Embed(
            title=title,
            description=cut(with_note(note, FAILURE_TEXT[plan.error]), DESCRIPTION_LIMIT),
            colour=COLOUR_DOWN,
        )
        return embed.set_footer(text=footer)
    if not plan.found:
        closed = closed_day_note(calendar, plan.day)
        text = (
            f"{closed} {name} posted no plan for that day."
            if closed
            else f"No plan yet: {name} has not posted a plan for {day_label(calendar, plan.day)}."
        )
        embed = discord.Embed(
            title=title,
            description=cut(with_note(note, text), DESCRIPTION_LIMIT),
            colour=COLOUR_STALE if plan.stale else COLOUR_NO_PLAN,
        )
        return embed.set_footer(text=footer)

    embed = discord.Embed(title=title, colour=COLOUR_STALE if plan.stale else COLOUR_PLAN)
    if plan.author:
        embed.add_field(name="Author", value=plain(plan.author, FIELD_VALUE_LIMIT))
    posted = discord_time(plan.created_at)
    if posted:
        embed.add_field(name="Posted", value=posted)
    edited = discord_time(plan.edited_at)
    if edited or posted:  # unknown when the plan's own stamp is: then say nothing
        embed.add_field(name="Edited", value=edited or NOT_EDITED)
    if plan.channel:
        embed.add_field(name="Channel", value=plain(f"#{plan.channel}", FIELD_VALUE_LIMIT))
    charts = safe_chart_urls(plan.charts)
    if charts:
        embed.set_image(url=charts[0])
        if len(charts) > 1:  # the gallery's embeds join the card by this url
            embed.url = charts[0]
        links = charts[GALLERY_IMAGES:]
        for field_name, value in chart_link_fields(links, first_number=GALLERY_IMAGES + 1):
            embed.add_field(name=field_name, value=value, inline=False)
    embed.set_footer(text=footer)
    head = with_note(note, "")
    room = min(DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT - len(embed)) - len(head)
    body = plan_body(plan.plan, keep=room) if plan.plan else "(The plan has no text.)"
    embed.description = head + cut(body, room, CUT_MARK)
    return embed
