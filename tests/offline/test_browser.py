"""A real browser on the offline page: headless Chromium shows what the bot answered.

Needs Debian's `chromium` (.ci/run installs it); skipped where it is missing.
Makes docs/offline-preview.png, the screenshot under the README's commands: written
there when missing or with UPDATE_SCREENSHOT=1, otherwise to a temporary folder (so a
test run leaves the tree clean).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.offline.session import ROOT, page_url, read_until, start_session

SCREENSHOT = ROOT / "docs" / "offline-preview.png"
#: Sunday after Thanksgiving, 15:00 in New York.
SUNDAY = dt.datetime(2026, 11, 29, 15, 0, tzinfo=ZoneInfo("America/New_York"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# The flags this machine needs: no sandbox as root, and no background traffic off loopback.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--window-size=1280,900", "--virtual-time-budget=8000"]  # fmt: skip

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")


def chromium(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, url],
            capture_output=True,
            text=True,
            timeout=120,
        )


def test_page_shows_the_plan_run_from_the_console(tmp_path: Path) -> None:
    """/plan d typed in the console shows up, with its text, on the page in Chromium.

    Pinned to a Sunday (`--now`): the page shows Friday's half-day plan under the
    "markets are closed today" note, whatever day the test runs.
    """
    from bot.reference_api.demo import demo_rows

    proc = start_session("--now", SUNDAY.isoformat())
    try:
        assert proc.stdin is not None and proc.stdout is not None
        url = page_url(read_until(proc.stdout, "member> "))
        proc.stdin.write("/plan d\n")
        proc.stdin.flush()
        reply = read_until(proc.stdout, "-- Live")
        assert "== Day Trading · Friday 2026-11-27 (half day) ==" in reply
        rows = demo_rows(today=SUNDAY.date())
        texts = [r["plan"] for r in rows if (r["coach"], r["date"]) == ("d", "2026-11-27")]
        assert texts, "no demo plan of coach d on the half day"

        dom = chromium(url, "--dump-dom").stdout
        assert texts[0][:60] in dom, "the page does not show the plan"
        assert "Day Trading" in dom and "Markets are closed today (Sunday)" in dom

        update = os.environ.get("UPDATE_SCREENSHOT") or not SCREENSHOT.is_file()
        target = SCREENSHOT if update else tmp_path / SCREENSHOT.name
        target.parent.mkdir(exist_ok=True)
        shot = chromium(url, f"--screenshot={target}")
        assert target.is_file() and target.stat().st_size > 10_000, shot.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
