"""Other processes for the tests: each a `worker.py` with its own tier, spoken to in JSON lines.

Separate interpreters, as shard processes or agent workers are: nothing is
shared with the test's process but the Redis server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parents[2]
#: A safety net for a hung process, not a measured time.
EVENT_TIMEOUT_SECONDS: Final = 120.0


class Peer:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.events: list[dict[str, Any]] = []

    @classmethod
    async def start(
        cls, url: str, prefix: str, *, module: str = "tests.redis.worker", **config: Any
    ) -> Peer:
        """A worker (`module`: a bare tier, or `tests.redis.client_worker`: a client) on
        `url`/`prefix`, returned once it listens to the others."""
        env = os.environ | {"PYTHONPATH": str(ROOT)}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", module,
            json.dumps({"url": url, "prefix": prefix, **config}),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=ROOT, env=env,
        )  # fmt: skip
        peer = cls(process)
        await peer.expect("ready")
        return peer

    @property
    def pid(self) -> int:
        return self.process.pid

    async def send(self, op: str, **args: Any) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"op": op, **args}).encode() + b"\n")
        await self.process.stdin.drain()

    async def expect(self, event: str) -> dict[str, Any]:
        """The next `event` this peer printed (earlier events of other kinds are kept)."""
        async with asyncio.timeout(EVENT_TIMEOUT_SECONDS):
            while True:
                for i, seen in enumerate(self.events):
                    if seen["event"] == event:
                        return self.events.pop(i)
                assert self.process.stdout is not None
                line = await self.process.stdout.readline()
                if not line:
                    raise AssertionError(f"peer {self.pid} exited before {event!r}")
                self.events.append(json.loads(line))

    async def metrics(self) -> dict[str, Any]:
        """A client worker's `get_metrics()`, now."""
        await self.send("metrics")
        metrics: dict[str, Any] = (await self.expect("metrics"))["metrics"]
        return metrics

    async def stats(self) -> dict[str, Any]:
        """The peer's tier snapshot, now."""
        await self.send("stats")
        stats: dict[str, Any] = (await self.expect("stats"))["stats"]
        return stats

    def kill(self) -> None:
        """SIGKILL: no cleanup, no lock released, no goodbye."""
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()

    async def close(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ConnectionError):
                await self.send("exit")
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.kill()
        await self.process.wait()
