"""Child processes of the benchmarks: the same interpreter, importing this checkout."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Final

REPO_ROOT: Final = Path(__file__).resolve().parent.parent


def python_command(*args: str) -> list[str]:
    return [sys.executable, *args]


def repo_env(**extra: str) -> dict[str, str]:
    """The environment with this checkout first on the path, whatever the caller's cwd."""
    env = dict(os.environ)
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(REPO_ROOT) + (os.pathsep + path if path else "")
    env.update(extra)
    return env
