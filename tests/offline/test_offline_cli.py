"""`python -m bot --offline`: the real bot in SimCord, driven as a newcomer would drive it.

These run the real command in a subprocess: the reference API with demo data,
the bot built by `create_bot`, SimCord's world, and the console or `--run`.
"""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from tests.offline.session import ROOT, offline_env, page_url, read_until, start_session


def offline(
    *args: str, stdin: str | None = None, timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "--offline", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=offline_env(),
    )


def demo_plan_texts() -> list[str]:
    from bot.plans.server.demo import demo_rows

    return [row["plan"] for row in demo_rows() if row["coach"] == "d"]


def test_run_prints_demo_plans_and_exits_0() -> None:
    """--run "/plan d" --run "/plans" --run "/cachestats" prints a demo plan and exits 0."""
    proc = offline("--run", "/plan d", "--run", "/plans", "--run", "/cachestats")
    assert proc.returncode == 0, proc.stderr
    assert any(text[:40] in proc.stdout.replace("\n", " ") for text in demo_plan_texts())
    assert "== Plan cache ==" in proc.stdout and "(only you can see this)" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_run_exits_1_when_a_command_fails() -> None:
    """A command that cannot run (unknown command) makes --run exit 1."""
    proc = offline("--run", "/plan d", "--run", "/nonsense")
    assert proc.returncode == 1
    assert "unknown command /nonsense" in proc.stdout


def test_console_session_through_stdin() -> None:
    """A console session typed on stdin: plans, a refused /clearcache, then a moderator's."""
    script = (
        "/plan d\n/clearcache\n/as moderator\n/clearcache\n/plan coach:d date:yesterday\n/quit\n"
    )
    proc = offline("--no-web", stdin=script)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert any(text[:40] in out.replace("\n", " ") for text in demo_plan_texts())
    assert "only moderators can clear" in out
    assert "Now acting as the moderator." in out
    assert "Dropped" in out and "[moderator] /clearcache" in out
    assert "Traceback" not in proc.stderr


def test_ctrl_c_stops_cleanly() -> None:
    """SIGINT to a running session: exit 0, no traceback, no process left behind."""
    proc = start_session()
    assert proc.stdout is not None
    url = page_url(read_until(proc.stdout, "member> "))
    assert url, "the page address was not printed"
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the offline session did not stop on SIGINT")
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    port = int(url.split(":")[2].split("/")[0])
    import socket

    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "the page port is still open"


def test_a_taken_page_port_is_a_clear_error() -> None:
    """--port on a busy port: exit 2 and one sentence, not a traceback."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        proc = offline("--no-browser", "--port", str(port), stdin="/quit\n")
    assert proc.returncode == 2
    assert f"could not bind port {port}" in proc.stderr and "Traceback" not in proc.stderr


def test_a_bad_api_url_is_a_clear_error() -> None:
    """--api that is not an http(s) URL: exit 2 with what is expected, before anything starts."""
    proc = offline("--api", "notaurl", "--run", "/plan d")
    assert proc.returncode == 2
    assert "http:// or https://" in proc.stderr and "Traceback" not in proc.stderr
