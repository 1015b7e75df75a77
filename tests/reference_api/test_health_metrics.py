"""`/health` and `/metrics` report the server's state in the contract's shapes.

Categories: health up, health down (503) for each way the database file can become
unusable, the data endpoints' 500 in that state, and the request and database counters.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.reference_api import RunningServer, load_plans, serve

from .conftest import NOW, plan_row

Get = Callable[..., Any]


def _remove_file(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def _remove_directory(db: Path) -> None:
    shutil.rmtree(db.parent)


def _corrupt(db: Path) -> None:
    _remove_file(db)
    db.write_bytes(b"this is not a database " * 400)


def _empty(db: Path) -> None:
    _remove_file(db)
    db.write_bytes(b"")


async def test_health_reports_healthy_with_plan_count(
    get: Get, loaded: list[dict[str, Any]]
) -> None:
    """Healthy is 200 with the contract's components and a naive microsecond timestamp."""
    reply = await get("/health")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json"
    body = reply.json()
    assert body["status"] == "healthy"
    assert body["timestamp"] == NOW.isoformat()
    assert body["components"]["database"] == {"status": "up", "plan_count": 3}
    assert body["components"]["discord_bot"]["status"] == "disconnected"


@pytest.mark.parametrize("break_it", [_remove_file, _remove_directory, _corrupt, _empty])
async def test_health_is_503_when_database_is_unusable(
    tmp_path: Path, http: aiohttp.ClientSession, break_it: Callable[[Path], None]
) -> None:
    """A deleted, corrupt or emptied database makes /health 503 with a JSON body."""
    (tmp_path / "data").mkdir()
    db = tmp_path / "data" / "plans.db"
    async with serve(db, now=lambda: NOW) as server:
        async with http.get(f"{server.url}/health") as response:
            assert response.status == 200
        break_it(db)
        broken = db.read_bytes() if db.exists() else None
        async with http.get(f"{server.url}/health") as response:
            assert response.status == 503
            assert response.headers["Content-Type"] == "application/json"
            body = await response.json()
        assert body["status"] == "unhealthy"
        assert body["components"]["database"]["status"] == "down"
        assert body["components"]["database"]["error"]
        assert (db.read_bytes() if db.exists() else None) == broken, "left as it was found"


async def test_plan_endpoints_answer_500_when_database_is_gone(
    db_path: Path, server: RunningServer, http: aiohttp.ClientSession
) -> None:
    """Data endpoints report a failure as 500 with the contract's error keys."""
    _remove_file(db_path)
    expected = {
        "/api/coach-plans/?coach=d&date=2024-11-08": "Failed to retrieve plan",
        "/api/coach-plans/all?date=2024-11-08": "Failed to retrieve plans",
        "/api/coach-plans/history?coach=d&date=2024-11-08": "Failed to retrieve history",
        "/metrics": "Failed to collect metrics",
    }
    for path, error in expected.items():
        async with http.get(server.url + path) as response:
            assert response.status == 500, path
            body = await response.json()
        assert body["error"] == error
        assert body["message"]


async def test_metrics_counts_requests_by_outcome(get: Get) -> None:
    """Success is below 400, errors are 4xx/5xx; the /metrics call itself is not yet counted."""
    for path in ("/health", "/api/coach-plans/?coach=d", "/api/coach-plans/?coach=x", "/nope"):
        await get(path)
    await get("/api/coach-plans")  # 308 counts as a success
    body = (await get("/metrics")).json()
    assert body["requests"] == {"total": 5, "success": 3, "error": 2, "error_rate_percent": 40.0}
    assert body["timestamp"] == NOW.isoformat()
    assert isinstance(body["uptime_seconds"], float)
    second = (await get("/metrics")).json()
    assert second["requests"]["total"] == 6


async def test_metrics_on_a_fresh_server_has_zero_rate(get: Get) -> None:
    """No requests yet means a 0.0 error rate, not a division error."""
    body = (await get("/metrics")).json()
    assert body["requests"] == {"total": 0, "success": 0, "error": 0, "error_rate_percent": 0.0}
    assert body["database"] == {
        "total_plans": 0,
        "total_charts": 0,
        "total_edits": 0,
        "latest_plan": None,
    }


async def test_metrics_database_counts(get: Get, db_path: Path) -> None:
    """Plans, charts and edits are counted; `latest_plan` is a timestamp, not a date."""
    load_plans(
        db_path,
        [
            plan_row(
                "d", "2024-11-07", charts=["https://a.example/1.png", "https://a.example/2.png"]
            ),
            plan_row(
                "i",
                "2024-11-08",
                edits=[{"plan_text": "old", "edited_by": "i", "edited_at": "2024-11-08T09:00:00"}],
            ),
        ],
    )
    database = (await get("/metrics")).json()["database"]
    assert database["total_plans"] == 2
    assert database["total_charts"] == 3
    assert database["total_edits"] == 1
    assert database["latest_plan"] == "2024-11-08T08:31:02.118223"
    datetime.fromisoformat(database["latest_plan"])
