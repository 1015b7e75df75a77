"""Figures 4, 5 and 6: coalescing, fan-out and a dead API, with a delaying upstream.

The upstream waits 20 ms per answer here (and 0 ms for the second coalescing
case), as a real service would; it runs in its own process, so its waits cost
the client's loop nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

import aiohttp
from async_lru import alru_cache

from bench.measure import Row, Sizes, absolute_row, fresh_days, median, ratio_row, settle
from bench.seed_client import SeedClient
from bench.upstream import UpstreamProcess, refused_url
from bot.plans import CoachPlanClient

DELAY_MS: Final = 20.0
AsyncFetch = Callable[[str, str], Awaitable[Any]]
SINGLE_MISSES: Final = 5
FAN_OUT_LIMIT: Final = 10


async def _api_requests(session: aiohttp.ClientSession, url: str) -> int:
    async with session.get(f"{url}/_bench/stats") as resp:
        return int((await resp.json())["api_requests"])


async def _wall(make: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await make()
    return time.perf_counter() - started


# -- figure 4 ----------------------------------------------------------------------------
async def _coalescing(url: str, sizes: Sizes, delay_ms: float) -> list[Row]:
    days = fresh_days()
    calls = sizes.coalesce_calls
    crowds: dict[str, list[float]] = {"ours": [], "alru": [], "bare": []}
    singles: dict[str, list[float]] = {"ours": [], "raw": []}
    upstream: list[float] = []
    async with (
        CoachPlanClient(url) as client,
        aiohttp.ClientSession() as session,
    ):
        plan_url = f"{url}/api/coach-plans/"

        async def raw(coach: str, day: str) -> Any:
            async with session.get(plan_url, params={"coach": coach, "date": day}) as resp:
                return await resp.json()

        alru_raw = alru_cache(maxsize=100)(raw)

        async def bare(day: str) -> None:
            # One GET, and `calls` bare tasks that wait for it: the cost of the crowd alone.
            shared = asyncio.ensure_future(raw("d", day))

            async def wait() -> Any:
                return await shared

            await asyncio.gather(*(wait() for _ in range(calls)))

        async def crowd(fetch: AsyncFetch) -> float:
            day = next(days)
            return await _wall(lambda: asyncio.gather(*(fetch("d", day) for _ in range(calls))))

        async def single(fetch: AsyncFetch) -> float:
            return median(
                [await _wall(lambda: fetch("d", next(days))) for _ in range(SINGLE_MISSES)]
            )

        for _ in range(5):
            await client.fetch_coach_plan("d", next(days))
            await raw("d", next(days))
        for _ in range(sizes.rounds):
            settle()
            singles["ours"].append(await single(client.fetch_coach_plan) * 1000)
            singles["raw"].append(await single(raw) * 1000)
            before = await _api_requests(session, url)
            crowds["ours"].append(await crowd(client.fetch_coach_plan) * 1000)
            upstream.append(await _api_requests(session, url) - before)
            crowds["alru"].append(await crowd(alru_raw) * 1000)
            crowds["bare"].append(await _wall(lambda: bare(next(days))) * 1000)
    label = f"{calls:,} concurrent calls, one uncached key, {delay_ms:g} ms server delay"
    rows = [
        absolute_row(
            "4", f"Coalescing: upstream requests for {label}", upstream,
            unit="requests", at_most=1, every_round=True, target_text="1",
        ),
        ratio_row(
            "4", f"Coalescing: wall time of {label}", crowds["ours"], singles["ours"],
            unit="ms", floor_name="one miss (ours)", target=2.0 if delay_ms else None,
        ),
        ratio_row(
            "4", f"Coalescing reference: async-lru alone, {delay_ms:g} ms", crowds["alru"],
            singles["raw"], unit="ms", floor_name="one raw GET",
        ),
        ratio_row(
            "4", f"Coalescing reference: {calls:,} bare tasks on one GET, {delay_ms:g} ms",
            crowds["bare"], singles["raw"], unit="ms", floor_name="one raw GET",
        ),
    ]  # fmt: skip
    return rows


def figure_4(sizes: Sizes) -> list[Row]:
    rows: list[Row] = []
    for delay_ms in (DELAY_MS, 0.0):
        with UpstreamProcess(delay_ms=delay_ms) as up:
            rows += asyncio.run(_coalescing(up.url, sizes, delay_ms))
    return rows


# -- figure 5 ----------------------------------------------------------------------------
async def _fan_out(url: str, sizes: Sizes) -> tuple[list[float], list[float], list[float]]:
    days = fresh_days()
    keys = sizes.fan_out_keys
    ours: list[float] = []
    unbounded: list[float] = []
    seed: list[float] = []
    async with (
        CoachPlanClient(url, max_concurrency=FAN_OUT_LIMIT) as bounded,
        CoachPlanClient(url, max_concurrency=keys) as free,
    ):
        baseline = SeedClient(url)

        def seed_loop(batch: list[str]) -> float:
            started = time.perf_counter()
            for day in batch:
                baseline.fetch_coach_plan("d", day)
            return time.perf_counter() - started

        async def gather(client: CoachPlanClient, batch: list[str]) -> float:
            return await _wall(
                lambda: asyncio.gather(*(client.fetch_coach_plan("d", d) for d in batch))
            )

        # Warm-up: every client opens its connections before the timed rounds.
        await gather(bounded, [next(days) for _ in range(FAN_OUT_LIMIT)])
        await gather(free, [next(days) for _ in range(keys)])
        await asyncio.to_thread(seed_loop, [next(days) for _ in range(3)])
        for _ in range(sizes.rounds):
            settle()
            ours.append(await gather(bounded, [next(days) for _ in range(keys)]))
            unbounded.append(await gather(free, [next(days) for _ in range(keys)]))
            batch = [next(days) for _ in range(keys)]
            seed.append(await asyncio.to_thread(seed_loop, batch))
        baseline.close()
    return ours, unbounded, seed


def figure_5(sizes: Sizes) -> list[Row]:
    with UpstreamProcess(delay_ms=DELAY_MS) as up:
        ours, unbounded, seed = asyncio.run(_fan_out(up.url, sizes))
    label = f"{sizes.fan_out_keys} keys, {DELAY_MS:g} ms server delay"
    ms = [t * 1000 for t in ours]
    return [
        ratio_row(
            "5", f"Fan-out: {label}, max_concurrency {FAN_OUT_LIMIT} vs seed loop", ms,
            [t * 1000 for t in seed], unit="ms", floor_name="seed-style sequential loop",
            kind="faster", target=8.0, note=f"the limit is {FAN_OUT_LIMIT}x",
        ),
        ratio_row(
            "5", f"Fan-out: {label}, max_concurrency {FAN_OUT_LIMIT} vs unbounded", ms,
            [t * 1000 for t in unbounded], unit="ms", floor_name="unbounded gather (ours)",
        ),
    ]  # fmt: skip


# -- figure 6 ----------------------------------------------------------------------------
def _down_client(url: str, sizes: Sizes) -> CoachPlanClient:
    return CoachPlanClient(url, timeout=sizes.down_timeout_seconds, breaker_cooldown_seconds=3600)


async def _ours_down(url: str, sizes: Sizes) -> tuple[float, list[float]]:
    """(first call, per-call times once the breaker is open) against a dead `url`."""
    async with _down_client(url, sizes) as client:
        first = await _wall(lambda: client.fetch_coach_plan("d", "2024-11-08"))
        for _ in range(20):
            if client.breaker.state == "open":
                break
            await client.fetch_coach_plan("d", "2024-11-08")
        assert client.breaker.state == "open", "the breaker never opened"
        settle()
        clock = time.perf_counter
        samples = []
        for _ in range(sizes.breaker_calls):
            started = clock()
            await client.fetch_coach_plan("d", "2024-11-08")
            samples.append(clock() - started)
    return first, samples


async def _ours_hang(url: str, sizes: Sizes) -> float:
    async with _down_client(url, sizes) as client:
        return await _wall(lambda: client.fetch_coach_plan("d", "2024-11-08"))


def _seed_call(url: str, sizes: Sizes) -> float:
    scale = sizes.seed_sleep_scale
    baseline = SeedClient(
        url, timeout=sizes.down_timeout_seconds, sleep=lambda seconds: time.sleep(seconds * scale)
    )
    started = time.perf_counter()
    baseline.fetch_coach_plan("d", "2024-11-08")
    elapsed = time.perf_counter() - started
    baseline.close()
    return elapsed


def figure_6(sizes: Sizes) -> list[Row]:
    first: list[float] = []
    open_p50: list[float] = []
    open_p95: list[float] = []
    seed_refused: list[float] = []
    hang: list[float] = []
    seed_hang: list[float] = []
    with refused_url() as dead, UpstreamProcess(mode="hang") as silent:
        for _ in range(sizes.slow_rounds):
            call, samples = asyncio.run(_ours_down(dead, sizes))
            first.append(call * 1000)
            ordered = sorted(samples)
            open_p50.append(ordered[len(ordered) // 2] * 1000)
            open_p95.append(ordered[int(len(ordered) * 0.95)] * 1000)
            seed_refused.append(_seed_call(dead, sizes) * 1000)
            hang.append(asyncio.run(_ours_hang(silent.url, sizes)) * 1000)
            seed_hang.append(_seed_call(silent.url, sizes) * 1000)
    seed_name = "seed-style client, same call"
    timeout = f"timeout {sizes.down_timeout_seconds:g} s, 3 attempts"
    return [
        ratio_row("6", f"API down: connection refused, first call ({timeout})", first,
                  seed_refused, unit="ms", floor_name=seed_name, kind="faster"),
        absolute_row("6", "API down: connection refused, breaker open, p50", open_p50,
                     unit="ms", at_most=1.0),
        absolute_row("6", "API down: connection refused, breaker open, p95", open_p95, unit="ms"),
        ratio_row("6", "API down: breaker-open p50 vs the seed-style client", open_p50,
                  seed_refused, unit="ms", floor_name=seed_name, kind="faster"),
        ratio_row("6", f"API down: server never answers, first call ({timeout})", hang,
                  seed_hang, unit="ms", floor_name=seed_name, kind="faster"),
    ]  # fmt: skip
