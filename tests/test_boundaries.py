"""Dependencies point one way: the client library never drags Discord in."""

from __future__ import annotations

import subprocess
import sys


def test_import_bot_plans_does_not_import_discord() -> None:
    """Agents import the client without discord.py being loaded (fresh interpreter)."""
    code = (
        "import sys, bot.plans; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('discord', 'cogs', 'simcord')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
