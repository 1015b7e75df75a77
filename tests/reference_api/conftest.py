"""Fixtures for the reference server: a real server on 127.0.0.1, port 0, and a session.

The server's clock is pinned (`NOW`, a Monday, naive wall time in its zone), so
"today" and timestamps are known whatever zone the machine is in.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.reference_api import RunningServer, load_plans, serve

NOW = datetime(2024, 11, 11, 9, 30, 0, 123456)
TODAY = "2024-11-11"


def plan_row(coach: str = "d", date: str = "2024-11-08", **overrides: Any) -> dict[str, Any]:
    """One valid row in the load format; keyword overrides replace or add keys."""
    row: dict[str, Any] = {
        "coach": coach,
        "date": date,
        "plan": f"Plan of {coach} for {date}: long over 100, stop 98.",
        "charts": [f"https://cdn.example.com/attachments/1/2/{coach}.png?ex=1&hm=abc&"],
        "author": f"coach_{coach}_handle",
        "created_at": f"{date}T08:31:02.118223",
        "channel": "day-trading",
    }
    row.update(overrides)
    return row


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    raw: bytes

    def json(self) -> Any:
        return json.loads(self.raw)


@pytest.fixture
def machine_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Sets the process's own zone (`TZ`), restored afterwards, to show the server ignores it."""
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is POSIX-only")

    def set_zone(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield set_zone
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "plans.db"


@pytest.fixture
async def server(db_path: Path) -> AsyncIterator[RunningServer]:
    async with serve(db_path, now=lambda: NOW) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def get(server: RunningServer, http: aiohttp.ClientSession) -> Callable[..., Any]:
    """GET a path on the server without following redirects; returns a `Reply`."""

    async def fetch(path: str, *, method: str = "GET") -> Reply:
        async with http.request(method, server.url + path, allow_redirects=False) as response:
            return Reply(response.status, dict(response.headers), await response.read())

    return fetch


@pytest.fixture
def loaded(db_path: Path) -> list[dict[str, Any]]:
    """A small week: d and s on Friday (s edited twice), d on Monday (today)."""
    rows = [
        plan_row("d", "2024-11-08"),
        plan_row(
            "s",
            "2024-11-08",
            plan="MSFT swing: add over 425, stop 404 — risk 0.5%.",
            charts=[],
            channel="swing",
            edits=[
                {"plan_text": "v1", "edited_by": "sam", "edited_at": "2024-11-08T09:00:00"},
                {"plan_text": "v2", "edited_by": "mod", "edited_at": "2024-11-08T10:02:44"},
            ],
        ),
        plan_row("d", TODAY, created_at=f"{TODAY}T08:00:00"),
    ]
    load_plans(db_path, rows)
    return rows
