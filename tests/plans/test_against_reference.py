"""The plan client against the REAL reference server: both sides agree on the contract.

The other client tests use a scriptable fake (`tests/contract_server.py`); these
run the client's basic behaviours against `bot.reference_api` over SQLite, so a
drift between the client and the reference API (a key renamed, a quirk dropped)
fails here. Categories: a plan round trip, the "no plan" quirk, /all, the
cache (hits and coalescing, counted by the server itself), a 400, health, demo.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.plans import CoachPlanClient
from bot.reference_api import RunningServer, load_plans, serve, trading_days
from tests.conftest import NOW

SIGNED_CHART = "https://cdn.example.com/attachments/1/2/nvda-daily.png?ex=6730&is=672f&hm=ab12&"
FRIDAY = "2024-11-08"


def row(coach: str, date: str = FRIDAY, **extra: Any) -> dict[str, Any]:
    """One plan in the reference server's load format."""
    return {
        "coach": coach,
        "date": date,
        "plan": f"Plan of {coach}: long over 100, stop 98.",
        "author": f"coach_{coach}_handle",
        "created_at": f"{date}T08:31:02.118223",
        **extra,
    }


@pytest.fixture
async def reference(tmp_path: Path) -> AsyncIterator[RunningServer]:
    async with serve(tmp_path / "p.db") as server:
        yield server


async def load(server: RunningServer, *rows: dict[str, Any]) -> None:
    await asyncio.to_thread(load_plans, server.db_path, list(rows))


async def served(client: CoachPlanClient) -> int:
    """Responses the server has sent so far; the /metrics call asking is counted next time."""
    metrics = await client.get_server_metrics()
    total: int = metrics["requests"]["total"]
    return total


async def test_found_plan_round_trips_every_field(reference: RunningServer) -> None:
    """What the loader stores is what the client reads, signed chart URL and edit time included."""
    await load(
        reference,
        row(
            "d",
            plan="NVDA bull flag on the daily. Entry 945-950, target 1020, stop 920.",
            charts=[SIGNED_CHART],
            channel="day-trading",
            edits=[
                {
                    "plan_text": "NVDA bull flag.",
                    "edited_by": "x",
                    "edited_at": f"{FRIDAY}T09:05:00",
                }
            ],
        ),
    )
    async with CoachPlanClient(reference.url) as client:
        plan = await client.fetch_coach_plan("d", FRIDAY)

    assert (plan.found, plan.error, plan.stale, plan.from_cache) == (True, None, False, False)
    assert plan["plan"] == "NVDA bull flag on the daily. Entry 945-950, target 1020, stop 920."
    assert plan["charts"] == (SIGNED_CHART,)
    assert plan["author"] == "coach_d_handle"
    # The server's naive New York stamps arrive as aware instants (EST in November).
    assert plan["created_at"] == dt.datetime.fromisoformat(f"{FRIDAY}T08:31:02.118223-05:00")
    assert plan.to_dict()["edited_at"] == f"{FRIDAY}T09:05:00-05:00"
    assert plan["channel"] == "day-trading"
    assert plan["date"] == FRIDAY


async def test_no_plan_quirk_is_not_found_and_not_an_error(reference: RunningServer) -> None:
    """The server's 200 "No plan available for coach_i" form is recognised as no plan."""
    await load(reference, row("d"))
    async with CoachPlanClient(reference.url) as client:
        plan = await client.fetch_coach_plan("i", FRIDAY)
        garbage_day = await client.fetch_coach_plan("d", "2024-11-09")

    assert (plan.found, plan.error, plan.charts) == (False, None, ())
    assert plan["plan"] == f"No plan available for coach i on {FRIDAY}."
    assert (garbage_day.found, garbage_day.error) == (False, None)


async def test_all_is_keyed_by_plain_ids_for_the_coaches_that_posted(
    reference: RunningServer,
) -> None:
    """The server's `coach_<id>` keys become plain ids; only coaches who posted are in it."""
    await load(reference, row("d"), row("s", charts=[]))
    async with CoachPlanClient(reference.url) as client:
        plans = await client.fetch_all_coach_plans(FRIDAY)
        empty_day = await client.fetch_all_coach_plans("2024-11-09")

    assert tuple(plans) == ("d", "s")
    assert all(p.found and p.error is None for p in plans.values())
    assert plans["s"].charts == ()
    assert empty_day == {}


async def test_cache_hit_sends_nothing_to_the_server(reference: RunningServer) -> None:
    """A second read, and a per-coach read after /all, are answered from the cache."""
    await load(reference, row("d"), row("s"))
    async with CoachPlanClient(reference.url) as client:
        before = await served(client)
        first = await client.fetch_coach_plan("d", FRIDAY)
        again = await client.fetch_coach_plan("d", FRIDAY)
        await client.fetch_all_coach_plans("2024-11-07")
        from_all = await client.fetch_coach_plan("s", "2024-11-07")
        after = await served(client)

    assert (first.from_cache, again.from_cache, from_all.from_cache) == (False, True, True)
    assert again.plan == first.plan
    assert after - before - 1 == 2  # one plan, one /all; the first /metrics is the 1
    assert client.get_metrics()["requests"]["cache_hits"] == 2


async def test_concurrent_reads_of_one_plan_share_one_request(reference: RunningServer) -> None:
    """Twenty callers at once: the server answers one request, everyone gets the plan."""
    await load(reference, row("n", plan="CPI at 8:30; no trades before it."))
    async with CoachPlanClient(reference.url) as client:
        before = await served(client)
        plans = await asyncio.gather(*(client.fetch_coach_plan("n", FRIDAY) for _ in range(20)))
        after = await served(client)

    assert {p.plan for p in plans} == {"CPI at 8:30; no trades before it."}
    assert after - before - 1 == 1
    assert client.get_metrics()["requests"]["coalesced"] == 19


async def test_no_date_means_the_clients_current_session(reference: RunningServer) -> None:
    """The client always sends its own session, never the server's local date: on
    Saturday the 9th (the server's today) that is Friday the 8th."""
    await load(
        reference,
        row("d", "2024-11-09", plan="Saturday prep."),
        row("d", "2024-11-08", plan="Friday plan."),
    )
    async with CoachPlanClient(reference.url, now=lambda: NOW) as client:
        plan = await client.fetch_coach_plan("d")
    assert (plan.found, plan.date, plan.plan) == (True, "2024-11-08", "Friday plan.")


async def test_coach_the_server_does_not_know_is_rejected_once(reference: RunningServer) -> None:
    """A coach configured here but unknown there: the server's 400 is `rejected`, not retried."""
    async with CoachPlanClient(reference.url, coaches=("d", "i", "s", "n", "x")) as client:
        before = await served(client)
        plan = await client.fetch_coach_plan("x", FRIDAY)
        after = await served(client)
    assert (plan.found, plan.error) == (False, "rejected")
    assert after - before - 1 == 1


async def test_health_and_metrics_read_the_reference_answers(reference: RunningServer) -> None:
    """/health (Discord side disconnected, still healthy) and /metrics read as the contract says."""
    await load(reference, row("d"), row("s"))
    async with CoachPlanClient(reference.url) as client:
        health = await client.check_health()
        metrics = await client.get_server_metrics()
    assert (health["healthy"], health["status"], health["http_status"]) == (True, "healthy", 200)
    assert health["server"]["components"]["database"]["plan_count"] == 2
    assert metrics["database"]["total_plans"] == 2
    assert metrics["database"]["latest_plan"] == f"{FRIDAY}T08:31:02.118223"


async def test_demo_week_reads_as_nineteen_plans(tmp_path: Path) -> None:
    """The demo's week through the client: 19 plans, one "no plan", charts on this server."""
    friday = dt.date(2024, 11, 8)
    async with (
        serve(tmp_path / "demo.db", demo=True, demo_today=friday) as server,
        CoachPlanClient(server.url) as client,
    ):
        week = [await client.fetch_all_coach_plans(day) for day in trading_days(friday)]

    plans = [plan for day in week for plan in day.values()]
    assert len(plans) == 19 and all(p.found for p in plans)
    assert ("n", "2024-11-07") not in {(p.coach, p.date) for p in plans}
    charts = [url for p in plans for url in p.charts]
    assert charts
    assert all(url.startswith(f"{server.url}/charts/") for url in charts)
