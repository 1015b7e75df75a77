"""The benchmarks still run: `python -m bench --quick` end to end, numbers never checked.

Timing belongs in `bench/`, not in assertions: this only guards against the
benchmarks rotting as the client and the bot change under them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from bench.__main__ import RUNNERS

REPO_ROOT = Path(__file__).resolve().parent.parent
QUICK_TIMEOUT_SECONDS = 180


def test_quick_benchmarks_run_and_report_every_figure(tmp_path: Path) -> None:
    """`--quick --out DIR` exits 0 and writes a table row and JSON rows for every figure."""
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=QUICK_TIMEOUT_SECONDS,
    )
    assert done.returncode == 0, done.stderr[-3000:]

    table_figures = {
        line.split("|")[1].strip()
        for line in (tmp_path / "benchmarks.md").read_text().splitlines()
        if line.startswith("| ") and not line.startswith("| #")
    }
    assert table_figures == set(RUNNERS)

    results = json.loads((tmp_path / "results.json").read_text())
    assert {row["fig"] for row in results["rows"]} == set(RUNNERS)
    assert results["machine"]["cores"]


def test_quick_run_leaves_the_committed_report_alone(tmp_path: Path) -> None:
    """Without --out, --quick writes to a temporary folder, never docs/ or bench/."""
    committed = REPO_ROOT / "docs" / "benchmarks.md"
    before = committed.read_bytes() if committed.exists() else None
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "1"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=QUICK_TIMEOUT_SECONDS,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    written = Path(done.stderr.strip().splitlines()[-1].split()[1])
    try:
        assert written.exists()
        assert REPO_ROOT not in written.parents
        assert (committed.read_bytes() if committed.exists() else None) == before
    finally:
        shutil.rmtree(written.parent, ignore_errors=True)
