"""Start `python -m bot --offline` as a newcomer would, and read what it prints."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


#: A loaded machine must not turn a demo answer into a timeout fallback (which `--run`
#: reports with exit 1): the longest deadlines the settings allow. Tests of fallbacks
#: use an API that refuses connections, which fails at once whatever the deadline.
PATIENT: dict[str, str] = {"REPLY_DEADLINE_SECONDS": "60", "PLANS_TIMEOUT_SECONDS": "30"}


def offline_env() -> dict[str, str]:
    """This environment without a token or an API address (the demo API must start),
    with patient deadlines."""
    kept = {k: v for k, v in os.environ.items() if k not in ("PLANS_API_URL", "DISCORD_TOKEN")}
    return kept | PATIENT


def start_session(*args: str) -> subprocess.Popen[str]:
    """A page-and-console session (`--no-browser`) with pipes for stdin and stdout."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "--offline", "--no-browser", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=offline_env(),
    )


def stop_session(proc: subprocess.Popen[str]) -> int:
    """Ctrl-C, as a person stops it (killed if it has not stopped in 30 s); its exit code."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
    return proc.returncode


def read_until(stream: object, marker: str, timeout: float = 60) -> str:
    """Read the child's output until `marker` (a prompt has no newline: read raw bytes)."""
    fd = stream.fileno()  # type: ignore[attr-defined]
    seen = b""
    deadline = time.monotonic() + timeout
    while marker.encode() not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            pytest.fail(f"never saw {marker!r} in:\n{seen.decode(errors='replace')}")
        chunk = os.read(fd, 65536)
        if not chunk:
            pytest.fail(f"output ended before {marker!r}:\n{seen.decode(errors='replace')}")
        seen += chunk
    return seen.decode(errors="replace")


def page_url(banner: str) -> str:
    """The page's address: the loopback URL with a capability after `#` (the API's has none)."""
    return next(w for w in banner.split() if w.startswith("http://127.0.0.1:") and "/#" in w)
