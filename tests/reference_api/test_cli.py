"""`python -m bot.reference_api`: exit codes of `load`, and a server that stops cleanly.

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

from bot.reference_api import load_plans, market_today, trading_days
from bot.reference_api.__main__ import main as cli_main
from bot.reference_api.runner import is_loopback

from .conftest import plan_row

REPO_ROOT = Path(__file__).resolve().parents[2]
PROCESS_TIMEOUT_SECONDS = 30.0
MACHINE_ZONE = "Pacific/Kiritimati"  # UTC+14, as the process's TZ: the server must ignore it


def _cli(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.reference_api", *map(str, args)],
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


def test_load_of_one_plan_says_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """ "loaded 1 plan", not "1 plans" (in this process: only the wording is new here)."""
    source = _write(tmp_path / "p.json", [plan_row("d")])
    assert cli_main(["load", str(source), "--db", str(tmp_path / "plans.db")]) == 0
    assert capsys.readouterr().out.startswith(f"loaded 1 plan from {source} into ")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--port", "x"], "argument --port: invalid int value: 'x'"),
        (["--header-timeout", "0"], "argument --header-timeout: must be a positive number"),
        (["--timezone", "Mars/Base"], "argument --timezone: unknown time zone 'Mars/Base'"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["load"], "the following arguments are required: file"),
    ],
)
def test_every_bad_argument_is_one_line_and_exit_2(
    args: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """One way to refuse an argument, whichever check refuses it: a line, no usage block."""
    with pytest.raises(SystemExit) as stopped:
        cli_main(args)
    assert stopped.value.code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("python -m bot.reference_api") and says in line


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
        f"python -m bot.reference_api{' load' if command else ''}: error: argument --timezone: "
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
    command = [sys.executable, "-m", "bot.reference_api", "--port", "0", *args]
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
    command = [sys.executable, "-m", "bot.reference_api", "--db", str(db), "--port", "0", "--demo"]
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


def _row_with(raw_plan: str) -> bytes:
    """A row in the load format whose `plan` value is the raw JSON text given."""
    return (
        '[{"coach": "d", "date": "2024-11-08", "author": "a", "plan": ' + raw_plan + "}]"
    ).encode()


BAD_FILES: dict[str, bytes] = {
    "deep-nesting": b"[" * 100_000 + b"]" * 100_000,
    "deep-in-a-row": _row_with("[" * 100_000 + "]" * 100_000),
    "huge-integer": b"[" + b"1" * 5000 + b"]",
    "huge-integer-in-a-row": _row_with("9" * 5000),
    "lone-surrogate": json.dumps([plan_row(plan="NVDA \ud800")]).encode(),
    "lone-surrogate-in-a-key": b'[{"\\udc00": 1}]',
    "not-utf8": b'[{"plan": "caf\xe9"}]',
    "utf-16": "[]".encode("utf-16"),
    "binary": bytes(range(256)) * 64,
    "nul-bytes": b"\0" * 1024,
    "empty": b"",
    "nan": b"[NaN, Infinity]",
    "too-large": b" " * (16 * 2**20 + 1),
}


def _assert_one_sentence(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert result.returncode == code, result.stderr[:2000]
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr[:2000]
    assert lines[0].startswith("error: ")
    assert len(lines[0]) < 400
    return lines[0]


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_load_of_any_bad_file_is_one_sentence_and_exit_2(tmp_path: Path, name: str) -> None:
    """Deep nesting, huge numbers, unstorable or undecodable text, garbage: one line, exit 2."""
    source = tmp_path / "plans.json"
    source.write_bytes(BAD_FILES[name])
    db = tmp_path / "plans.db"
    _assert_one_sentence(_cli("load", source, "--db", db))
    assert not db.exists()


@pytest.mark.parametrize("kind", ["directory", "missing", "newline-in-name"])
def test_load_of_something_that_is_no_file_is_one_sentence(tmp_path: Path, kind: str) -> None:
    """A directory, a missing file, or a name with a line break still gives one line."""
    source = {
        "directory": tmp_path,
        "missing": tmp_path / "nope.json",
        "newline-in-name": _write(tmp_path / "a\nb.json", [plan_row("q")]),
    }[kind]
    db = tmp_path / "plans.db"
    _assert_one_sentence(_cli("load", source, "--db", db))
    assert not db.exists()


_FULL_DISK = """
import sys
from bot.reference_api.__main__ import main
from bot.reference_api.db import PlanStore

connect = PlanStore._connect

def no_room(self, mode):
    conn = connect(self, mode)
    conn.execute("PRAGMA max_page_count = 1")  # never below its size: no page more
    return conn

PlanStore._connect = no_room
sys.exit(main(sys.argv[1:]))
"""


def test_load_onto_a_full_disk_says_so_in_one_sentence(tmp_path: Path) -> None:
    """ "database or disk is full", exit 1 (the database failed), not the rollback after it."""
    db = tmp_path / "plans.db"
    load_plans(db, [plan_row("d")])
    rows = [plan_row(coach, plan="Levels. " * 2000) for coach in "isn"]
    source = _write(tmp_path / "p.json", rows)
    result = subprocess.run(
        [sys.executable, "-c", _FULL_DISK, "load", str(source), "--db", str(db)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_SECONDS,
        check=False,
    )
    line = _assert_one_sentence(result, code=1)
    assert line == f"error: database {db}: database or disk is full; nothing was written"
    assert _plan_count(db) == 1


def _dump(db: Path) -> list[list[tuple[Any, ...]]]:
    with sqlite3.connect(db) as conn:
        tables = [
            conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
            for table in ("plans", "plan_edits")
        ]
    conn.close()
    return tables


def _real_plans(db: Path) -> list[list[tuple[Any, ...]]]:
    """20 real plans with history in `db`, across the days a demo run today would fill."""
    days = [f"{day:%Y-%m-%d}" for day in trading_days(market_today())]
    rows = [
        plan_row(coach, day, edits=[{"plan_text": "v1", "edited_by": "c", "edited_at": day}])
        for coach in "disn"
        for day in days
    ]
    load_plans(db, [{**row, "created_at": row["date"]} for row in rows])
    return _dump(db)


def test_demo_on_a_database_of_real_plans_is_refused(tmp_path: Path) -> None:
    """`--demo --db real.db` writes nothing, says why in one line and exits 2."""
    db = tmp_path / "real.db"
    before = _real_plans(db)
    line = _assert_one_sentence(_cli("--demo", "--port", "0", "--db", db))
    assert "holds 20 plans the demo did not write" in line
    assert _dump(db) == before


def test_demo_without_db_uses_a_database_of_its_own(tmp_path: Path) -> None:
    """`--demo` alone fills coach_plans_demo.db and leaves coach_plans.db as it was."""
    before = _real_plans(tmp_path / "coach_plans.db")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    command = [sys.executable, "-m", "bot.reference_api", "--demo", "--port", "0"]
    with subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        try:
            line = _first_line(process)
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=PROCESS_TIMEOUT_SECONDS)
        finally:
            if process.poll() is None:
                process.kill()
    assert f"(database {tmp_path / 'coach_plans_demo.db'})" in line
    assert _plan_count(tmp_path / "coach_plans_demo.db") == 19
    assert _dump(tmp_path / "coach_plans.db") == before


@pytest.mark.parametrize(
    "option",
    [["--header-timeout", "0"], ["--body-timeout", "nan"], ["--max-connections", "0"]],
)
def test_slow_client_options_must_be_positive(tmp_path: Path, option: list[str]) -> None:
    """A zero or meaningless bound is refused like any bad flag, before anything starts."""
    result = _cli(*option, "--db", tmp_path / "plans.db")
    assert result.returncode == 2
    assert "must be a positive number" in result.stderr
    assert not (tmp_path / "plans.db").exists()
