"""The reference server is a package of its own: it imports nothing from the client.

It lives beside `bot.plans`, not in it; an import of the client (such as the coach list
from `envconfig`) would tie the two together again.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SERVER = Path(__file__).resolve().parents[2] / "bot" / "reference_api"


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


def test_importing_the_server_loads_nothing_of_the_client() -> None:
    """Fresh interpreter, `__main__` included: no `bot.plans`, `cogs` or discord.py."""
    code = (
        "import sys, bot.reference_api, bot.reference_api.__main__; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('bot', 'cogs', 'discord')"
        " and m != 'bot' and not m.startswith('bot.reference_api')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
