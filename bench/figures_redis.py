"""Figure 11: the shared Redis tier (`redis_url=`), against a raw redis-py GET and no Redis.

A real redis-server on a free loopback port (nothing on disk), started here;
without one the figure reports a row saying so. Three parts:

* a Redis-tier hit: a client with `max_cache_size=1` alternating two keys, so
  every call misses its process cache and is answered by one Redis GET, against
  redis-py's own async `GET` of the same two keys (the floor), and a process-cache hit;
* 8 processes x 1,000 concurrent calls on one uncached key: upstream requests
  and the Redis commands it took (`python -m bench.figures_redis worker ...`);
* Redis down (a loopback port bound, never listening): hit and miss answer
  times against the same calls through a client without `redis_url`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any, Final

from bench.measure import Row, Sizes, absolute_row, fresh_days, percentile, ratio_row, settle
from bench.measure import unavailable as unavailable_row
from bench.proc import python_command, repo_env
from bench.upstream import HOST, UpstreamProcess
from bot.plans import CoachPlanClient
from bot.plans.shared import PLAN_CODEC
from bot.plans.shared.guard import DEFAULT_TIMEOUT_SECONDS

FIG: Final = "11"
NAME: Final = "Redis tier"
DAY: Final = "2024-11-08"
PREFIX: Final = "bench"
PROCESSES: Final = 8
DELAY_MS: Final = 20.0
START_TIMEOUT_SECONDS: Final = 10.0
WORKER_TIMEOUT_SECONDS: Final = 60.0
#: A Redis timeout the loop's stalls under a 1,000-caller burst do not reach (reference row).
SLACK_TIMEOUT_SECONDS: Final = 0.5

Calls = Sequence[Callable[[], Awaitable[Any]]]


def find_redis_server() -> str | None:
    return shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
    return port


class RedisServer:
    """`with RedisServer(binary) as server:` a redis-server on loopback, keeping nothing on disk."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = _free_port()
        self.url = f"redis://{HOST}:{self.port}/0"
        self._dir = tempfile.mkdtemp(prefix="bench-redis-")
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> RedisServer:
        import redis

        args = [self.binary, "--port", str(self.port), "--bind", HOST, "--save", ""]
        args += ["--appendonly", "no", "--dir", self._dir, "--loglevel", "warning"]
        self._proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        give_up = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            try:
                with redis.Redis(port=self.port, socket_timeout=5) as client:
                    client.ping()
                return self
            except redis.ConnectionError:
                if self._proc.poll() is not None or time.monotonic() > give_up:
                    self.__exit__()
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.02)

    def __exit__(self, *exc: object) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.kill()
            proc.wait()
        shutil.rmtree(self._dir, ignore_errors=True)

    def commands(self) -> dict[str, int]:
        """INFO commandstats as {command: calls}, without the INFO calls themselves."""
        import redis

        with redis.Redis(port=self.port, socket_timeout=5) as client:
            stats: dict[str, Any] = client.info("commandstats")
        calls = {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()}
        calls.pop("info", None)
        return calls


@contextlib.contextmanager
def _dead_redis_url() -> Iterator[str]:
    """A Redis URL on a loopback port bound but never listening: connecting is refused."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        yield f"redis://{HOST}:{sock.getsockname()[1]}/0"


async def _time_calls(calls: Calls) -> list[float]:
    clock = time.perf_counter
    samples = [0.0] * len(calls)
    for i, call in enumerate(calls):
        started = clock()
        await call()
        samples[i] = clock() - started
    return samples


def _us(rounds: list[list[float]], q: float) -> list[float]:
    return [percentile(r, q) * 1e6 for r in rounds]


# -- part 1: a Redis-tier hit ----------------------------------------------------------------
async def _hits(api: str, redis_url: str, sizes: Sizes) -> list[Row]:
    import redis.asyncio as aioredis

    n = max(sizes.hits // 10, 100)
    pair = (("d", DAY), ("i", DAY))
    samples: dict[str, list[list[float]]] = {
        "tier": [],
        "raw": [],
        "timed": [],
        "bound": [],
        "local": [],
    }
    raw = aioredis.Redis.from_url(redis_url, decode_responses=False)
    async with (
        CoachPlanClient(api, redis_url=redis_url, redis_prefix=PREFIX, max_cache_size=1) as tier,
        CoachPlanClient(api, redis_url=redis_url, redis_prefix=PREFIX) as local,
    ):
        for coach, day in pair:  # into Redis (one upstream request each), and into `local`
            await tier.fetch_coach_plan(coach, day)
            await local.fetch_coach_plan(coach, day)
        fresh = sorted(k for k in await raw.keys(f"{PREFIX}:*") if b":fresh:" in k)
        assert len(fresh) == 2, f"expected the two keys' fresh entries in Redis, got {fresh}"

        def tier_calls() -> Calls:
            return [functools.partial(tier.fetch_coach_plan, c, d) for c, d in pair] * (n // 2)

        def raw_calls() -> Calls:
            return [functools.partial(raw.get, k) for k in fresh] * (n // 2)

        async def bound_get(key: bytes) -> Any:
            # What the tier must add to the GET anyway: its timeout, and decoding the value.
            async with asyncio.timeout(DEFAULT_TIMEOUT_SECONDS):
                got = await raw.get(key)
            return PLAN_CODEC.decode_with_expiry(got)

        async def timed_get(key: bytes) -> Any:
            async with asyncio.timeout(DEFAULT_TIMEOUT_SECONDS):
                return await raw.get(key)

        def timed_calls() -> Calls:
            return [functools.partial(timed_get, k) for k in fresh] * (n // 2)

        def bound_calls() -> Calls:
            return [functools.partial(bound_get, k) for k in fresh] * (n // 2)

        def local_calls() -> Calls:
            return [functools.partial(local.fetch_coach_plan, "d", DAY)] * n

        makers = {"tier": tier_calls, "raw": raw_calls, "timed": timed_calls, "bound": bound_calls,
                  "local": local_calls}  # fmt: skip
        for make in makers.values():  # warm-up: connections open, code paths hot
            await _time_calls(make()[:200])
        before = tier.get_metrics()
        order = list(makers)
        for round_no in range(sizes.rounds):
            for name in order[round_no % len(order) :] + order[: round_no % len(order)]:
                settle()
                samples[name].append(await _time_calls(makers[name]()))
        after = tier.get_metrics()
    await raw.aclose()
    hits = after["redis"]["hits"] - before["redis"]["hits"]
    api_calls = sum(after["api"][k] - before["api"][k] for k in ("success", "errors", "not_found"))
    expected = n // 2 * 2 * sizes.rounds
    check = f"{hits:,} of {expected:,} calls answered by Redis, {api_calls} upstream"
    raw_floor = "raw redis-py async GET, same key"
    return [
        ratio_row(FIG, "Redis-tier hit p50 (process cache bypassed)", _us(samples["tier"], 0.5),
                  _us(samples["raw"], 0.5), unit="µs", floor_name=raw_floor, target=1.3,
                  note=check),
        ratio_row(FIG, "Redis-tier hit p95", _us(samples["tier"], 0.95),
                  _us(samples["raw"], 0.95), unit="µs", floor_name=raw_floor),
        ratio_row(FIG, "Redis-tier hit reference: raw GET under a timeout, p50",
                  _us(samples["timed"], 0.5), _us(samples["raw"], 0.5), unit="µs",
                  floor_name=raw_floor),
        ratio_row(FIG, "Redis-tier hit reference: raw GET under a timeout, decoded, p50",
                  _us(samples["bound"], 0.5), _us(samples["raw"], 0.5), unit="µs",
                  floor_name=raw_floor),
        ratio_row(FIG, "Redis-tier hit p50 vs a process-cache hit", _us(samples["tier"], 0.5),
                  _us(samples["local"], 0.5), unit="µs", floor_name="process-cache hit"),
    ]  # fmt: skip


# -- part 2: 8 processes on one uncached key -----------------------------------------------
async def _worker(api: str, redis_url: str, redis_timeout: float) -> None:
    """One process's client: ready, then per line `{"day", "calls"}` that many concurrent
    calls of one key, answering the time taken and its Redis command count."""
    async with CoachPlanClient(
        api, redis_url=redis_url, redis_prefix=PREFIX, redis_timeout_seconds=redis_timeout
    ) as client:
        await client.fetch_coach_plan("n", DAY)  # connected, scripts loaded
        for _ in range(round(START_TIMEOUT_SECONDS / 0.01)):  # subscribed to the others' news
            if client.get_metrics()["redis"]["listening"]:
                break
            await asyncio.sleep(0.01)
        print(json.dumps({"ready": True}), flush=True)
        while line := await asyncio.to_thread(sys.stdin.readline):
            cmd = json.loads(line)
            before = client.get_metrics()
            started = time.perf_counter()
            await asyncio.gather(
                *(client.fetch_coach_plan("d", cmd["day"]) for _ in range(cmd["calls"]))
            )
            seconds = time.perf_counter() - started
            after = client.get_metrics()
            delta = {
                k: after["redis"][k] - before["redis"][k]
                for k in (
                    "commands",
                    "hits",
                    "lock_acquired",
                    "lock_waits",
                    "peer_answers",
                    "errors",
                    "skipped",
                )
            }
            print(json.dumps({"seconds": seconds, **delta}), flush=True)


class _Workers:
    def __init__(self, api: str, redis_url: str, count: int, timeout: float) -> None:
        cmd = python_command("-m", "bench.figures_redis", "worker", api, redis_url, str(timeout))
        self.procs = [
            subprocess.Popen(
                cmd, env=repo_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
            )
            for _ in range(count)
        ]

    def _read(self, proc: subprocess.Popen[str]) -> dict[str, Any]:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"a bench Redis worker ended (exit {proc.wait()})")
        data: dict[str, Any] = json.loads(line)
        return data

    def ready(self) -> None:
        for proc in self.procs:
            self._read(proc)

    def round(self, day: str, calls: int) -> list[dict[str, Any]]:
        line = json.dumps({"day": day, "calls": calls}) + "\n"
        for proc in self.procs:  # as close together as the pipes allow
            assert proc.stdin is not None
            proc.stdin.write(line)
            proc.stdin.flush()
        return [self._read(proc) for proc in self.procs]

    def close(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(OSError):
                assert proc.stdin is not None
                proc.stdin.close()
        for proc in self.procs:
            try:
                proc.wait(WORKER_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()


def _crowd(redis: RedisServer, sizes: Sizes, timeout: float) -> dict[str, Any]:
    """Per round: upstream requests, round trips, server commands, Redis errors, wall ms."""
    days = fresh_days(start=dt.date(2010, 1, 4) if timeout == DEFAULT_TIMEOUT_SECONDS
                      else dt.date(2017, 1, 2))  # fmt: skip
    out: dict[str, Any] = {"upstream": [], "trips": [], "commands": [], "errors": [], "ms": []}
    with UpstreamProcess(delay_ms=DELAY_MS) as up:
        workers = _Workers(up.url, redis.url, PROCESSES, timeout)
        try:
            workers.ready()
            for _ in range(sizes.slow_rounds):
                settle()
                before_api, before_cmds = up.api_requests(), redis.commands()
                answers = workers.round(next(days), sizes.coalesce_calls)
                after_cmds = redis.commands()
                out["upstream"].append(up.api_requests() - before_api)
                out["trips"].append(sum(a["commands"] for a in answers))
                delta = {k: v - before_cmds.get(k, 0) for k, v in after_cmds.items()}
                delta = {k: v for k, v in delta.items() if v}
                out["commands"].append(sum(delta.values()))
                out["errors"].append(sum(a["errors"] + a["skipped"] for a in answers))
                out["ms"].append(max(a["seconds"] for a in answers) * 1000)
                ways = {k: sum(a[k] for a in answers) for k in ("hits", "lock_acquired",
                        "lock_waits", "peer_answers")}  # fmt: skip
                out["breakdown"] = ", ".join(f"{k} {v}" for k, v in sorted(delta.items()))
                out["breakdown"] += "; " + ", ".join(f"{k} {v}" for k, v in ways.items())
        finally:
            workers.close()
    return out


def _processes(redis: RedisServer, sizes: Sizes) -> list[Row]:
    ours = _crowd(redis, sizes, DEFAULT_TIMEOUT_SECONDS)
    slack = _crowd(redis, sizes, SLACK_TIMEOUT_SECONDS)
    label = f"{PROCESSES} processes x {sizes.coalesce_calls:,} concurrent calls, one uncached key"
    default = f"redis_timeout_seconds {DEFAULT_TIMEOUT_SECONDS:g} (default)"
    return [
        absolute_row(FIG, f"Redis tier: upstream requests for {label}", ours["upstream"],
                     unit="requests", at_most=1, every_round=True, target_text="1",
                     note=default),
        absolute_row(FIG, "Redis tier: Redis commands timed out, failed or skipped meanwhile",
                     ours["errors"], unit="commands"),
        absolute_row(FIG, "Redis tier: Redis round trips for it (clients' count)", ours["trips"],
                     unit="commands"),
        absolute_row(FIG, "Redis tier: Redis commands for it (INFO commandstats, in scripts too)",
                     ours["commands"], unit="commands", note=f"last round: {ours['breakdown']}"),
        absolute_row(FIG, f"Redis tier: wall time of the slowest process ({DELAY_MS:g} ms "
                     "server delay)", ours["ms"], unit="ms"),
        absolute_row(FIG, "Redis tier reference: upstream requests, same crowd, "
                     f"redis_timeout_seconds {SLACK_TIMEOUT_SECONDS:g}", slack["upstream"],
                     unit="requests", note=f"{sum(slack['errors'])} Redis commands timed out"),
    ]  # fmt: skip


# -- part 3: Redis down --------------------------------------------------------------------
async def _down(api: str, dead_url: str, sizes: Sizes) -> list[Row]:
    days = fresh_days(start=dt.date(2015, 1, 5))
    hits: dict[str, list[list[float]]] = {"down": [], "none": []}
    misses: dict[str, list[list[float]]] = {"down": [], "none": []}
    async with (
        CoachPlanClient(api, redis_url=dead_url, redis_prefix=PREFIX) as down,
        CoachPlanClient(api) as plain,
    ):
        clients = {"down": down, "none": plain}
        for client in clients.values():
            await client.fetch_coach_plan("d", DAY)
            for _ in range(20):  # warm-up
                await client.fetch_coach_plan("d", next(days))
        n = max(sizes.hits // 10, 100)
        order = list(clients)
        clock = time.perf_counter
        for round_no in range(sizes.rounds):
            turn = order if round_no % 2 == 0 else order[::-1]
            for name in turn:
                settle()
                hits[name].append(
                    await _time_calls(
                        [functools.partial(clients[name].fetch_coach_plan, "d", DAY)] * n
                    )
                )
            settle()
            rnd: dict[str, list[float]] = {k: [] for k in clients}
            for i in range(sizes.misses):
                for name in order if i % 2 == 0 else order[::-1]:
                    day = next(days)
                    started = clock()
                    await clients[name].fetch_coach_plan("d", day)
                    rnd[name].append(clock() - started)
            for name, values in rnd.items():
                misses[name].append(values)
        shared = down.get_metrics()["redis"]
    tried = f"Redis tried {shared['errors']} times, skipped {shared['skipped']} (backing off)"
    floor = "same call, client without redis_url"
    return [
        ratio_row(FIG, "Redis down: hit p50", _us(hits["down"], 0.5), _us(hits["none"], 0.5),
                  unit="µs", floor_name=floor, target=2.0),
        ratio_row(FIG, "Redis down: miss p50", _us(misses["down"], 0.5),
                  _us(misses["none"], 0.5), unit="µs", floor_name=floor, target=2.0, note=tried),
        ratio_row(FIG, "Redis down: miss p95", _us(misses["down"], 0.95),
                  _us(misses["none"], 0.95), unit="µs", floor_name=floor),
    ]  # fmt: skip


def figure_11(sizes: Sizes) -> list[Row]:
    binary = find_redis_server()
    if binary is None:
        return [unavailable_row(FIG, NAME, "redis-server not found (apt-get install redis-server)")]
    try:
        import redis  # noqa: F401
    except ImportError:
        return [unavailable_row(FIG, NAME, "redis-py not installed (the [redis] extra)")]
    rows: list[Row] = []
    with RedisServer(binary) as server:
        with UpstreamProcess() as up:
            rows += asyncio.run(_hits(up.url, server.url, sizes))
        rows += _processes(server, sizes)
    with UpstreamProcess() as up, _dead_redis_url() as dead:
        rows += asyncio.run(_down(up.url, dead, sizes))
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"] and len(sys.argv) == 5:
        asyncio.run(_worker(sys.argv[2], sys.argv[3], float(sys.argv[4])))
    else:
        sys.exit("usage: python -m bench.figures_redis worker API_URL REDIS_URL TIMEOUT_SECONDS")
