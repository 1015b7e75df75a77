"""The demo week: four coaches over five sessions minus one, edits, and served charts.

Categories: the shape of the data as the API serves it, the charts behind the demo
URLs, `demo_chart_assets` matching those URLs exactly, and the demo never replacing
real plans. The calendar is in test_sessions.py, the prose in test_demo_text.py, the
stamps' zone in test_clock.py.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.reference_api import (
    DEMO_CHART_NAMES,
    PNG_SIGNATURE,
    ForeignPlansError,
    demo_chart_assets,
    demo_rows,
    fill_demo,
    load_plans,
    serve,
    trading_days,
)

from .conftest import plan_row

MONDAY = date(2024, 11, 11)  # Veterans Day: the bond market closes, the NYSE does not
WEEK = ["2024-11-05", "2024-11-06", "2024-11-07", "2024-11-08", "2024-11-11"]
LATER = datetime(2024, 11, 11, 18, 0)  # the server's clock, after every demo stamp


async def _json(http: aiohttp.ClientSession, url: str) -> Any:
    async with http.get(url) as response:
        assert response.status == 200, url
        return await response.json()


def test_demo_week_is_the_five_sessions_up_to_today() -> None:
    """The rows cover exactly `trading_days(today)`: the week the client will ask for."""
    assert [d.isoformat() for d in trading_days(MONDAY)] == WEEK
    assert sorted({row["date"] for row in demo_rows(today=MONDAY, now=LATER)}) == WEEK


async def test_demo_has_four_coaches_on_five_sessions_minus_one(
    db_path: Path, http: aiohttp.ClientSession
) -> None:
    """19 plans: every coach every day, except n on the second most recent day."""
    async with serve(db_path, demo=True, demo_today=MONDAY, now=lambda: LATER) as server:
        days = {
            day: await _json(http, f"{server.url}/api/coach-plans/all?date={day}") for day in WEEK
        }
        metrics = await _json(http, f"{server.url}/metrics")
    assert {day: sorted(plans) for day, plans in days.items() if len(plans) != 4} == {
        "2024-11-08": ["coach_d", "coach_i", "coach_s"]
    }
    assert metrics["database"]["total_plans"] == 19
    assert metrics["database"]["total_edits"] >= 3
    for plans in days.values():
        for plan in plans.values():
            assert plan["author"] and plan["plan"]
            datetime.fromisoformat(plan["created_at"])


async def test_demo_has_edits_newest_first(db_path: Path, http: aiohttp.ClientSession) -> None:
    """Some demo plans were edited; their history is newest first and sets `edited_at`."""
    async with serve(db_path, demo=True, demo_today=MONDAY, now=lambda: LATER) as server:
        edited = []
        for day in WEEK:
            for coach in "disn":
                query = f"coach={coach}&date={day}"
                history = await _json(http, f"{server.url}/api/coach-plans/history?{query}")
                if history["history"]:
                    plan = await _json(http, f"{server.url}/api/coach-plans/?{query}")
                    edited.append((plan, history["history"]))
    assert len(edited) >= 3
    for plan, history in edited:
        stamps = [row["edited_at"] for row in history]
        assert stamps == sorted(stamps, reverse=True)
        assert plan["edited_at"] == stamps[0]
    assert any(len(history) > 1 for _, history in edited)


async def test_demo_charts_are_served_as_png(db_path: Path, http: aiohttp.ClientSession) -> None:
    """Every chart URL in the demo points at this server and answers real PNG bytes."""
    async with serve(db_path, demo=True, demo_today=MONDAY, now=lambda: LATER) as server:
        plans = await _json(http, f"{server.url}/api/coach-plans/all?date=2024-11-11")
        urls = [url for plan in plans.values() for url in plan["charts"]]
        assets = demo_chart_assets(server.url, today=MONDAY)
        assert urls
        for url in urls:
            assert url.startswith(f"{server.url}/charts/")
            assert "&hm=" in url, "shaped like a signed CDN link"
            async with http.get(url) as response:
                assert response.status == 200
                assert response.headers["Content-Type"] == "image/png"
                body = await response.read()
            assert body.startswith(PNG_SIGNATURE)
            assert assets[url][1] == body
            assert assets[url][0].endswith(".png")


def test_chart_assets_cover_every_demo_url_and_bare_name() -> None:
    """Asset keys match the stored URLs exactly, plus one bare URL per chart."""
    base = "http://127.0.0.1:5123"
    assets = demo_chart_assets(base + "/", today=MONDAY)
    stored = {url for row in demo_rows(base, MONDAY, now=LATER) for url in row["charts"]}
    bare = {f"{base}/charts/{name}.png" for name in DEMO_CHART_NAMES}
    assert set(assets) == stored | bare
    assert all(blob.startswith(PNG_SIGNATURE) for _, blob in assets.values())


def test_demo_plans_are_never_in_the_future() -> None:
    """Filled before the open, today's plans and edits are still stamped in the past."""
    early = datetime(2024, 11, 11, 3, 0)
    for row in demo_rows(today=MONDAY, now=early):
        assert datetime.fromisoformat(row["created_at"]) < early
        for edit in row["edits"]:
            assert row["created_at"] <= edit["edited_at"] < early.isoformat()


def test_fill_demo_twice_replaces_instead_of_duplicating(db_path: Path) -> None:
    """Refilling (e.g. a restart on another port) keeps one plan per coach and day."""
    assert fill_demo(db_path, MONDAY, base_url="http://127.0.0.1:1", now=LATER) == 19
    assert fill_demo(db_path, MONDAY, base_url="http://127.0.0.1:2", now=LATER) == 19
    with sqlite3.connect(db_path) as conn:
        (plans,) = conn.execute("SELECT COUNT(*) FROM plans").fetchone()
        (stale,) = conn.execute("SELECT COUNT(*) FROM charts WHERE url LIKE '%:1/%'").fetchone()
    conn.close()
    assert (plans, stale) == (19, 0)


def real_week() -> list[dict[str, Any]]:
    """20 plans a coach wrote: every coach on every day of the demo's week, some edited."""
    return [
        plan_row(
            coach,
            day,
            plan=f"Real plan of {coach} on {day}.",
            edits=[{"plan_text": "draft", "edited_by": "coach", "edited_at": f"{day}T09:00:00"}],
        )
        for coach in "disn"
        for day in WEEK
    ]


def dump(db: Path) -> list[list[tuple[Any, ...]]]:
    with sqlite3.connect(db) as conn:
        tables = [
            conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
            for table in ("plans", "charts", "plan_edits")
        ]
    conn.close()
    return tables


async def test_demo_refuses_a_database_of_real_plans(db_path: Path) -> None:
    """20 real plans and their history survive a demo pointed at their database."""
    load_plans(db_path, real_week())
    before = dump(db_path)
    with pytest.raises(ForeignPlansError) as caught:
        async with serve(db_path, demo=True, demo_today=MONDAY, now=lambda: LATER):
            pass
    assert caught.value.count == 20
    with pytest.raises(ForeignPlansError):
        fill_demo(db_path, MONDAY, now=LATER)
    assert dump(db_path) == before


async def test_demo_refills_its_own_database(db_path: Path) -> None:
    """A second demo run on the demo's own database replaces its plans, as before."""
    for _ in range(2):
        async with serve(db_path, demo=True, demo_today=MONDAY, now=lambda: LATER):
            pass
    assert len(dump(db_path)[0]) == 19


def test_a_plan_loaded_into_the_demo_database_stops_the_next_demo(db_path: Path) -> None:
    """Once a real plan is in, even one replacing a demo plan, the demo leaves it all alone."""
    fill_demo(db_path, MONDAY, now=LATER)
    load_plans(db_path, [plan_row("d", WEEK[-1], plan="Mine now.")])
    before = dump(db_path)
    with pytest.raises(ForeignPlansError, match="it holds 1 plan the demo did not write"):
        fill_demo(db_path, MONDAY, now=LATER)
    assert dump(db_path) == before
