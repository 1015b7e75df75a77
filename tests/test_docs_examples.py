"""docs/agents.md stays true: every ```python block runs against the reference server.

The server is the documented command (`python -m bot.reference_api --demo`) in a
subprocess on a free loopback port; its first stdout line names the URL, which
the examples read from PLANS_API_URL as an agent's environment would give it.
Waiting is bounded polling for that line, never a sleep.
"""

from __future__ import annotations

import re
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.plans import envconfig, tools

REPO_ROOT = Path(__file__).resolve().parents[1]
DOC = REPO_ROOT / "docs" / "agents.md"
STARTUP_TIMEOUT_SECONDS = 30.0
#: Every plan-client variable but the URL (the test sets it): the examples run on defaults.
ENV_VARS = tuple(v.name for v in envconfig.CLIENT_VARIABLES if v is not envconfig.API_URL)


def python_blocks() -> list[tuple[int, str]]:
    """(line number, code) of each ```python block, so a failure points into the doc."""
    text = DOC.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, match.start()) + 2, match.group(1))
        for match in re.finditer(r"^```python\n(.*?)^```$", text, re.S | re.M)
    ]


BLOCKS = python_blocks()


@pytest.fixture(scope="module")
def reference_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The reference server with demo data, started as the doc says, on a free port."""
    workdir = tmp_path_factory.mktemp("agents-doc")
    with (workdir / "server.log").open("w") as log_file:
        command = [sys.executable, "-m", "bot.reference_api", "--demo", "--port", "0"]
        proc = subprocess.Popen(
            [*command, "--db", str(workdir / "plans.db")],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=log_file,
            text=True,
        )
        try:
            assert proc.stdout is not None
            ready, _, _ = select.select([proc.stdout], [], [], STARTUP_TIMEOUT_SECONDS)
            line = proc.stdout.readline() if ready else ""
            match = re.search(r"http://127\.0\.0\.1:\d+", line)
            assert match, f"server did not start: {line!r}"
            yield match.group(0)
        finally:
            proc.terminate()
            proc.wait(STARTUP_TIMEOUT_SECONDS)
            if proc.stdout is not None:
                proc.stdout.close()


@pytest.fixture
def agent_env(reference_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """PLANS_API_URL set, nothing else, and no shared tools client before or after."""
    monkeypatch.setenv("PLANS_API_URL", reference_url)
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    tools.reset()
    yield reference_url
    tools.reset()


def test_the_doc_has_every_kind_of_example() -> None:
    """Async, blocking, edit history, plain tools, configure and LangChain: six examples."""
    assert len(BLOCKS) == 6
    code = "\n".join(block for _, block in BLOCKS)
    for used in (
        "CoachPlanClient(",
        "SyncCoachPlanClient(",
        "fetch_plan_history(",
        "coach_plan_text(",
        "configure(",
    ):
        assert used in code
    assert "get_langchain_tools()" in code


@pytest.mark.parametrize(("line", "code"), BLOCKS, ids=[f"line{line}" for line, _ in BLOCKS])
def test_example_runs(
    line: int, code: str, agent_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each example runs as printed and shows data from the server, not a failure."""
    exec(compile(code, f"{DOC}:{line}", "exec"), {"__name__": "__agents_doc__"})
    out = capsys.readouterr().out
    assert out.strip()
    assert "Could not get" not in out
    assert "failed" not in out
    assert "misconfigured" not in out
