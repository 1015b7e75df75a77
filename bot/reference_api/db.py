"""SQLite store behind the reference Coach Plan API.

Every method is blocking and opens its own connection: the app calls them through
`asyncio.to_thread`, so a connection never crosses threads, and a file deleted or
corrupted under a running server is noticed on the next call instead of being hidden
by a connection that still holds the old inode. After `initialize` the file is opened
with `mode=rw`, so a vanished database is an error rather than a new empty one.

The API only reads, so a database the server cannot write (a read-only file,
directory or filesystem) is still served: `initialize` falls back to `mode=ro`, or to
`immutable=1` when SQLite cannot even set up its shared-memory file beside it. The
demo marks the plans it writes (`demo_plans`), so it can refuse a database that
holds plans it did not write rather than replace them.

It stays one module past ~300 lines: the schema, the records it stores and the
queries over it change together (connections and modes are `_sqlite.py`'s).
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import final

from ._sqlite import READ_ONLY_MODES, cannot_write, connect, snapshot, transaction

log = logging.getLogger(__name__)

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
CREATE TABLE IF NOT EXISTS demo_plans (
    plan_id INTEGER PRIMARY KEY REFERENCES plans (id) ON DELETE CASCADE
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


class ForeignPlansError(ValueError):
    """The demo was asked to write into a database holding plans it did not write.

    Attributes:
        path: the database file.
        count: how many plans in it the demo did not write.
    """

    def __init__(self, path: Path, count: int) -> None:
        self.path = path
        self.count = count
        super().__init__(
            f"refusing to write demo plans into {path}: it holds {count} "
            f"plan{'s' if count != 1 else ''} the demo did not write"
        )


@final
class PlanStore:
    """Plans keyed by (coach, date); a second process on the same file is safe (WAL).

    `read_only` never writes: the schema must already be there, and writes fail.
    """

    def __init__(self, path: str | os.PathLike[str], *, read_only: bool = False) -> None:
        # Resolved once so a later chdir cannot point the server at another file.
        self.path = Path(path).resolve()
        self.read_only = read_only
        self._mode = "ro" if read_only else "rw"

    def initialize(self) -> None:
        """Create the file and schema; the only call allowed to create the file.

        An existing database this process cannot write is opened read-only instead,
        with a warning, as long as it can be read.
        """
        if self.read_only:
            self._open_read_only(None)
            return
        try:
            with closing(self._connect("rwc")) as conn:
                conn.execute("PRAGMA journal_mode=WAL")
                with transaction(conn):
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            conn.execute(statement)
        except sqlite3.Error as exc:
            if not self.path.is_file() or not cannot_write(exc):
                raise
            self._open_read_only(exc)
            self.read_only = True
            log.warning("cannot write %s (%s): serving it read-only", self.path, exc)
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

    def foreign_plan_count(self) -> int:
        """How many plans the demo did not write; 0 when there is no database yet."""
        if not self.path.exists():
            return 0
        with self._reading() as conn:
            return _foreign_plans(conn)

    def replace_plans(self, plans: Sequence[NewPlan], *, demo: bool = False) -> int:
        """Write all plans in one transaction, replacing any plan for the same coach and day.

        One transaction is what makes a rejected load file leave the database untouched.
        With `demo`, the plans are marked as the demo's, and `ForeignPlansError` is
        raised, with nothing written, if the database holds any plan not so marked.
        """
        with closing(self._connect(self._mode)) as conn, transaction(conn):
            foreign = _foreign_plans(conn) if demo else 0
            if foreign:
                raise ForeignPlansError(self.path, foreign)
            for plan in plans:
                plan_id = self._insert(conn, plan)
                if demo:
                    conn.execute("INSERT INTO demo_plans (plan_id) VALUES (?)", (plan_id,))
        log.info("wrote %d plans to %s", len(plans), self.path)
        return len(plans)

    @staticmethod
    def _insert(conn: sqlite3.Connection, plan: NewPlan) -> int:
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
        assert plan_id is not None  # an INSERT into a rowid table always sets it
        return plan_id

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
        with closing(self._connect(self._mode)) as conn, snapshot(conn):
            yield conn

    def _open_read_only(self, cause: sqlite3.Error | None) -> None:
        """Settle on the first of `READ_ONLY_MODES` that reads the plans; else raise."""
        for mode in READ_ONLY_MODES:
            try:
                with closing(self._connect(mode)) as conn:
                    conn.execute("SELECT COUNT(*) FROM plans").fetchone()
            except sqlite3.Error as exc:
                cause = cause or exc
                continue
            self._mode = mode
            return
        assert cause is not None
        raise cause

    def _connect(self, mode: str) -> sqlite3.Connection:
        return connect(self.path, mode)


def _foreign_plans(conn: sqlite3.Connection) -> int:
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    if "plans" not in tables:
        return 0
    if "demo_plans" not in tables:  # a database from before the demo marked its plans
        return int(conn.execute("SELECT COUNT(*) FROM plans").fetchone()[0])
    query = "SELECT COUNT(*) FROM plans WHERE id NOT IN (SELECT plan_id FROM demo_plans)"
    return int(conn.execute(query).fetchone()[0])
