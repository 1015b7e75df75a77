"""`get_metrics()` in the Prometheus text format, for operators.

A collector, not a second set of counters: each scrape reads the client's own
`get_metrics()`, so the exported numbers are the ones `/cachestats` and agents
see, and nothing here can drift from them. Series carry a `process` label (which
process of a fleet answered; never a user or guild id) and, for latencies, the
contract endpoint.

Needs the optional extra `prometheus` (`pip install "coach-plans-bot[prometheus]"`).
Agents mount the registry in their own server; the bot serves it on `METRICS_ADDR`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

PREFIX: Final = "coachplans"
BREAKER_STATES: Final = ("closed", "open", "half_open")

#: (name, path in get_metrics(), help): counters only ever grow.
COUNTERS: Final[tuple[tuple[str, tuple[str, ...], str], ...]] = (
    ("requests", ("requests", "total"), "Calls of the client's fetch methods."),
    ("cache_hits", ("requests", "cache_hits"), "Calls answered from the process cache."),
    ("cache_misses", ("requests", "cache_misses"), "Calls that started a load."),
    ("coalesced", ("requests", "coalesced"), "Calls that joined a load in flight."),
    ("stale_served", ("requests", "stale_served"), "Stale copies served on a failure."),
    ("fallbacks", ("requests", "fallbacks"), "Fallback answers (no plan, no stale copy)."),
    ("api_success", ("api", "success"), "Upstream requests answered."),
    ("api_errors", ("api", "errors"), "Upstream requests that failed."),
    ("api_retries", ("api", "retries"), "Upstream retries."),
    ("api_not_found", ("api", "not_found"), "Upstream answers with no plan."),
    ("cache_evictions", ("cache", "evictions"), "Entries evicted by the LRU bound."),
    ("breaker_opens", ("breaker", "opens"), "Times the circuit breaker opened."),
    ("breaker_short_circuited", ("breaker", "short_circuited"), "Calls the breaker kept away."),
    ("refreshes", ("refresh", "background_refreshes"), "Background refreshes started."),
    ("refresh_failures", ("refresh", "failures"), "Background refreshes that failed."),
    ("deadline_exceeded", ("deadline_exceeded",), "Calls that ran out of their deadline."),
)
#: (name, path, help): values that go up and down.
GAUGES: Final[tuple[tuple[str, tuple[str, ...], str], ...]] = (
    ("api_in_flight", ("api", "in_flight"), "Upstream requests in flight."),
    ("cache_entries", ("cache", "size"), "Entries in the process cache."),
    ("cache_max_entries", ("cache", "max_size"), "The process cache's bound."),
    ("stale_entries", ("cache", "stale_size"), "Stale copies kept for failures."),
    ("refreshes_in_flight", ("refresh", "in_progress"), "Background refreshes in flight."),
)
#: Counters of the shared Redis tier (`get_metrics()["redis"]`, when configured).
REDIS_COUNTERS: Final = (
    ("hits", "Calls answered from Redis."),
    ("misses", "Redis lookups that found nothing usable."),
    ("errors", "Redis calls that failed or timed out."),
    ("lock_waits", "Calls that waited for another process's load."),
    ("invalidations", "Invalidations applied (sent or received)."),
    ("decode_failures", "Values under our keys this version could not read."),
    ("commands", "Redis commands issued."),
)


def _at(metrics: Mapping[str, Any], path: tuple[str, ...]) -> float:
    value: Any = metrics
    for part in path:
        value = value[part]
    return float(value)


class ClientCollector:
    """Exports one client's `get_metrics()`; register it in a `CollectorRegistry`.

    `metrics` is the client's bound `get_metrics` (call it on the client's loop
    thread, or pass the sync facade's, which hops there).
    """

    def __init__(self, metrics: Callable[[], Mapping[str, Any]], *, process: str) -> None:
        if not process:
            raise ValueError("process must name this process (e.g. 'bot-0' or 'agent-3')")
        self._metrics = metrics
        self._process = process

    def collect(self) -> Iterator[Metric]:
        metrics = self._metrics()
        labels = [self._process]
        for name, path, doc in COUNTERS:
            family = CounterMetricFamily(f"{PREFIX}_{name}", doc, labels=["process"])
            family.add_metric(labels, _at(metrics, path))
            yield family
        for name, path, doc in GAUGES:
            gauge = GaugeMetricFamily(f"{PREFIX}_{name}", doc, labels=["process"])
            gauge.add_metric(labels, _at(metrics, path))
            yield gauge
        yield self._breaker_state(metrics["breaker"]["state"])
        yield from self._redis(metrics.get("redis"))
        yield self._latency(metrics.get("latency_histogram_ms", {}))

    def _breaker_state(self, current: str) -> Metric:
        family = GaugeMetricFamily(
            f"{PREFIX}_breaker_state",
            "1 for the circuit breaker's current state, 0 for the others.",
            labels=["process", "state"],
        )
        for state in BREAKER_STATES:
            family.add_metric([self._process, state], 1.0 if state == current else 0.0)
        return family

    def _redis(self, redis: Mapping[str, Any] | None) -> Iterator[Metric]:
        if redis is None:
            return
        for name, doc in REDIS_COUNTERS:
            if name in redis:
                family = CounterMetricFamily(f"{PREFIX}_redis_{name}", doc, labels=["process"])
                family.add_metric([self._process], float(redis[name]))
                yield family

    def _latency(self, histograms: Mapping[str, Mapping[str, Any]]) -> Metric:
        family = HistogramMetricFamily(
            f"{PREFIX}_upstream_latency_seconds",
            "Upstream request latency, by contract endpoint.",
            labels=["process", "endpoint"],
        )
        for endpoint, histogram in sorted(histograms.items()):
            buckets = [(repr(le_ms / 1000), float(n)) for le_ms, n in histogram["buckets"]]
            buckets.append(("+Inf", float(histogram["count"])))
            family.add_metric([self._process, endpoint], buckets, sum_value=histogram["sum"] / 1000)
        return family


def registry_for(metrics: Callable[[], Mapping[str, Any]], *, process: str) -> CollectorRegistry:
    """A registry exporting one client; serve it with prometheus-client or the bot."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(ClientCollector(metrics, process=process))
    return registry
