"""The Prometheus export: parsed by prometheus-client's own parser, equal to get_metrics()."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from bot.plans import CoachPlanClient
from bot.plans.prometheus import COUNTERS, GAUGES, ClientCollector, registry_for
from tests.conftest import TODAY
from tests.contract_server import ContractServer

Make = Callable[..., CoachPlanClient]


def _scrape(client: CoachPlanClient, process: str = "bot-0") -> dict[tuple[str, Any], float]:
    """Every sample of the exposition, keyed by (name, sorted labels)."""
    text = generate_latest(registry_for(client.get_metrics, process=process)).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _at(metrics: dict[str, Any], path: tuple[str, ...]) -> Any:
    for part in path:
        metrics = metrics[part]
    return metrics


async def test_every_exported_number_equals_get_metrics(
    plan_server: ContractServer, make_client: Make
) -> None:
    plan_server.add_plan("d", TODAY)
    client = make_client(max_retries=2)
    await client.fetch_coach_plan("d", TODAY)
    await client.fetch_coach_plan("d", TODAY)  # a hit
    plan_server.fail("status", status=503, times=1)
    await client.fetch_all_coach_plans(TODAY)  # a retry, then an answer
    metrics = client.get_metrics()
    samples = _scrape(client)
    process = (("process", "bot-0"),)
    for name, path, _ in COUNTERS:
        assert samples[(f"coachplans_{name}_total", process)] == _at(metrics, path), name
    for name, path, _ in GAUGES:
        assert samples[(f"coachplans_{name}", process)] == _at(metrics, path), name
    assert metrics["api"]["retries"] >= 1 and metrics["requests"]["cache_hits"] == 1
    state = metrics["breaker"]["state"]
    assert samples[("coachplans_breaker_state", (("process", "bot-0"), ("state", state)))] == 1


async def test_latency_histogram_counts_every_upstream_request(
    plan_server: ContractServer, make_client: Make
) -> None:
    plan_server.add_plan("d", TODAY)
    client = make_client()
    for day in ("2024-11-04", "2024-11-05", TODAY):
        await client.fetch_coach_plan("d", day)
    histogram = client.get_metrics()["latency_histogram_ms"]["plan"]
    samples = _scrape(client)
    labels = (("endpoint", "plan"), ("process", "bot-0"))
    assert histogram["count"] == 3
    assert samples[("coachplans_upstream_latency_seconds_count", labels)] == 3
    inf = (("endpoint", "plan"), ("le", "+Inf"), ("process", "bot-0"))
    assert samples[("coachplans_upstream_latency_seconds_bucket", inf)] == 3
    assert samples[("coachplans_upstream_latency_seconds_sum", labels)] == pytest.approx(
        histogram["sum"] / 1000
    )
    # Buckets are cumulative: never fewer below a higher bound.
    counts = [n for _, n in histogram["buckets"]]
    assert counts == sorted(counts) and counts[-1] <= 3


async def test_no_user_or_guild_label_and_a_process_name_is_required(
    make_client: Make,
) -> None:
    client = make_client()
    names = {label for key in _scrape(client) for label, _ in key[1]}
    assert names <= {"process", "state", "endpoint", "le"}
    with pytest.raises(ValueError, match="process"):
        ClientCollector(client.get_metrics, process="")
