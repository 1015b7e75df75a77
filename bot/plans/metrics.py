"""Plain counters and a bounded latency window; the client owns one `ClientStats`.

Nothing here grows with the number of calls: percentiles come from the last
`LATENCY_WINDOW` samples per endpoint, not from every sample ever taken.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
from collections import deque
from typing import Any, Final

LATENCY_WINDOW: Final = 1024
#: Upper bounds (ms) of the cumulative latency histogram, Prometheus-style: counted since
#: start, unlike the window, so a scraper can take rates of it.
LATENCY_BUCKETS_MS: Final = (
    5.0,
    10.0,
    25.0,
    50.0,
    100.0,
    250.0,
    500.0,
    1000.0,
    2500.0,
    5000.0,
    10000.0,
)


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list (0 for no samples)."""
    if not sorted_values:
        return 0.0
    rank = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]


@dataclasses.dataclass(slots=True)
class ClientStats:
    requests: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    coalesced: int = 0
    stale_served: int = 0
    fallbacks: int = 0
    api_success: int = 0
    api_errors: int = 0
    api_retries: int = 0
    api_not_found: int = 0
    evictions: int = 0
    background_refreshes: int = 0
    refresh_failures: int = 0
    deadline_exceeded: int = 0
    latency_ms: dict[str, deque[float]] = dataclasses.field(default_factory=dict)
    #: Per endpoint: a count per bucket of LATENCY_BUCKETS_MS (then +Inf), and the sum.
    latency_counts: dict[str, list[int]] = dataclasses.field(default_factory=dict)
    latency_sums: dict[str, float] = dataclasses.field(default_factory=dict)

    def requests_snapshot(self, *, extra_hits: int = 0) -> dict[str, Any]:
        """The seed's `requests` section; `extra_hits` were answered off the loop thread."""
        hits = self.cache_hits + extra_hits
        answered = hits + self.cache_misses + self.coalesced
        return {
            "total": self.requests + extra_hits,
            "cache_hits": hits,
            "cache_misses": self.cache_misses,
            "cache_hit_rate_percent": round(100 * hits / answered, 2) if answered else 0.0,
            "coalesced": self.coalesced,
            "stale_served": self.stale_served,
            "fallbacks": self.fallbacks,
        }

    def report(
        self,
        *,
        api: dict[str, Any],
        cache: dict[str, Any],
        breaker: dict[str, Any],
        refreshes_in_flight: int,
        extra_hits: int,
    ) -> dict[str, Any]:
        """`get_metrics()`: our counters with the sections other components report."""
        return {
            "requests": self.requests_snapshot(extra_hits=extra_hits),
            "api": api,
            "cache": cache,
            "breaker": breaker,
            "refresh": {
                "background_refreshes": self.background_refreshes,
                "failures": self.refresh_failures,
                "in_progress": refreshes_in_flight,
            },
            "deadline_exceeded": self.deadline_exceeded,
            "latency_ms": self.latency_snapshot(),
            "latency_histogram_ms": self.histogram_snapshot(),
        }

    def observe(self, endpoint: str, ms: float) -> None:
        window = self.latency_ms.get(endpoint)
        if window is None:
            window = self.latency_ms[endpoint] = deque(maxlen=LATENCY_WINDOW)
        window.append(ms)
        counts = self.latency_counts.get(endpoint)
        if counts is None:
            counts = self.latency_counts[endpoint] = [0] * (len(LATENCY_BUCKETS_MS) + 1)
        counts[bisect.bisect_left(LATENCY_BUCKETS_MS, ms)] += 1
        self.latency_sums[endpoint] = self.latency_sums.get(endpoint, 0.0) + ms

    def histogram_snapshot(self) -> dict[str, dict[str, Any]]:
        """Per endpoint: cumulative `buckets` `[[le_ms, count], ...]`, `count` (all) and `sum`.

        The +Inf bucket is `count`; JSON has no infinity, and this goes out as JSON.
        """
        out: dict[str, dict[str, Any]] = {}
        for endpoint, counts in self.latency_counts.items():
            running = list(itertools.accumulate(counts))
            out[endpoint] = {
                "buckets": [[le, n] for le, n in zip(LATENCY_BUCKETS_MS, running, strict=False)],
                "count": running[-1],
                "sum": round(self.latency_sums[endpoint], 3),
            }
        return out

    def latency_snapshot(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for endpoint, window in self.latency_ms.items():
            values = sorted(window)
            out[endpoint] = {
                "p50": round(percentile(values, 0.50), 2),
                "p95": round(percentile(values, 0.95), 2),
                "count": len(values),
            }
        return out
