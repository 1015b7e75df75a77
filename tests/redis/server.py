"""A real redis-server on a free loopback port, started, stopped and paused by the tests.

No Redis mock: the tier's promises (atomic scripts, pub/sub, key expiry,
timeouts) are Redis's behaviour, so the tests run the real server. It keeps
nothing on disk (`--save ""`, `--appendonly no`), so a restart starts empty,
as a crashed cache does.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from typing import Final

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

INSTALL_HINT: Final = "redis-server not found: install it with `apt-get install redis-server`"
START_TIMEOUT_SECONDS: Final = 10.0


def find_redis_server() -> str | None:
    return shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class RedisServer:
    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="redis-tier-tests-")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        """A blocking client for the test's own look at the server (no retries)."""
        return redis.Redis(port=self.port, socket_timeout=10, retry=Retry(NoBackoff(), 0))

    def start(self) -> None:
        """Start on `self.port` (the same one after a stop) and wait until it answers."""
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no", "--dir", self.dir, "--loglevel", "warning"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        give_up = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            try:
                with self.client() as client:
                    client.ping()
                return
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > give_up:
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.02)

    def remove(self) -> None:
        """Stop for good and delete the (empty) working directory."""
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def kill(self) -> None:
        """SIGKILL: the server vanishes mid-whatever, with all its data."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def ensure_running(self) -> None:
        if self.process is None or self.process.poll() is not None:
            self.start()

    def pause(self) -> None:
        os.kill(self._pid(), signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self._pid(), signal.SIGCONT)

    def _pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def commands(self) -> dict[str, int]:
        """INFO commandstats as {command: calls}."""
        with self.client() as client:
            stats = client.info("commandstats")
        return {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()}
