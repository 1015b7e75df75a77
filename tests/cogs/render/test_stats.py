"""/cachestats: the client's counters as they read, in the right plurals."""

from __future__ import annotations

from typing import Any

from cogs.render import stats
from tests.cogs.render.conftest import assert_within_limits


def fresh_metrics() -> dict[str, Any]:
    """`get_metrics()` of a client that has made no call yet."""
    return {
        "requests": {
            "total": 0,
            "cache_hits": 0,
            "cache_misses": 0,
            "cache_hit_rate_percent": 0.0,
            "coalesced": 0,
            "stale_served": 0,
            "fallbacks": 0,
        },
        "api": {"success": 0, "errors": 0, "retries": 0, "last_error": None},
        "cache": {"size": 0, "max_size": 100, "ttl_seconds": 3600, "evictions": 0, "plans": 0},
        "breaker": {"state": "closed", "opens": 0, "short_circuited": 0},
        "deadline_exceeded": 0,
        "latency_ms": {},
    }


def test_stats_embed_before_any_call() -> None:
    embed = stats.stats_embed(fresh_metrics())

    values = {f.name: f.value for f in embed.fields}
    assert values["Upstream p50 / p95"] == "no upstream calls yet"
    assert values["Cache TTL"] == "3600 s · evictions 0"
    assert values["Cached plans"] == "0 · in 0 of 100 cache entries"
    assert embed.description == "0 requests since start."
    assert_within_limits(embed)


def test_stats_embed_counts_in_the_right_plural() -> None:
    """One request, one call: no "1 requests", no "1 calls"; plans, not cache entries."""
    metrics = fresh_metrics()
    metrics["requests"]["total"] = 1
    metrics["cache"].update(size=5, plans=2)
    metrics["latency_ms"] = {
        "all": {"p50": 3.0, "p95": 3.0, "count": 1},
        "plan": {"p50": 2.0, "p95": 4.0, "count": 2},
    }

    embed = stats.stats_embed(metrics)

    values = {f.name: f.value for f in embed.fields}
    assert embed.description == "1 request since start."
    assert values["Upstream p50 / p95"] == "all: 3 / 3 ms (1 call)\nplan: 2 / 4 ms (2 calls)"
    assert values["Cached plans"] == "2 · in 5 of 100 cache entries"
