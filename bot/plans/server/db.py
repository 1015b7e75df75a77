"""SQLite store behind the reference Coach Plan API.

Every method is blocking and opens its own connection: the app calls them through
`asyncio.to_thread`, so a connection never crosses threads, and a file deleted or
corrupted under a running server is noticed on the next call instead of being hidden
by a connection that still holds the old inode. After `initialize` the file is opened
with `mode=rw`, so a vanished database is an error rather than a new empty one.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import final

log = logging.getLogger(__name__)

BUSY_TIMEOUT_SECONDS = 10.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS plans (
    id INTEGER PRIMARY KEY,
    coach TEXT NOT NULL,
    date TEXT NOT NULL,
    plan_text TEXT NOT NULL,
    author TEXT NOT NULL,
    channel TEXT,
    created_at TEXT NOT NULL,
    edited_at TEXT,
    UNIQUE (coach, date)
);
CREATE TABLE IF NOT EXISTS charts (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    url TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS plan_edits (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    plan_text TEXT NOT NULL,
    edited_by TEXT NOT NULL,
    edited_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS charts_plan ON charts (plan_id, position);
CREATE INDEX IF NOT EXISTS plan_edits_plan ON plan_edits (plan_id, edited_at);
"""


@dataclass(frozen=True, slots=True)
class NewEdit:
    """One earlier version of a plan: the text that edit replaced."""

    plan_text: str
    edited_by: str
    edited_at: str


@dataclass(frozen=True, slots=True)
class NewPlan:
    """A validated plan ready to write; timestamps are already naive ISO with microseconds."""

    coach: str
    date: str
    plan: str
    author: str
    created_at: str
    charts: tuple[str, ...] = ()
    edited_at: str | None = None
    channel: str | None = None
    edits: tuple[NewEdit, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredPlan:
    plan: str
    charts: tuple[str, ...]
    author: str
    created_at: str
    edited_at: str | None
    channel: str | None


@dataclass(frozen=True, slots=True)
class StoredEdit:
    id: int
    plan_id: int
    plan_text: str
    edited_by: str
    edited_at: str


@dataclass(frozen=True, slots=True)
class StoreStats:
    total_plans: int
    total_charts: int
    total_edits: int
    latest_plan: str | None


@final
class PlanStore:
    """Plans keyed by (coach, date); a second process on the same file is safe (WAL)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        # Resolved once so a later chdir cannot point the server at another file.
        self.path = Path(path).resolve()

    def initialize(self) -> None:
        """Create the file and schema; the only call allowed to create the file."""
        with closing(self._connect(create=True)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        log.debug("database ready at %s", self.path)

    def plan(self, coach: str, day: str) -> StoredPlan | None:
        with self._reading() as conn:
            row = conn.execute(
                "SELECT id, plan_text, author, created_at, edited_at, channel"
                " FROM plans WHERE coach = ? AND date = ?",
                (coach, day),
            ).fetchone()
            if row is None:
                return None
            return self._stored(conn, row)

    def plans_on(self, day: str) -> dict[str, StoredPlan]:
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT id, plan_text, author, created_at, edited_at, channel, coach"
                " FROM plans WHERE date = ? ORDER BY coach",
                (day,),
            ).fetchall()
            return {row[6]: self._stored(conn, row) for row in rows}

    def history(self, coach: str, day: str) -> list[StoredEdit]:
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT e.id, e.plan_id, e.plan_text, e.edited_by, e.edited_at"
                " FROM plan_edits AS e JOIN plans AS p ON p.id = e.plan_id"
                " WHERE p.coach = ? AND p.date = ?"
                " ORDER BY e.edited_at DESC, e.id DESC",
                (coach, day),
            ).fetchall()
        return [StoredEdit(*row) for row in rows]

    def plan_count(self) -> int:
        with self._reading() as conn:
            (count,) = conn.execute("SELECT COUNT(*) FROM plans").fetchone()
        return int(count)

    def stats(self) -> StoreStats:
        with self._reading() as conn:
            plans, latest = conn.execute("SELECT COUNT(*), MAX(created_at) FROM plans").fetchone()
            (charts,) = conn.execute("SELECT COUNT(*) FROM charts").fetchone()
            (edits,) = conn.execute("SELECT COUNT(*) FROM plan_edits").fetchone()
        return StoreStats(int(plans), int(charts), int(edits), latest)

    def replace_plans(self, plans: Sequence[NewPlan]) -> int:
        """Write all plans in one transaction, replacing any plan for the same coach and day.

        One transaction is what makes a rejected load file leave the database untouched.
        """
        with closing(self._connect(create=False)) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for plan in plans:
                    self._insert(conn, plan)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        log.info("wrote %d plans to %s", len(plans), self.path)
        return len(plans)

    @staticmethod
    def _insert(conn: sqlite3.Connection, plan: NewPlan) -> None:
        conn.execute("DELETE FROM plans WHERE coach = ? AND date = ?", (plan.coach, plan.date))
        cursor = conn.execute(
            "INSERT INTO plans (coach, date, plan_text, author, channel, created_at, edited_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                plan.coach,
                plan.date,
                plan.plan,
                plan.author,
                plan.channel,
                plan.created_at,
                plan.edited_at,
            ),
        )
        plan_id = cursor.lastrowid
        conn.executemany(
            "INSERT INTO charts (plan_id, position, url) VALUES (?, ?, ?)",
            [(plan_id, position, url) for position, url in enumerate(plan.charts)],
        )
        conn.executemany(
            "INSERT INTO plan_edits (plan_id, plan_text, edited_by, edited_at) VALUES (?, ?, ?, ?)",
            [(plan_id, e.plan_text, e.edited_by, e.edited_at) for e in plan.edits],
        )

    @staticmethod
    def _stored(conn: sqlite3.Connection, row: tuple[object, ...]) -> StoredPlan:
        plan_id, text, author, created_at, edited_at, channel = row[:6]
        charts = conn.execute(
            "SELECT url FROM charts WHERE plan_id = ? ORDER BY position", (plan_id,)
        ).fetchall()
        return StoredPlan(
            plan=str(text),
            charts=tuple(str(url) for (url,) in charts),
            author=str(author),
            created_at=str(created_at),
            edited_at=None if edited_at is None else str(edited_at),
            channel=None if channel is None else str(channel),
        )

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """One read transaction, so a plan and its charts come from the same snapshot."""
        with closing(self._connect(create=False)) as conn:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                # Read-only, so rolling back just ends the snapshot; an error here must
                # not hide the one that brought us here.
                with suppress(sqlite3.Error):
                    conn.rollback()

    def _connect(self, *, create: bool) -> sqlite3.Connection:
        uri = f"{self.path.as_uri()}?mode={'rwc' if create else 'rw'}"
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so a writer takes the
        # lock up front and waits out the busy timeout instead of failing on upgrade.
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        try:
            conn.execute("PRAGMA foreign_keys=ON")
        except BaseException:
            conn.close()
            raise
        return conn
