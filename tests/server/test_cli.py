"""`python -m bot.plans.server`: exit codes of `load`, and a server that stops cleanly.

These run real processes, the only place where waiting is bounded polling: the
server's first stdout line (its URL) and its exit after a signal.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.plans.server import load_plans
from bot.plans.server.runner import is_loopback

from .conftest import plan_row

REPO_ROOT = Path(__file__).resolve().parents[2]
PROCESS_TIMEOUT_SECONDS = 30.0
MACHINE_ZONE = "Pacific/Kiritimati"  # UTC+14, as the process's TZ: the server must ignore it


def _cli(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.plans.server", *map(str, args)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_SECONDS,
        check=False,
        env=env,
    )


def _machine_zone_env() -> dict[str, str]:
    return {**os.environ, "TZ": MACHINE_ZONE}


def _wall_now(timezone: str) -> datetime:
    return datetime.now(ZoneInfo(timezone)).replace(tzinfo=None)


def _write(path: Path, rows: Any) -> Path:
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


def _plan_count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        (count,) = conn.execute("SELECT COUNT(*) FROM plans").fetchone()
    conn.close()
    return int(count)


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=PROCESS_TIMEOUT_SECONDS) as response:
        return json.load(response)


def _first_line(process: subprocess.Popen[str]) -> str:
    """The server's first stdout line, waiting at most PROCESS_TIMEOUT_SECONDS."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], PROCESS_TIMEOUT_SECONDS)
    assert ready, "the server printed nothing in time"
    return process.stdout.readline()


def test_load_exits_0_and_writes(tmp_path: Path) -> None:
    """A valid file loads and says how many plans it wrote."""
    db = tmp_path / "plans.db"
    result = _cli("load", _write(tmp_path / "p.json", [plan_row("d"), plan_row("s")]), "--db", db)
    assert result.returncode == 0, result.stderr
    assert "loaded 2 plans" in result.stdout
    assert _plan_count(db) == 2


def test_load_with_a_bad_row_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    """A bad row is reported by position and reason; the database is untouched."""
    db = tmp_path / "plans.db"
    load_plans(db, [plan_row("n")])
    rows = [plan_row("d"), plan_row("i"), plan_row("q")]
    result = _cli("load", _write(tmp_path / "p.json", rows), "--db", db)
    assert result.returncode == 2
    assert "row 3: 'coach' must be one of d, i, s, n, got 'q'" in result.stderr
    assert "nothing was written" in result.stderr
    assert "Traceback" not in result.stderr
    assert _plan_count(db) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[{", "is not valid JSON"),
        ('{"coach": "d"}', "expected a JSON list"),
        (None, "cannot read"),
    ],
)
def test_load_rejects_unreadable_input_with_exit_2(
    tmp_path: Path, content: str | None, message: str
) -> None:
    """Invalid JSON, a non-list or a missing file is exit 2 with one plain sentence."""
    source = tmp_path / "p.json"
    if content is not None:
        source.write_text(content, encoding="utf-8")
    result = _cli("load", source, "--db", tmp_path / "plans.db")
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_load_honours_configured_coaches(tmp_path: Path) -> None:
    """`--coaches` widens what the loader accepts, as it does for the server."""
    source = _write(tmp_path / "p.json", [plan_row("x")])
    assert _cli("load", source, "--db", tmp_path / "a.db").returncode == 2
    assert _cli("load", source, "--db", tmp_path / "b.db", "--coaches", "x,y").returncode == 0


@pytest.mark.parametrize("command", [[], ["load", "plans.json"]], ids=["serve", "load"])
def test_unknown_timezone_is_one_line_and_exit_2(tmp_path: Path, command: list[str]) -> None:
    """`--timezone Nowhere/Else` is refused like a bad flag, in one line, before any work."""
    db = tmp_path / "plans.db"
    _write(tmp_path / "plans.json", [plan_row("d")])
    args = [*command[:1], *(str(tmp_path / name) for name in command[1:])]
    result = _cli(*args, "--timezone", "Nowhere/Else", "--db", db)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"python -m bot.plans.server{' load' if command else ''}: error: argument --timezone: "
        "unknown time zone 'Nowhere/Else'; expected an IANA name such as America/New_York"
    ]
    assert not db.exists()


def test_load_stamps_in_timezone_not_the_machine_zone(tmp_path: Path) -> None:
    """`load --timezone` stamps rows without `created_at` in that zone, whatever TZ is."""
    db = tmp_path / "plans.db"
    source = _write(
        tmp_path / "p.json", [{"coach": "d", "date": "2026-11-27", "plan": "p", "author": "a"}]
    )
    before = _wall_now("Asia/Tokyo")
    result = _cli("load", source, "--db", db, "--timezone", "Asia/Tokyo", env=_machine_zone_env())
    after = _wall_now("Asia/Tokyo")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db) as conn:
        (created_at,) = conn.execute("SELECT created_at FROM plans").fetchone()
    conn.close()
    assert before <= datetime.fromisoformat(created_at) <= after


@contextmanager
def _server_process(*args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """A server process on a free port; yields its URL and stops it with SIGTERM."""
    command = [sys.executable, "-m", "bot.plans.server", "--port", "0", *args]
    with subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        try:
            match = re.search(r"http://127\.0\.0\.1:\d+", _first_line(process))
            assert match, "the first line names the URL"
            yield match.group(0)
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=PROCESS_TIMEOUT_SECONDS)
        finally:
            if process.poll() is None:
                process.kill()


def test_served_timestamps_follow_timezone_not_the_machine_zone(tmp_path: Path) -> None:
    """`--timezone` reaches the server: /health is stamped in that zone, not the process's TZ."""
    db = str(tmp_path / "plans.db")
    with _server_process("--db", db, "--timezone", "Asia/Tokyo", env=_machine_zone_env()) as url:
        before = _wall_now("Asia/Tokyo")
        stamp = datetime.fromisoformat(_get_json(f"{url}/health")["timestamp"])
        after = _wall_now("Asia/Tokyo")
    assert before <= stamp <= after


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_server_process_serves_and_stops_cleanly(tmp_path: Path, signum: signal.Signals) -> None:
    """The server answers, sees a load by another process, and exits 0 on a signal."""
    db = tmp_path / "plans.db"
    command = [sys.executable, "-m", "bot.plans.server", "--db", str(db), "--port", "0", "--demo"]
    with subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            match = re.search(r"http://127\.0\.0\.1:\d+", _first_line(process))
            assert match, "the first line names the URL"
            url = match.group(0)
            assert _get_json(f"{url}/health")["status"] == "healthy"
            loaded = _cli(
                "load", _write(tmp_path / "p.json", [plan_row("d", "2001-01-02")]), "--db", db
            )
            assert loaded.returncode == 0, loaded.stderr
            assert _get_json(f"{url}/api/coach-plans/?coach=d&date=2001-01-02")["author"]
            process.send_signal(signum)
            _, stderr = process.communicate(timeout=PROCESS_TIMEOUT_SECONDS)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "stopping" in stderr


def test_busy_port_is_exit_1_without_traceback(tmp_path: Path) -> None:
    """A port already taken is one sentence and exit 1, not a traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _cli("--db", tmp_path / "plans.db", "--port", str(port))
    assert result.returncode == 1
    assert f"cannot serve on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("example", False),
    ],
)
def test_only_loopback_hosts_skip_the_warning(host: str, loopback: bool) -> None:
    """Binding anything but loopback is an explicit choice the CLI warns about."""
    assert is_loopback(host) is loopback
