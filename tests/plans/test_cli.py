"""`python -m bot.plans`: readable or JSON output, and exit codes scripts can trust."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys

import pytest

from bot.plans.cli import main, metrics_table
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
    """--json gives machines one object per coach that posted, keyed by plain id."""
    threaded_plan_server.add_plan("s", "2024-11-09", "Swing")
    assert main(["--api", threaded_plan_server.url, "--json", "plans", "2024-11-09"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"s"} and data["s"]["plan"] == "Swing" and data["s"]["found"] is True


def test_health_and_metrics(
    threaded_plan_server: ContractServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """health and metrics print the server's answers."""
    assert main(["--api", threaded_plan_server.url, "health"]) == 0
    assert main(["--api", threaded_plan_server.url, "--json", "metrics"]) == 0
    assert "healthy" in capsys.readouterr().out


def test_a_day_nobody_posted_is_not_a_failure(
    threaded_plan_server: ContractServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """`plans` answers `{}` when no coach posted: exit 0, since the API answered."""
    assert main(["plans", "2024-11-09", "--json", "--api", threaded_plan_server.url]) == 0
    assert json.loads(capsys.readouterr().out) == {}


def test_options_go_before_or_after_the_command(
    threaded_plan_server: ContractServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """`plan d DAY --json --api URL` reads as `--json --api URL plan d DAY`."""
    threaded_plan_server.add_plan("d", "2024-11-09", "TSLA breakout over 250")
    url = threaded_plan_server.url
    outputs = []
    for argv in (
        ["plan", "d", "2024-11-09", "--json", "--api", url],
        ["--json", "--api", url, "plan", "d", "2024-11-09"],
        ["plan", "--json", "d", "--api", url, "2024-11-09", "--timeout", "5"],
    ):
        assert main(argv) == 0, argv
        outputs.append(json.loads(capsys.readouterr().out))
    for out in outputs:
        assert (out["coach"], out["date"], out["plan"]) == (
            "d",
            "2024-11-09",
            "TSLA breakout over 250",
        )


def test_health_names_the_url_it_tried(
    threaded_plan_server: ContractServer, unused_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """A healthy answer and an unreachable API each say which URL was asked."""
    url = threaded_plan_server.url
    assert main(["health", "--api", url]) == 0
    assert re.fullmatch(
        rf"healthy: {url}/health answered HTTP 200 in [\d.]+ ms\n", (capsys.readouterr().out)
    )
    dead = f"http://127.0.0.1:{unused_port}"
    assert main(["health", "--api", f"http://agent:hunter2@127.0.0.1:{unused_port}"]) == 1
    assert capsys.readouterr().out == (
        f"unreachable: http://agent:***@127.0.0.1:{unused_port}/health (unavailable)\n"
    )
    assert main(["health", "--json", "--api", dead]) == 1
    assert json.loads(capsys.readouterr().out)["url"] == f"{dead}/health"


def test_metrics_without_json_is_a_table(
    threaded_plan_server: ContractServer, unused_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """Readable rows, a section per nested object; a failure names the URL, exit 1."""
    assert main(["metrics", "--api", threaded_plan_server.url]) == 0
    out = capsys.readouterr().out
    assert not out.lstrip().startswith("{")
    lines = out.splitlines()
    assert "requests" in lines and any(re.fullmatch(r"  total +\d+", line) for line in lines)
    dead = f"http://127.0.0.1:{unused_port}"
    assert main(["metrics", "--api", dead, "--deadline", "2"]) == 1
    assert capsys.readouterr().out == f"no metrics from the API at {dead}: unavailable\n"


def test_metrics_table_aligns_values_and_words_them() -> None:
    table = metrics_table(
        {"uptime_seconds": 2.5, "ok": True, "last": None, "db": {"total_plans": 19, "x": [1, 2]}}
    )
    assert table.splitlines() == [
        "uptime seconds  2.5",
        "ok              yes",
        "last            -",
        "db",
        "  total plans  19",
        "  x            1, 2",
    ]


@pytest.mark.parametrize(
    ("argv", "option", "expected"),
    [
        (["--timeout", "0", "plan", "d"], "--timeout", "at most 300 (got '0')"),
        (["plan", "d", "--deadline", "nan"], "--deadline", "seconds above 0 (got 'nan')"),
        (["plans", "--api", "localhost:5000"], "--api", "an http:// or https:// base URL"),
        (["health", "--api", "http://u:pw@h/?q=1"], "--api", "(got 'http://u:***@h/?q=1')"),
    ],
)
def test_a_bad_option_is_named_as_typed(
    argv: list[str], option: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The message names the option (`--timeout`), not the client's keyword (`timeout`,
    `deadline_seconds`, `api_base_url`), and never a URL's password."""
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert f"error: argument {option}: expected" in err and expected in err
    assert "deadline_seconds" not in err and "api_base_url" not in err and "pw" not in err


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


def test_history_prints_each_edit_and_json_has_the_rows(
    threaded_plan_server: ContractServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """`history d 2024-11-09`: the edits as text, or the contract's rows with --json."""
    server = threaded_plan_server
    server.add_plan("d", "2024-11-08", "Long over 950.", edited_at="2024-11-08T09:05:00")
    server.add_edits("d", "2024-11-08", ("Long over 945.", "coach_d_handle", "2024-11-08T09:05:00"))

    assert main(["--api", server.url, "history", "d", "2024-11-08"]) == 0
    text = capsys.readouterr().out
    assert "Edit 1 by coach_d_handle, 2024-11-08 09:05 EST: Long over ~~945.~~ **950.**" in text
    assert main(["--api", server.url, "--json", "history", "s", "2024-11-08"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["history"] == [] and data["error"] is None and data["date"] == "2024-11-08"


def test_history_when_the_api_fails_exits_1(unused_port: int) -> None:
    """As `plan`: a fallback answer is exit 1."""
    args = ["--api", f"http://127.0.0.1:{unused_port}", "--deadline", "2", "history", "d"]
    assert main(args) == 1
