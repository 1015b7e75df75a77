"""A loopback Coach Plan API for tests: speaks the contract, fails on request.

It runs a real aiohttp server on 127.0.0.1, port 0, so the client under test
goes through real sockets. A test stores plans with `add_plan`, scripts
faults with `fail` (they are used up in order, `times` each), and reads
`hits` (requests per path) and `peak_in_flight` afterwards.

Nothing here waits for real time to decide an outcome. A hang or a trickle
that must time out the client jumps the event loop's clock (`clock_jump`), so
the client's per-attempt timeout, an aiohttp timer on that clock, fires at
once whatever the machine's speed (see `tests/loop_time.py`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import random
import struct
import zlib
from collections import Counter
from typing import Any, Literal

from aiohttp import web

from tests.loop_time import LoopClock

FaultKind = Literal[
    "status",  # answer `status` (JSON body, or HTML with html=True), optional Retry-After
    "hang",  # accept, never answer (until the server stops); see `clock_jump`
    "trickle",  # send a valid body one byte every `interval` seconds; see `clock_jump`
    "delay",  # wait `seconds`, then answer normally
    "held",  # answer normally once the test calls `release()`: "in flight" for as long as needed
    "invalid_json",  # 200, application/json, not JSON
    "html",  # 200 with an HTML page
    "huge",  # 200, a valid JSON body of `size` bytes
    "wrong_types",  # 200, plan is a number and charts a string
    "error_200",  # the contract's 200-with-`error` failure form
    "cut",  # promise a long body, send part of it, drop the connection
    "not_found_404",  # the "also accept" 404 form of "no plan"
    "bomb",  # 200, a compressed body (`encoding`) inflating to `size` bytes of JSON
    "deep_json",  # 200, JSON arrays nested `size` deep
    "surrogates",  # 200, the plan with lone UTF-16 surrogates escaped in its strings
]
Endpoint = Literal["plan", "all", "history", "health", "metrics", "*"]

PATHS: dict[str, Endpoint] = {
    "/api/coach-plans/": "plan",
    "/api/coach-plans/all": "all",
    "/api/coach-plans/history": "history",
    "/health": "health",
    "/metrics": "metrics",
}
COACHES = ("d", "i", "s", "n")
_MIB_OF_SPACES = b" " * (1 << 20)  # a bomb's building block


@dataclasses.dataclass
class Fault:
    kind: FaultKind
    endpoint: Endpoint = "*"
    times: int = 1
    status: int = 500
    retry_after: str | None = None
    html: bool = False
    seconds: float = 0.0
    interval: float = 0.5
    size: int = 10 * 1024 * 1024
    encoding: str = "gzip"  # for "bomb": gzip or deflate
    chunked: bool = False  # for "bomb": no Content-Length, chunked transfer
    #: For "hang" and "trickle": once stalled, move the loop's clock this many seconds on,
    #: as if they passed while the client waited: a timeout shorter than that fires now.
    clock_jump: float = 0.0

    def __post_init__(self) -> None:
        if self.kind == "bomb":  # compress now, not while a client's timeout runs
            _compressed_json(self.size, self.encoding)


class ContractServer:
    def __init__(self) -> None:
        self.plans: dict[tuple[str, str], dict[str, Any]] = {}
        #: History rows per (coach, day), newest first, as the history endpoint sends them.
        self.edits: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.faults: list[Fault] = []
        self.hits: Counter[str] = Counter()
        #: The `date` query of every plan and /all request, in order.
        self.dates: list[str] = []
        self.in_flight = 0
        self.peak_in_flight = 0
        self._arrivals = asyncio.Condition()
        self.healthy = True
        self.all_key_prefix = "coach_"
        self.chaos_rate = 0.0
        self.chaos_faults: list[Fault] = []
        self.chaos_served: Counter[str] = Counter()
        self._random = random.Random(0)
        self._stop = asyncio.Event()
        self._released = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    # -- scripting -----------------------------------------------------------------
    def add_plan(
        self,
        coach: str,
        day: str,
        text: str = "NVDA bull flag on the daily. Entry 945-950, target 1020, stop 920.",
        *,
        charts: list[str] | None = None,
        author: str | None = None,
        edited_at: str | None = None,
        channel: str = "day-trading",
    ) -> dict[str, Any]:
        plan = {
            "plan": text,
            "charts": ["https://cdn.example.com/attachments/1/2/chart.png?ex=1&hm=2"]
            if charts is None
            else charts,
            "author": author or f"coach_{coach}_handle",
            "created_at": f"{day}T08:31:02.118223",
            "edited_at": edited_at,
            "channel": channel,
        }
        self.plans[(coach, day)] = plan
        return plan

    def add_edits(self, coach: str, day: str, *edits: tuple[str, str, str]) -> None:
        """The plan's edit history, newest first: (text the edit replaced, who, when).

        Rows carry the extra `id` and `plan_id` keys the deployed service sends.
        """
        self.edits[(coach, day)] = [
            {"plan_text": text, "edited_by": by, "edited_at": at, "id": 100 - n, "plan_id": 7}
            for n, (text, by, at) in enumerate(edits)
        ]

    def fail(self, kind: FaultKind, *, endpoint: Endpoint = "*", times: int = 1, **kw: Any) -> None:
        self.faults.append(Fault(kind, endpoint, times, **kw))

    def chaos(self, rate: float, faults: list[Fault], seed: int = 0) -> None:
        """Answer a random `rate` of requests with one of `faults` (their `times` ignored)."""
        self.chaos_rate, self.chaos_faults = rate, faults
        self._random = random.Random(seed)

    def dates_asked(self) -> list[str]:
        return list(self.dates)

    async def in_flight_at_least(self, count: int = 1) -> None:
        """Return once `count` requests are being served (same loop as the server)."""
        async with self._arrivals:
            await self._arrivals.wait_for(lambda: self.in_flight >= count)

    def release(self) -> None:
        """Let every "held" request answer, now and from now on."""
        self._released.set()

    def requests_to(self, endpoint: Endpoint) -> int:
        return sum(n for path, n in self.hits.items() if PATHS.get(path) == endpoint)

    # -- lifecycle -----------------------------------------------------------------
    async def start(self, port: int = 0) -> str:
        app = web.Application()
        app.router.add_get("/api/coach-plans/", self._plan)
        app.router.add_get("/api/coach-plans/all", self._all)
        app.router.add_get("/api/coach-plans/history", self._history)
        app.router.add_get("/health", self._health)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(
            app, handle_signals=False, shutdown_timeout=0.1, handler_cancellation=True
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        self._stop.set()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- handlers ------------------------------------------------------------------
    def _take_fault(self, endpoint: Endpoint) -> Fault | None:
        for fault in self.faults:
            if fault.endpoint in ("*", endpoint) and fault.times > 0:
                fault.times -= 1
                if fault.times == 0:
                    self.faults.remove(fault)
                return fault
        if self.chaos_rate and self._random.random() < self.chaos_rate:
            fault = self._random.choice(self.chaos_faults)
            self.chaos_served[fault.kind] += 1
            return fault
        return None

    async def _serve(
        self, request: web.Request, endpoint: Endpoint, body: Any
    ) -> web.StreamResponse:
        self.hits[request.path] += 1
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        async with self._arrivals:
            self._arrivals.notify_all()
        try:
            fault = self._take_fault(endpoint)
            if fault is None:
                return web.json_response(body() if callable(body) else body)
            return await self._faulty(request, fault, body)
        finally:
            self.in_flight -= 1

    async def _faulty(self, request: web.Request, f: Fault, body: Any) -> web.StreamResponse:
        ok = body() if callable(body) else body
        if f.kind == "status":
            headers = {"Retry-After": f.retry_after} if f.retry_after is not None else {}
            if f.html:
                html = f"<html><body><h1>{f.status} Error</h1></body></html>"
                return web.Response(
                    status=f.status, text=html, content_type="text/html", headers=headers
                )
            return web.json_response(
                {"error": "Failed to retrieve plan", "message": "boom"},
                status=f.status,
                headers=headers,
            )
        if f.kind == "hang":
            _jump(f)
            await self._stop.wait()
            return web.json_response(ok)
        if f.kind == "delay":
            await asyncio.sleep(f.seconds)
            return web.json_response(ok)
        if f.kind == "held":
            await self._released.wait()
            return web.json_response(ok)
        if f.kind == "invalid_json":
            return web.Response(text='{"plan": "oops', content_type="application/json")
        if f.kind == "html":
            return web.Response(text="<html>Bad gateway</html>", content_type="text/html")
        if f.kind == "huge":
            text = json.dumps(
                {
                    "plan": "x" * f.size,
                    "charts": [],
                    "author": "a",
                    "created_at": "2024-11-09T08:00:00",
                }
            )
            return web.Response(text=text, content_type="application/json")
        if f.kind == "wrong_types":
            return web.json_response(
                {"plan": 123, "charts": "nope", "author": "a", "created_at": "2024-11-09T08:00:00"}
            )
        if f.kind == "error_200":
            return web.json_response(
                {"error": "db locked", "plan": "Error retrieving plan: db locked", "charts": []}
            )
        if f.kind == "not_found_404":
            return web.json_response({"error": "not found"}, status=404)
        if f.kind == "bomb":
            return await _bomb(request, f)
        if f.kind == "deep_json":
            return web.Response(text="[" * f.size + "]" * f.size, content_type="application/json")
        if f.kind == "surrogates":
            poisoned = dict(ok)
            for field in ("plan", "author"):
                if isinstance(poisoned.get(field), str):
                    poisoned[field] = "\ud800" + poisoned[field] + "\udfff"
            poisoned["charts"] = ["https://cdn.example.com/\udc80.png"]
            # ensure_ascii: the surrogates travel as \ud800 escapes, as a broken API sends them
            return web.Response(text=json.dumps(poisoned), content_type="application/json")
        raw = json.dumps(ok).encode()
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        resp.content_length = len(raw) if f.kind == "trickle" else len(raw) + 1000
        await resp.prepare(request)
        if f.kind == "trickle":
            _jump(f)
            for i in range(len(raw)):
                await resp.write(raw[i : i + 1])
                await asyncio.sleep(f.interval)
            return resp
        # "cut": half the body, then the connection goes away.
        await resp.write(raw[: len(raw) // 2])
        assert request.transport is not None
        request.transport.close()
        return resp

    async def _plan(self, request: web.Request) -> web.StreamResponse:
        coach = request.query.get("coach", "")
        day = request.query.get("date", "")
        self.dates.append(day)
        if coach not in COACHES:
            self.hits[request.path] += 1
            return web.json_response(
                {"error": f"Invalid coach name '{coach}'. Valid coaches: d, i, s, n"}, status=400
            )

        def body() -> dict[str, Any]:
            plan = self.plans.get((coach, day))
            if plan is None:
                return {"plan": f"No plan available for coach_{coach} on {day}", "charts": []}
            return plan

        return await self._serve(request, "plan", body)

    async def _all(self, request: web.Request) -> web.StreamResponse:
        day = request.query.get("date", "")
        self.dates.append(day)

        def body() -> dict[str, Any]:
            return {
                f"{self.all_key_prefix}{coach}": plan
                for (coach, d), plan in self.plans.items()
                if d == day
            }

        return await self._serve(request, "all", body)

    async def _history(self, request: web.Request) -> web.StreamResponse:
        coach = request.query.get("coach", "")
        day = request.query.get("date", "")
        if coach not in COACHES:
            self.hits[request.path] += 1
            return web.json_response(
                {"error": f"Invalid coach name '{coach}'. Valid coaches: d, i, s, n"}, status=400
            )
        return await self._serve(
            request, "history", lambda: {"history": self.edits.get((coach, day), [])}
        )

    async def _health(self, request: web.Request) -> web.StreamResponse:
        status = "healthy" if self.healthy else "unhealthy"
        body = {
            "status": status,
            "timestamp": "2024-11-09T09:00:00",
            "components": {
                "database": {
                    "status": "up" if self.healthy else "down",
                    "plan_count": len(self.plans),
                },
                "discord_bot": {"status": "connected"},
            },
        }
        if not self.healthy:
            self.hits[request.path] += 1
            return web.json_response(body, status=503)
        return await self._serve(request, "health", body)

    async def _metrics(self, request: web.Request) -> web.StreamResponse:
        body = {
            "timestamp": "2024-11-09T09:00:00",
            "uptime_seconds": 1.5,
            "requests": {
                "total": sum(self.hits.values()),
                "success": 1,
                "error": 0,
                "error_rate_percent": 0.0,
            },
            "database": {
                "total_plans": len(self.plans),
                "total_charts": 0,
                "total_edits": 0,
                "latest_plan": "2024-11-09T08:31:02",
            },
        }
        return await self._serve(request, "metrics", body)


def _jump(f: Fault) -> None:
    if f.clock_jump:
        LoopClock.install().skip(f.clock_jump)


@functools.cache
def _compressed_json(size: int, encoding: str) -> bytes:
    """`size` bytes of valid-looking JSON (a plan of spaces), compressed: about 1 KB per MB.

    Made as a bomb is made, not by compressing 256 MiB (seconds of zlib): one MiB
    of spaces is compressed once, with a full flush so it refers to nothing before
    it, and those bytes are repeated; the wrapper's checksum is summed per block.
    """
    head, tail = b'{"plan": "', b'", "charts": [], "author": "a"}'
    blocks, rest = divmod(max(0, size - len(head) - len(tail)), len(_MIB_OF_SPACES))
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate: the wrapper is ours
    start = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(_MIB_OF_SPACES) + packer.flush(zlib.Z_FULL_FLUSH)
    end = packer.compress(b" " * rest + tail) + packer.flush()
    stream = start + block * blocks + end
    checksum = zlib.crc32 if encoding == "gzip" else zlib.adler32
    total = checksum(head)
    for _ in range(blocks):
        total = checksum(_MIB_OF_SPACES, total)
    total = checksum(b" " * rest + tail, total)
    if encoding == "gzip":  # RFC 1952: header, deflate, CRC-32 and size (both little-endian)
        length = (len(head) + blocks * len(_MIB_OF_SPACES) + rest + len(tail)) % (1 << 32)
        header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
        return header + stream + struct.pack("<II", total, length)
    return b"\x78\xda" + stream + struct.pack(">I", total)  # RFC 1950: zlib, Adler-32


async def _bomb(request: web.Request, f: Fault) -> web.StreamResponse:
    packed = _compressed_json(f.size, f.encoding)
    resp = web.StreamResponse(
        headers={"Content-Type": "application/json", "Content-Encoding": f.encoding}
    )
    if f.chunked:
        resp.enable_chunked_encoding()
    else:
        resp.content_length = len(packed)
    await resp.prepare(request)
    await resp.write(packed)
    await resp.write_eof()
    return resp
