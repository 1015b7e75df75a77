"""How the store talks to SQLite: one connection per call, explicit transactions.

Kept apart from the store's queries because each rule here exists for a failure that
is easy to get wrong: a writer that must take its lock up front, a rollback after
SQLite already rolled back (a full disk), and telling "cannot write" from "broken".
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Final

BUSY_TIMEOUT_SECONDS: Final = 10.0
# URI modes, in the order a database we cannot write is tried. Reading a WAL database
# needs its -shm file; in a directory nobody may write it cannot be created, and only
# immutable=1 reads the file then, on the promise that nobody changes it meanwhile.
READ_ONLY_MODES: Final = ("ro", "ro&immutable=1")
# SQLite's answers when the file, its directory or its filesystem cannot be written.
_UNWRITABLE: Final = ("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")


def connect(path: Path, mode: str) -> sqlite3.Connection:
    """A connection to `path` opened with URI `mode` (`rwc`, `rw`, `ro`, ...)."""
    # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so a writer takes the
    # lock up front and waits out the busy timeout instead of failing on upgrade.
    conn = sqlite3.connect(
        f"{path.as_uri()}?mode={mode}",
        uri=True,
        timeout=BUSY_TIMEOUT_SECONDS,
        isolation_level=None,
    )
    try:
        conn.execute("PRAGMA foreign_keys=ON")
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any error unless SQLite already did.

    After "database or disk is full" SQLite has rolled back by itself; a ROLLBACK then
    fails with "cannot rollback - no transaction is active", and that error would
    hide the one that tells the user what happened.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            with suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise


@contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One read transaction, so a plan and its charts come from the same snapshot."""
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        # Read-only, so rolling back just ends the snapshot; an error here must not
        # hide the one that brought us here.
        with suppress(sqlite3.Error):
            conn.rollback()


def cannot_write(exc: sqlite3.Error) -> bool:
    """Whether SQLite refused to write (as opposed to a busy, full or corrupt database)."""
    name = getattr(exc, "sqlite_errorname", "")
    return isinstance(name, str) and name.startswith(_UNWRITABLE)
