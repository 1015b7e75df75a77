"""Figures 1, 2, 3 and 7: the client's hit and miss paths against their floors.

Floors: an `@alru_cache` function hit (what async-lru itself costs), a raw
aiohttp GET + json on one keep-alive session (what a miss cannot beat), and
the seed-style blocking client for the sync facade. Every client here keeps
connections alive (the default connector) against the keep-alive bench upstream.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

import aiohttp
from async_lru import alru_cache

from bench.measure import Row, Sizes, fresh_days, percentile, ratio_row, settle
from bench.seed_client import SeedClient
from bench.upstream import UpstreamProcess, plan_body
from bot.plans import CoachPlanClient, SyncCoachPlanClient

HIT_DAY: Final = "2024-11-08"
COACHES: Final = ("d", "i", "s", "n")
THREADS: Final = 8
TASKS: Final = 100

AsyncFetch = Callable[[str, str], Awaitable[Any]]
SyncFetch = Callable[[str, str], Any]


async def _time_async(fetch: AsyncFetch, n: int) -> list[float]:
    """Per-call seconds of `n` awaited calls on the cached key."""
    clock = time.perf_counter
    samples = [0.0] * n
    for i in range(n):
        started = clock()
        await fetch("d", HIT_DAY)
        samples[i] = clock() - started
    return samples


def _time_sync(fetch: SyncFetch, n: int) -> list[float]:
    clock = time.perf_counter
    samples = [0.0] * n
    for i in range(n):
        started = clock()
        fetch("d", HIT_DAY)
        samples[i] = clock() - started
    return samples


def _hit_rows(
    fig: str, label: str, ours: list[list[float]], floor: list[list[float]], **kw: Any
) -> list[Row]:
    rows = []
    for name, q in (("p50", 0.50), ("p95", 0.95)):
        rows.append(
            ratio_row(
                fig,
                f"{label} {name}",
                [percentile(r, q) * 1e6 for r in ours],
                [percentile(r, q) * 1e6 for r in floor],
                unit="µs",
                **kw,
            )
        )
    return rows


# -- figure 1 ----------------------------------------------------------------------------
async def _async_hits(url: str, sizes: Sizes) -> list[Row]:
    @alru_cache(maxsize=100)
    async def floor_fetch(coach: str, day: str) -> dict[str, object]:
        return plan_body(coach, day)

    ours: list[list[float]] = []
    floor: list[list[float]] = []
    async with CoachPlanClient(url) as client:
        await client.fetch_coach_plan("d", HIT_DAY)
        await floor_fetch("d", HIT_DAY)
        await _time_async(client.fetch_coach_plan, 2000)  # warm-up
        await _time_async(floor_fetch, 2000)
        for round_no in range(sizes.rounds):
            pair: list[tuple[AsyncFetch, list[list[float]]]] = [
                (client.fetch_coach_plan, ours),
                (floor_fetch, floor),
            ]
            for fetch, into in pair if round_no % 2 == 0 else reversed(pair):
                settle()
                into.append(await _time_async(fetch, sizes.hits))
    return _hit_rows(
        "1", "Cache hit, async:", ours, floor, floor_name="@alru_cache hit", target=2.0
    )


def figure_1(sizes: Sizes) -> list[Row]:
    with UpstreamProcess() as up:
        return asyncio.run(_async_hits(up.url, sizes))


# -- figure 2 ----------------------------------------------------------------------------
def _in_thread(fn: Callable[[], None]) -> None:
    """Run `fn` in a fresh plain thread (no event loop in it) and wait for it."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            fn()
        except BaseException as exc:  # re-raised in the caller
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


class _LoopThread:
    """An event loop in a daemon thread, as the sync facade runs one: the hop alone."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def hop(self, coach: str, day: str) -> None:
        async def nothing() -> None:
            return None

        asyncio.run_coroutine_threadsafe(nothing(), self.loop).result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


def figure_2(sizes: Sizes) -> list[Row]:
    samples: dict[str, list[list[float]]] = {"ours": [], "seed": [], "hop": []}
    with UpstreamProcess() as up:
        facade = SyncCoachPlanClient(up.url)
        baseline = SeedClient(up.url)
        hop = _LoopThread()
        calls: dict[str, SyncFetch] = {
            "ours": facade.fetch_coach_plan, "seed": baseline.fetch_coach_plan, "hop": hop.hop,
        }  # fmt: skip
        try:

            def measure() -> None:
                for fetch in calls.values():
                    fetch("d", HIT_DAY)
                    _time_sync(fetch, 1000)
                order = list(calls)
                for round_no in range(sizes.rounds):
                    for name in order[round_no % 3 :] + order[: round_no % 3]:
                        settle()
                        samples[name].append(_time_sync(calls[name], sizes.hits // 4))

            _in_thread(measure)
        finally:
            facade.close()
            baseline.close()
            hop.close()
    return [
        *_hit_rows("2", "Cache hit, sync facade from a thread:", samples["ours"],
                   samples["seed"], floor_name="seed-style client hit", target=3.0),
        ratio_row("2", "Cache hit, sync reference: the thread hop alone, p50",
                  [percentile(r, 0.5) * 1e6 for r in samples["hop"]],
                  [percentile(r, 0.5) * 1e6 for r in samples["seed"]], unit="µs",
                  floor_name="seed-style client hit"),
    ]  # fmt: skip


# -- figure 3 ----------------------------------------------------------------------------
async def _misses(url: str, sizes: Sizes) -> list[Row]:
    days = fresh_days()
    loop = asyncio.get_running_loop()
    plan_url = f"{url}/api/coach-plans/"
    samples: dict[str, list[list[float]]] = {}
    async with (
        CoachPlanClient(url) as client,
        aiohttp.ClientSession() as session,
    ):

        async def raw(coach: str, day: str) -> Any:
            async with session.get(plan_url, params={"coach": coach, "date": day}) as resp:
                return await resp.json()

        # What the client must do anyway, step by step: the fetch in its own task
        # (shared by coalesced callers), shielded (one caller's cancel must not end it),
        # under a per-call deadline.
        async def task(coach: str, day: str) -> Any:
            return await loop.create_task(raw(coach, day))

        async def shielded(coach: str, day: str) -> Any:
            return await asyncio.shield(loop.create_task(raw(coach, day)))

        async def required(coach: str, day: str) -> Any:
            async with asyncio.timeout(15):
                return await asyncio.shield(loop.create_task(raw(coach, day)))

        alru_raw = alru_cache(maxsize=100)(raw)
        fetches: dict[str, AsyncFetch] = {
            "ours": client.fetch_coach_plan, "raw": raw, "task": task, "shield": shielded,
            "req": required, "alru": alru_raw,
        }  # fmt: skip
        order = list(fetches)
        turns = len(order)
        for _ in range(20):  # warm-up: connections open, code paths hot
            for fetch in fetches.values():
                await fetch("d", next(days))
        clock = time.perf_counter
        for _ in range(sizes.rounds):
            settle()
            rnd: dict[str, list[float]] = {k: [] for k in fetches}
            for i in range(sizes.misses):
                # Interleaved call by call, the order rotating, so noise hits all alike.
                for name in order[i % turns :] + order[: i % turns]:
                    coach, day = COACHES[i % 4], next(days)
                    started = clock()
                    await fetches[name](coach, day)
                    rnd[name].append(clock() - started)
            for name, values in rnd.items():
                samples.setdefault(name, []).append(values)

    def p50s(name: str) -> list[float]:
        return [percentile(r, 0.5) * 1e6 for r in samples[name]]

    raw_floor = "raw aiohttp GET + json, keep-alive"
    return [
        ratio_row("3", "Miss p50", p50s("ours"), p50s("raw"), unit="µs",
                  floor_name=raw_floor, target=1.25),
        ratio_row("3", "Miss p50, reference: the GET in its own task", p50s("task"),
                  p50s("raw"), unit="µs", floor_name=raw_floor),
        ratio_row("3", "Miss p50, reference: own task + shield", p50s("shield"),
                  p50s("raw"), unit="µs", floor_name=raw_floor),
        ratio_row("3", "Miss p50, reference: own task + shield + deadline", p50s("req"),
                  p50s("raw"), unit="µs", floor_name=raw_floor),
        ratio_row("3", "Miss p50, reference: async-lru's own miss path", p50s("alru"),
                  p50s("raw"), unit="µs", floor_name=raw_floor),
    ]  # fmt: skip


def figure_3(sizes: Sizes) -> list[Row]:
    with UpstreamProcess() as up:
        return asyncio.run(_misses(up.url, sizes))


# -- figure 7 ----------------------------------------------------------------------------
async def _tasks_rate(fetch: AsyncFetch, calls: int) -> float:
    """Calls per second from TASKS tasks, each making calls/TASKS hits."""
    each = calls // TASKS

    async def worker(coach: str) -> None:
        for _ in range(each):
            await fetch(coach, HIT_DAY)

    started = time.perf_counter()
    await asyncio.gather(*(worker(COACHES[i % 4]) for i in range(TASKS)))
    return each * TASKS / (time.perf_counter() - started)


async def _loop_throughput(url: str, sizes: Sizes) -> Row:
    @alru_cache(maxsize=100)
    async def floor_fetch(coach: str, day: str) -> dict[str, object]:
        return plan_body(coach, day)

    ours: list[float] = []
    floor: list[float] = []
    async with CoachPlanClient(url) as client:
        for coach in COACHES:
            await client.fetch_coach_plan(coach, HIT_DAY)
            await floor_fetch(coach, HIT_DAY)
        for _ in range(sizes.rounds):
            settle()
            ours.append(await _tasks_rate(client.fetch_coach_plan, sizes.throughput_calls * 10))
            floor.append(await _tasks_rate(floor_fetch, sizes.throughput_calls * 10))
    return ratio_row(
        "7", f"Throughput, hits from {TASKS} tasks on one loop", ours, floor,
        unit="calls/s", floor_name="@alru_cache hits, same tasks", kind="rate",
    )  # fmt: skip


def _threads_rate(fetch: SyncFetch, calls: int) -> float:
    each = calls // THREADS
    start = threading.Barrier(THREADS + 1)

    def worker(coach: str) -> None:
        start.wait()
        for _ in range(each):
            fetch(coach, HIT_DAY)

    threads = [threading.Thread(target=worker, args=(COACHES[i % 4],)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return each * THREADS / (time.perf_counter() - started)


def figure_7(sizes: Sizes) -> list[Row]:
    with UpstreamProcess() as up:
        rows = [asyncio.run(_loop_throughput(up.url, sizes))]
        ours: list[float] = []
        seed: list[float] = []
        with SyncCoachPlanClient(up.url) as facade:
            baseline = SeedClient(up.url)
            for coach in COACHES:
                facade.fetch_coach_plan(coach, HIT_DAY)
                baseline.fetch_coach_plan(coach, HIT_DAY)
            for _ in range(sizes.rounds):
                settle()
                ours.append(_threads_rate(facade.fetch_coach_plan, sizes.throughput_calls))
                seed.append(_threads_rate(baseline.fetch_coach_plan, sizes.throughput_calls * 10))
            baseline.close()
    threads = ratio_row(
        "7", f"Throughput, hits from {THREADS} threads via the sync facade", ours, seed,
        unit="calls/s", floor_name="seed-style client, same threads", kind="rate",
    )  # fmt: skip
    return [*rows, threads]
