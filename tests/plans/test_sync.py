"""The blocking facade: same answers, one loop thread, safe from many threads."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.plans import SyncCoachPlanClient
from tests.conftest import TODAY
from tests.contract_server import ContractServer


def test_sync_facade_from_eight_threads(threaded_plan_server: ContractServer) -> None:
    """8 threads at once share one cache: one request per key, every answer right."""
    for coach in "dis":
        threaded_plan_server.add_plan(coach, TODAY, f"plan of {coach}")
    with SyncCoachPlanClient(threaded_plan_server.url, timeout=5) as client:

        def work(i: int) -> str:
            return str(client.fetch_coach_plan("dis"[i % 3], TODAY)["plan"])

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(work, range(80)))
        assert results == [f"plan of {'dis'[i % 3]}" for i in range(80)]
        assert threaded_plan_server.requests_to("plan") == 3
        metrics = client.get_metrics()
        assert metrics["requests"]["total"] == 80
        assert client.clear_cache() == 3


async def test_sync_facade_refuses_a_running_loop(plan_server: ContractServer) -> None:
    """Blocking inside an event loop would freeze it: a clear RuntimeError instead."""
    client = SyncCoachPlanClient(plan_server.url)
    try:
        with pytest.raises(RuntimeError, match="running event loop"):
            client.fetch_coach_plan("d", TODAY)
    finally:
        await asyncio.to_thread(client.close)


def test_sync_close_stops_its_thread(threaded_plan_server: ContractServer) -> None:
    """close() ends the loop thread; later calls say the client is closed; close is idempotent."""
    before = threading.active_count()
    client = SyncCoachPlanClient(threaded_plan_server.url)
    client.fetch_coach_plan("d", TODAY)
    client.close()
    client.close()
    assert threading.active_count() == before
    with pytest.raises(RuntimeError, match="closed"):
        client.fetch_coach_plan("d", TODAY)


def test_sync_hits_skip_the_loop_but_respect_clears(threaded_plan_server: ContractServer) -> None:
    """A fresh hit is answered in the caller's thread; after clear_cache it is a miss again."""
    threaded_plan_server.add_plan("d", TODAY, "v1")
    with SyncCoachPlanClient(threaded_plan_server.url) as client:
        assert client.fetch_coach_plan("d", TODAY)["plan"] == "v1"
        hit = client.client.peek_fresh("d", TODAY)
        assert hit is not None and hit["from_cache"]
        assert client.fetch_coach_plan("D", TODAY)["from_cache"]
        threaded_plan_server.add_plan("d", TODAY, "v2")
        assert client.clear_cache() == 1
        assert client.client.peek_fresh("d", TODAY) is None
        assert client.fetch_coach_plan("d", TODAY)["plan"] == "v2"
        requests = client.get_metrics()["requests"]
        assert (requests["total"], requests["cache_hits"]) == (4, 2)  # peek_fresh counts too
        assert threaded_plan_server.requests_to("plan") == 2


def test_sync_peek_leaves_refresh_due_entries_to_the_loop(
    threaded_plan_server: ContractServer,
) -> None:
    """An entry due for refresh-ahead is not answered by the fast path."""
    threaded_plan_server.add_plan("d", TODAY)
    with SyncCoachPlanClient(
        threaded_plan_server.url, refresh_ahead_ratio=0.999999, past_ttl_seconds=1
    ) as client:
        client.fetch_coach_plan("d", TODAY)
        assert client.client.peek_fresh("d", TODAY) is None
