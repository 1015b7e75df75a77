"""`python -m bot.plans`: readable or JSON output, and exit codes scripts can trust."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from bot.plans.cli import main
from tests.contract_server import ContractServer


def test_plan_prints_text_and_exits_0(
    threaded_plan_server: ContractServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A found plan prints its text; exit 0."""
    threaded_plan_server.add_plan("d", "2024-11-09", "TSLA breakout over 250")
    assert main(["--api", threaded_plan_server.url, "plan", "d", "2024-11-09"]) == 0
    assert "TSLA breakout over 250" in capsys.readouterr().out


def test_plans_json_is_keyed_by_coach(
    threaded_plan_server: ContractServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json gives machines one object per configured coach."""
    threaded_plan_server.add_plan("s", "2024-11-09", "Swing")
    assert main(["--api", threaded_plan_server.url, "--json", "plans", "2024-11-09"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"d", "i", "s", "n"} and data["s"]["plan"] == "Swing"
    assert data["d"]["found"] is False


def test_health_and_metrics(
    threaded_plan_server: ContractServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """health and metrics print the server's answers."""
    assert main(["--api", threaded_plan_server.url, "health"]) == 0
    assert main(["--api", threaded_plan_server.url, "--json", "metrics"]) == 0
    assert "healthy" in capsys.readouterr().out


def test_upstream_failure_exits_1(unused_port: int, capsys: pytest.CaptureFixture[str]) -> None:
    """An unreachable API is exit 1 with a readable line, no URL, no traceback."""
    assert main(["--api", f"http://127.0.0.1:{unused_port}", "--deadline", "2", "plan", "d"]) == 1
    out = capsys.readouterr()
    assert "unavailable" in out.out and "Traceback" not in out.err


def test_bad_input_exits_2() -> None:
    """An unknown coach or a bad date is exit 2, with what is accepted on stderr."""
    for args in (["plan", "zz"], ["plan", "d", "2024-13-45"]):
        proc = subprocess.run(
            [sys.executable, "-m", "bot.plans", "--api", "http://127.0.0.1:9", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2, proc.stderr
        assert "Valid coaches" in proc.stderr or "YYYY-MM-DD" in proc.stderr


def test_day_words_and_coach_names_on_a_sunday(
    threaded_plan_server: ContractServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """`Swing today` and `coach_s previous` work as in the bot; Sunday says markets are closed."""
    sunday = dt.datetime(2026, 11, 29, 20, 0, tzinfo=dt.UTC)  # 15:00 in New York
    threaded_plan_server.add_plan("s", "2026-11-27", "Half-day swing plan")
    threaded_plan_server.add_plan("s", "2026-11-25", "Wednesday swing plan")
    url = threaded_plan_server.url

    assert main(["--api", url, "plan", "Swing", "today"], now=lambda: sunday) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "Markets are closed today (Sunday); latest session: Friday 2026-11-27 (half day)."
    )
    assert "Half-day swing plan" in out and "Posted: 2026-11-27 08:31 EST" in out
    assert main(["--api", url, "plan", "coach_s", "yesterday"], now=lambda: sunday) == 0
    assert "Wednesday swing plan" in capsys.readouterr().out
    assert main(["--api", url, "plans", "2026-11-26"], now=lambda: sunday) == 0
    assert "Markets were closed on Thursday 2026-11-26 (Thanksgiving Day)." in (
        capsys.readouterr().out
    )
    assert threaded_plan_server.dates_asked() == ["2026-11-27", "2026-11-25", "2026-11-26"]


def test_out_of_range_day_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """A day before 2000 is refused in one sentence before any request."""
    assert main(["--api", "http://127.0.0.1:9", "plan", "d", "1999-01-04"]) == 2
    assert capsys.readouterr().err == (
        "error: 1999-01-04 is too early: plans start on 2000-01-01.\n"
    )
