"""The README stays true: its Python examples run against a real (loopback) API."""

from __future__ import annotations

import ast
import asyncio
import re
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
