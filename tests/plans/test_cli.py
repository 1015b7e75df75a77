"""`python -m bot.plans`: readable or JSON output, and exit codes scripts can trust."""

from __future__ import annotations

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
