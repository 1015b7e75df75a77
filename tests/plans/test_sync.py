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
