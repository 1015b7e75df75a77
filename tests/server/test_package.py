"""The reference server is a package of its own: it imports nothing from the client.

It is due to move out of `bot.plans`; an import of the client (such as the coach list
from `envconfig`) would tie the two together again.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVER = Path(__file__).resolve().parents[2] / "bot" / "plans" / "server"


def _imports(source: Path) -> list[str]:
    """Modules `source` imports, relative ones written with their leading dots."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append("." * node.level + (node.module or ""))
    return found


@pytest.mark.parametrize("source", sorted(SERVER.glob("*.py")), ids=lambda path: path.name)
def test_server_modules_import_nothing_from_the_client(source: Path) -> None:
    """Only the standard library, aiohttp, holidays and the server's own modules."""
    ours = [name for name in _imports(source) if name.startswith(("..", "bot", "cogs"))]
    assert ours == []
