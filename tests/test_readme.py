"""The README stays true: its Python examples run against a real (loopback) API."""

from __future__ import annotations

import ast
import asyncio
import re
import tomllib
from pathlib import Path

import pytest

from tests.contract_server import ContractServer

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```$", README.read_text(encoding="utf-8"), re.S | re.M)


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(
    code: str, threaded_plan_server: ContractServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each example runs as written, the API address aside, and prints real answers."""
    threaded_plan_server.add_plan("d", "2024-11-09", "README plan")
    code = code.replace("http://localhost:5000", threaded_plan_server.url)
    compiled = compile(code, str(README), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    result = eval(compiled, {"__name__": "readme"})
    if asyncio.iscoroutine(result):
        asyncio.run(result)
    out = capsys.readouterr().out
    assert "README plan" in out or "'d': False" in out


def test_readme_has_examples() -> None:
    """The agent section keeps its async and blocking examples."""
    assert len(BLOCKS) >= 2


def test_readme_says_how_to_send_a_command_from_the_page() -> None:
    """The page's composer is not a console: the README walks through it, and warns that a
    whole `/plan d` line is a plain message. (`tests/offline/test_browser.py` follows the
    same steps in Chromium.)"""
    text = " ".join(README.read_text(encoding="utf-8").split())
    for step in (
        "Type `/` in the message box",
        "press Escape to close them (Enter does not pick one)",
        "`+1 more`",
        "Enter in a box, or the arrow on the right, sends it",
        "goes out as a plain message, which the bot ignores",
    ):
        assert step in text, step


def test_the_agents_install_line_works_from_a_clone() -> None:
    """The package is not on PyPI: docs/agents.md installs the clone, with an extra that
    pyproject.toml defines (checked by hand in a fresh venv; too slow for the suite)."""
    agents = (README.parent / "docs" / "agents.md").read_text(encoding="utf-8")
    extras = tomllib.loads((README.parent / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"
    ]["optional-dependencies"]
    installs = re.findall(r"^pip install (.*?)\s+#", agents, re.M)
    assert installs == ['-e ".[agents]"'] and "agents" in extras
    assert "pip install 'coach-plans-bot" not in agents
