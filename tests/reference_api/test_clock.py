"""The server's clock is wall time in its configured zone, never the machine's.

Categories: demo stamps (market times written in the server's zone), the demo's
week following New York's date, the default clock and the loader's default stamp
under a foreign machine zone, a pinned `now` winning, and unknown zones refused.
Where the real clock is read, the assertion brackets it between two readings in
the expected zone, so no test depends on the current date or the machine's zone.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from bot.reference_api import create_app, demo_rows, load_plans, serve

from .conftest import NOW

HALF_DAY = date(2026, 11, 27)
LATER = datetime(2026, 11, 28, 12, 0)  # naive, after every stamp of that week in any zone
MACHINE_ZONE = "Pacific/Kiritimati"  # UTC+14: far from every zone the tests configure
SetZone = Callable[[str], None]


def _stamps(timezone: str, today: date = HALF_DAY) -> dict[tuple[str, str], datetime]:
    rows = demo_rows(today=today, now=LATER, timezone=timezone)
    return {(row["coach"], row["date"]): datetime.fromisoformat(row["created_at"]) for row in rows}


async def _json(http: aiohttp.ClientSession, url: str) -> Any:
    async with http.get(url) as response:
        assert response.status == 200, url
        return await response.json()


def _wall_now(timezone: str) -> datetime:
    return datetime.now(ZoneInfo(timezone)).replace(tzinfo=None)


def test_demo_stamps_are_market_times_in_the_server_zone(machine_zone: SetZone) -> None:
    """08:05 ET is 08:05 for a New York server and 22:05 for a Tokyo one, whatever TZ says."""
    machine_zone(MACHINE_ZONE)
    new_york, tokyo = _stamps("America/New_York"), _stamps("Asia/Tokyo")
    assert new_york[("d", "2026-11-27")] == datetime(2026, 11, 27, 8, 5, 13, 250_027)
    assert tokyo[("d", "2026-11-27")] == datetime(2026, 11, 27, 22, 5, 13, 250_027)
    assert {key: tokyo[key] - stamp for key, stamp in new_york.items()} == {
        key: timedelta(hours=14) for key in new_york
    }


def test_demo_stamps_follow_daylight_saving_time() -> None:
    """In July New York is UTC-4, so 08:05 ET is 12:05 for a UTC server."""
    july = date(2026, 7, 15)
    rows = demo_rows(today=july, now=datetime(2026, 7, 16), timezone="UTC")
    assert (rows[-1]["coach"], rows[-1]["date"]) == ("n", "2026-07-15")
    assert rows[-1]["created_at"] == "2026-07-15T12:26:13.250015"


async def test_served_demo_is_stamped_in_the_server_zone(
    db_path: Path, http: aiohttp.ClientSession, machine_zone: SetZone
) -> None:
    """Through HTTP: a Tokyo server's demo plan on 2026-11-27 was posted at 22:05 its time."""
    machine_zone(MACHINE_ZONE)
    tokyo = serve(db_path, demo=True, demo_today=HALF_DAY, now=lambda: LATER, timezone="Asia/Tokyo")
    async with tokyo as server:
        plan = await _json(http, f"{server.url}/api/coach-plans/?coach=d&date=2026-11-27")
    assert plan["created_at"] == "2026-11-27T22:05:13.250027"


@pytest.mark.parametrize(
    ("server_now", "latest_session"),
    [
        (datetime(2026, 11, 28, 9, 0), "2026-11-27"),  # Friday 19:00 in New York
        (datetime(2026, 11, 27, 9, 0), "2026-11-25"),  # Thanksgiving 19:00 in New York
    ],
)
async def test_demo_week_follows_new_yorks_date(
    db_path: Path, http: aiohttp.ClientSession, server_now: datetime, latest_session: str
) -> None:
    """A Tokyo server's morning is still the previous evening on the market's calendar."""
    async with serve(db_path, demo=True, now=lambda: server_now, timezone="Asia/Tokyo") as server:
        latest = await _json(http, f"{server.url}/api/coach-plans/all?date={latest_session}")
        tokyo_today = await _json(http, f"{server.url}/api/coach-plans/all")
    assert list(latest) == ["coach_d", "coach_i", "coach_s", "coach_n"]
    assert tokyo_today == {}, "the server's own date is not a session of the demo"


async def test_default_clock_is_the_configured_zone(
    db_path: Path, http: aiohttp.ClientSession, machine_zone: SetZone
) -> None:
    """Timestamps and the default date come from `timezone`, not from the process's TZ."""
    machine_zone(MACHINE_ZONE)
    async with serve(db_path, timezone="America/New_York") as server:
        before = _wall_now("America/New_York")
        stamp = datetime.fromisoformat((await _json(http, f"{server.url}/health"))["timestamp"])
        no_plan = (await _json(http, f"{server.url}/api/coach-plans/?coach=d"))["plan"]
        after = _wall_now("America/New_York")
    assert before <= stamp <= after
    days = {before.date().isoformat(), after.date().isoformat()}
    assert no_plan in {f"No plan available for coach_d on {day}" for day in days}


def test_loaded_rows_are_stamped_in_the_configured_zone(
    db_path: Path, machine_zone: SetZone
) -> None:
    """A row without `created_at` gets now in the server's zone, as the server would stamp it."""
    machine_zone(MACHINE_ZONE)
    row = {"coach": "d", "date": "2026-11-27", "plan": "p", "author": "a"}
    before = _wall_now("Asia/Tokyo")
    load_plans(db_path, [row], timezone="Asia/Tokyo")
    after = _wall_now("Asia/Tokyo")
    with sqlite3.connect(db_path) as conn:
        (created_at,) = conn.execute("SELECT created_at FROM plans").fetchone()
    conn.close()
    assert before <= datetime.fromisoformat(created_at) <= after


async def test_a_pinned_now_wins_over_the_zone(db_path: Path, http: aiohttp.ClientSession) -> None:
    """Tests pin the clock: an explicit `now` is used as given, whatever `timezone` says."""
    async with serve(db_path, now=lambda: NOW, timezone="Asia/Tokyo") as server:
        health = await _json(http, f"{server.url}/health")
    assert health["timestamp"] == NOW.isoformat()


@pytest.mark.parametrize("name", ["Nowhere/Else", "", "../etc", "localtime"])
def test_unknown_zones_are_refused(db_path: Path, name: str) -> None:
    """A typo must not silently become UTC or the machine's zone."""
    with pytest.raises(ValueError, match="time zone"):
        create_app(db_path, timezone=name)
    with pytest.raises(ValueError, match="time zone"):
        load_plans(db_path, [], timezone=name)
    with pytest.raises(ValueError, match="time zone"):
        demo_rows(timezone=name)
