"""/cachestats: the client's counters as one compact embed."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import discord

from bot.plans.wording import plural
from cogs.render.limits import FIELD_COUNT_LIMIT, FIELD_NAME_LIMIT, FIELD_VALUE_LIMIT
from cogs.render.markdown import cut
from cogs.render.parts import COLOUR_STATS


def stats_embed(metrics: Mapping[str, Any]) -> discord.Embed:
    """The client's counters, compact: the numbers are exactly `get_metrics()`'s."""
    req, api, cache, breaker = (
        metrics["requests"],
        metrics["api"],
        metrics["cache"],
        metrics["breaker"],
    )
    embed = discord.Embed(
        title="Plan cache",
        description=f"{plural(req['total'], 'request')} since start.",
        colour=COLOUR_STATS,
    )
    fields = [
        ("Hit rate", f"{req['cache_hit_rate_percent']:.1f} %"),
        ("Hits / misses", f"{req['cache_hits']} / {req['cache_misses']}"),
        ("Coalesced", f"{req['coalesced']}"),
        ("API ok / errors / retries", f"{api['success']} / {api['errors']} / {api['retries']}"),
        (
            "Cached plans",
            f"{cache['plans']} · in {cache['size']} of {cache['max_size']} cache entries",
        ),
        ("Cache TTL", f"{_seconds(cache['ttl_seconds'])} · evictions {cache['evictions']}"),
        ("Stale served / fallbacks", f"{req['stale_served']} / {req['fallbacks']}"),
        (
            "Breaker",
            f"{breaker['state']} · opened {breaker['opens']} · "
            f"short-circuited {breaker['short_circuited']}",
        ),
        ("Deadline exceeded", f"{metrics.get('deadline_exceeded', 0)}"),
        ("Last API error", f"{api.get('last_error') or 'none'}"),
        ("Upstream p50 / p95", _latencies(metrics.get("latency_ms", {}))),
    ]
    for name, value in fields[:FIELD_COUNT_LIMIT]:
        embed.add_field(name=cut(name, FIELD_NAME_LIMIT), value=cut(value, FIELD_VALUE_LIMIT))
    return embed


def _seconds(value: float) -> str:
    """A configured time as set ("3600 s"), not worded as a duration: it is a setting."""
    return f"{value:g} s" if math.isfinite(value) else str(value)


def _latencies(latency: Mapping[str, Mapping[str, float]]) -> str:
    if not latency:
        return "no upstream calls yet"
    return "\n".join(
        f"{endpoint}: {v['p50']:.0f} / {v['p95']:.0f} ms ({plural(int(v['count']), 'call')})"
        for endpoint, v in sorted(latency.items())
    )
