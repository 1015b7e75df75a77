"""A minimal Coach Plan API for the benchmarks, run as its own process on loopback.

Why not the reference server: it closes every connection (the deployed
service's `Connection: close` quirk) and reads SQLite, so a miss would
measure a TCP handshake and a database. This server keeps connections alive,
answers any coach and day with a plan of realistic size, and can wait
`--delay-ms` before each API answer (or never answer, `--mode hang`). Both
sides of every ratio use it, so the server's own cost cancels out.

    python -m bench.upstream --delay-ms 20     # prints "PORT <n>", serves until stdin closes

`/_bench/stats` reports how many API requests it has answered (coalescing
counts upstream requests with it). The process exits when its stdin reaches
EOF, so a benchmark that dies cannot leave it behind.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import Final, Literal, Self

from aiohttp import web

from bench.proc import python_command, repo_env

HOST: Final = "127.0.0.1"
STARTUP_TIMEOUT_SECONDS: Final = 20.0
STOP_TIMEOUT_SECONDS: Final = 5.0
PLAN_TEXT: Final = (
    "NVDA bull flag on the daily. Entry 945-950, target 1020, stop 920. "
    "Watch the open: no entry before 9:45 unless volume confirms."
)
Mode = Literal["normal", "hang"]


def plan_body(coach: str, day: str) -> dict[str, object]:
    """A found plan in the contract's shape, about the size the deployed service sends."""
    return {
        "plan": PLAN_TEXT,
        "charts": [f"https://cdn.example.com/attachments/1/2/{coach}-{day}.png?ex=1&hm=2"],
        "author": f"coach_{coach}_handle",
        "created_at": f"{day}T08:31:02.118223",
        "edited_at": None,
        "channel": "day-trading",
    }


class _Counts:
    def __init__(self) -> None:
        self.api_requests = 0


def create_app(*, delay_seconds: float, mode: Mode) -> web.Application:
    counts = _Counts()

    async def answer(payload: object) -> web.Response:
        counts.api_requests += 1
        if mode == "hang":
            await asyncio.Event().wait()
        if delay_seconds > 0:
            await asyncio.sleep(delay_seconds)
        return web.Response(
            body=json.dumps(payload).encode(), content_type="application/json", charset=None
        )

    async def one_plan(request: web.Request) -> web.Response:
        coach = request.query.get("coach", "d")
        return await answer(plan_body(coach, request.query.get("date", "2024-11-08")))

    async def all_plans(request: web.Request) -> web.Response:
        day = request.query.get("date", "2024-11-08")
        return await answer({f"coach_{c}": plan_body(c, day) for c in ("d", "i", "s", "n")})

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "healthy"})

    async def stats(request: web.Request) -> web.Response:
        return web.json_response({"api_requests": counts.api_requests})

    app = web.Application()
    app.router.add_get("/api/coach-plans/", one_plan)
    app.router.add_get("/api/coach-plans/all", all_plans)
    app.router.add_get("/health", health)
    app.router.add_get("/_bench/stats", stats)
    return app


async def _serve(port: int, delay_seconds: float, mode: Mode) -> None:
    runner = web.AppRunner(
        create_app(delay_seconds=delay_seconds, mode=mode),
        access_log=None,
        handle_signals=False,
        shutdown_timeout=0.1,
    )
    await runner.setup()
    site = web.TCPSite(runner, HOST, port, backlog=2048)
    await site.start()
    print(f"PORT {runner.addresses[0][1]}", flush=True)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # The parent holds our stdin; EOF means it is gone (or done with us).
    threading.Thread(
        target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(stop.set)), daemon=True
    ).start()
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.upstream", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--delay-ms", type=float, default=0.0, help="wait before each answer")
    parser.add_argument("--mode", choices=("normal", "hang"), default="normal")
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.port, args.delay_ms / 1000, args.mode))
    return 0


class UpstreamProcess:
    """`with UpstreamProcess(delay_ms=20) as up:` runs the server above; `up.url` has no slash."""

    def __init__(self, *, delay_ms: float = 0.0, mode: Mode = "normal") -> None:
        self.delay_ms = delay_ms
        self.mode = mode
        self.url = ""
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> Self:
        cmd = python_command("-m", "bench.upstream", "--delay-ms", str(self.delay_ms))
        self._proc = subprocess.Popen(
            [*cmd, "--mode", self.mode],
            env=repo_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        line = _read_line(self._proc, STARTUP_TIMEOUT_SECONDS)
        if not line.startswith("PORT "):
            self.__exit__(None, None, None)
            raise RuntimeError(f"bench upstream did not start: {line!r}")
        self.url = f"http://{HOST}:{int(line.split()[1])}"
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            assert proc.stdin is not None
            proc.stdin.close()
        try:
            proc.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()

    def api_requests(self) -> int:
        """API requests the server has received so far (answered or not)."""
        import requests

        reply = requests.get(f"{self.url}/_bench/stats", timeout=5)
        return int(reply.json()["api_requests"])


def _read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    stdout = proc.stdout
    assert stdout is not None
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return result[0].strip() if result else "(no output)"


@contextlib.contextmanager
def refused_url() -> Iterator[str]:
    """A loopback URL where nothing listens: connecting is refused at once.

    The port stays bound (never listening) for the block, so no one else takes it.
    """
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        yield f"http://{HOST}:{sock.getsockname()[1]}"


if __name__ == "__main__":
    sys.exit(main())
