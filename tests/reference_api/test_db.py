"""The store tells the truth about a full disk and keeps serving a database it cannot write.

Categories: a write that fills the disk (SQLite's `max_page_count` stands in for a
full filesystem), a read-only store, and a database the process has no right to write.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.reference_api import load_plans, serve
from bot.reference_api.db import PlanStore
from bot.reference_api.loader import validate_rows

from .conftest import NOW, plan_row

BIG_PLAN = "Levels. " * 2_000  # 16 KB: pages beyond any free space left in the file


def _dump(db: Path) -> list[list[tuple[Any, ...]]]:
    with sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True) as conn:
        tables = [
            conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
            for table in ("plans", "charts", "plan_edits")
        ]
    conn.close()
    return tables


@contextmanager
def _disk_full() -> Iterator[None]:
    """While open, no store connection may grow its file: as if the disk were full."""
    connect = PlanStore._connect

    def no_room(self: PlanStore, mode: str) -> sqlite3.Connection:
        conn = connect(self, mode)
        conn.execute("PRAGMA max_page_count = 1")  # never below the current size
        return conn

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PlanStore, "_connect", no_room)
        yield


def test_a_full_disk_is_reported_not_the_rollback_after_it(db_path: Path) -> None:
    """ "database or disk is full" reaches the caller, and the earlier plans are intact.

    SQLite rolls back by itself after SQLITE_FULL; a second ROLLBACK failed with "no
    transaction is active", and that error used to replace the real one.
    """
    load_plans(db_path, [plan_row("d")])
    before = _dump(db_path)
    with _disk_full(), pytest.raises(sqlite3.OperationalError) as caught:
        load_plans(db_path, [plan_row(coach, plan=BIG_PLAN) for coach in "disn"])
    assert str(caught.value) == "database or disk is full"
    assert _dump(db_path) == before


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def _served(server_url: str, http: aiohttp.ClientSession) -> tuple[Any, Any]:
    async with http.get(f"{server_url}/api/coach-plans/?coach=d&date=2024-11-08") as plan:
        assert plan.status == 200
        plan_body = await plan.json()
    async with http.get(f"{server_url}/health") as health:
        assert health.status == 200
        health_body = await health.json()
    return plan_body, health_body


async def test_read_only_serves_reads_and_never_writes(
    db_path: Path, http: aiohttp.ClientSession
) -> None:
    """`read_only` (`--read-only`): the API answers from a file it leaves byte for byte."""
    load_plans(db_path, [plan_row("d")])
    digest = _digest(db_path)
    async with serve(db_path, read_only=True, now=lambda: NOW) as server:
        plan, health = await _served(server.url, http)
    assert plan["author"] == "coach_d_handle"
    assert health["components"]["database"] == {"status": "up", "plan_count": 1}
    assert _digest(db_path) == digest
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        PlanStore(db_path, read_only=True).replace_plans(validate_rows([plan_row("s")]))


async def test_read_only_refuses_the_demo(db_path: Path) -> None:
    """The demo writes; asking for both is a mistake, said before anything starts."""
    with pytest.raises(ValueError, match="read-only"):
        async with serve(db_path, read_only=True, demo=True):
            pass


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root writes through file permissions; test_read_only_serves_reads... covers "
    "the read-only path for root",
)
@pytest.mark.parametrize("directory_writable", [True, False], ids=["file", "file-and-dir"])
async def test_a_database_it_cannot_write_is_served_read_only(
    tmp_path: Path, http: aiohttp.ClientSession, directory_writable: bool
) -> None:
    """A read-only copy (file, or file and directory) starts and answers GETs.

    In a read-only directory SQLite cannot create the WAL's shared-memory file, so
    the store falls back to `immutable=1`.
    """
    folder = tmp_path / "copy"
    folder.mkdir()
    db = folder / "plans.db"
    load_plans(tmp_path / "plans.db", [plan_row("d"), plan_row("s")])
    shutil.copy(tmp_path / "plans.db", db)
    db.chmod(0o444)
    if not directory_writable:
        folder.chmod(0o555)
    try:
        async with serve(db, now=lambda: NOW) as server:
            plan, health = await _served(server.url, http)
    finally:
        folder.chmod(0o755)
        db.chmod(0o644)
    assert plan["author"] == "coach_d_handle"
    assert health["components"]["database"] == {"status": "up", "plan_count": 2}
