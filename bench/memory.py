"""Figure 8's body, run in a fresh process: memory while many distinct keys pass through.

    python -m bench.memory --url URL --keys 20000 [--floor]

Prints one JSON object: a checkpoint every 1,000 keys (RSS in MB and Python's
allocated blocks, both read after a full collection) and, for the client,
the sizes of everything that must stay bounded. `--floor` makes the same
requests with a bare aiohttp session, to show what the process does on its own.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final

import aiohttp

from bench.measure import fresh_days
from bot.plans import CoachPlanClient

CHECKPOINT_KEYS: Final = 1000
BATCH: Final = 10
MAX_CACHE_SIZE: Final = 100
COACHES: Final = ("d", "i", "s", "n")
PAGE_BYTES: Final = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    """Resident set size of this process, from /proc/self/statm (no psutil)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_BYTES / 1e6


def _reading(keys: int) -> dict[str, float]:
    gc.collect()
    return {"keys": keys, "rss_mb": rss_mb(), "blocks": sys.getallocatedblocks()}


async def _drive(fetch: Callable[[str, str], Awaitable[Any]], keys: int) -> list[dict[str, float]]:
    days = fresh_days()
    checkpoints = []
    done = 0
    while done < keys:
        await asyncio.gather(*(fetch(COACHES[i % 4], next(days)) for i in range(BATCH)))
        done += BATCH
        if done % CHECKPOINT_KEYS == 0:
            checkpoints.append(_reading(done))
    return checkpoints


async def measure(url: str, keys: int, *, floor: bool) -> dict[str, Any]:
    if floor:
        async with aiohttp.ClientSession() as session:

            async def raw(coach: str, day: str) -> Any:
                params = {"coach": coach, "date": day}
                async with session.get(f"{url}/api/coach-plans/", params=params) as resp:
                    return await resp.json()

            return {"checkpoints": await _drive(raw, keys)}
    async with CoachPlanClient(url, max_cache_size=MAX_CACHE_SIZE) as client:
        checkpoints = await _drive(client.fetch_coach_plan, keys)
        metrics = client.get_metrics()
        windows = {name: len(w) for name, w in client.stats.latency_ms.items()}
        return {
            "checkpoints": checkpoints,
            "calls": metrics["requests"]["total"],
            "cache_size": metrics["cache"]["size"],
            "stale_size": metrics["cache"]["stale_size"],
            "latency_window": max(windows.values(), default=0),
        }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory")
    parser.add_argument("--url", required=True)
    parser.add_argument("--keys", type=int, default=20_000)
    parser.add_argument("--floor", action="store_true")
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(measure(args.url, args.keys, floor=args.floor))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
