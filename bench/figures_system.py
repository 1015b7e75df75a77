"""Figures 8 and 10: memory and the Discord path, each measured in fresh processes.

They run apart from the timing figures: memory wants a process with nothing
else in it, and SimCord patches `time.monotonic` process-wide.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
from typing import Any, Final

from bench.measure import (
    Row,
    Sizes,
    absolute_row,
    median,
    percentile,
    ratio_row,
    spread,
    unavailable,
)
from bench.proc import python_command, repo_env
from bench.upstream import UpstreamProcess

CHILD_TIMEOUT_SECONDS: Final = 300


def _child_json(*args: str, timeout: float = CHILD_TIMEOUT_SECONDS) -> dict[str, Any]:
    done = subprocess.run(
        python_command(*args), env=repo_env(), capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stderr.strip()[-800:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- figure 8 ----------------------------------------------------------------------------
def figure_8(sizes: Sizes) -> list[Row]:
    keys = str(sizes.memory_keys)
    growth: list[float] = []
    peak: list[float] = []
    blocks: list[float] = []
    floor_growth: list[float] = []
    windows: list[float] = []
    bounded: list[str] = []
    with UpstreamProcess() as up:
        for _ in range(sizes.slow_rounds):
            ours = _child_json("-m", "bench.memory", "--url", up.url, "--keys", keys)
            floor = _child_json("-m", "bench.memory", "--url", up.url, "--keys", keys, "--floor")
            points = ours["checkpoints"]
            base = points[0]
            growth.append(points[-1]["rss_mb"] - base["rss_mb"])
            peak.append(max(p["rss_mb"] for p in points) - base["rss_mb"])
            blocks.append(points[-1]["blocks"] - base["blocks"])
            floor_points = floor["checkpoints"]
            floor_growth.append(floor_points[-1]["rss_mb"] - floor_points[0]["rss_mb"])
            windows.append(ours["latency_window"])
            bounded.append(f"cache {ours['cache_size']}, stale {ours['stale_size']}")
    label = f"{sizes.memory_keys:,} distinct keys, max size 100"
    rows = [
        absolute_row(
            "8", f"Memory: RSS growth after the first 1,000 keys ({label})", growth, unit="MB",
            at_most=5.0, note=f"same keys through a bare aiohttp session: "
            f"{median(floor_growth):+.2f} MB; sizes at the end: {bounded[-1]}",
        ),
        absolute_row(
            "8", "Memory: highest RSS above the 1,000-key reading (flatness)", peak,
            unit="MB", at_most=5.0,
        ),
        absolute_row(
            "8", "Memory: Python allocated blocks, growth after the first 1,000 keys", blocks,
            unit="blocks",
        ),
        absolute_row(
            "8", f"Memory: latency samples kept after {sizes.memory_keys:,} calls", windows,
            unit="samples", note="a bounded window (LATENCY_WINDOW), not every sample",
        ),
    ]  # fmt: skip
    return rows


# -- figure 10 ---------------------------------------------------------------------------
def figure_10(sizes: Sizes) -> list[Row]:
    name = "Discord path: /plan through SimCord"
    for module in ("bot.app", "bot.settings", "simcord"):
        try:
            if importlib.util.find_spec(module) is None:
                return [unavailable("10", name, f"{module} is not available")]
        except ImportError as exc:
            return [unavailable("10", name, f"{module} cannot be imported ({exc})")]
    hit: list[float] = []
    miss: list[float] = []
    stats: list[float] = []
    cog: list[float] = []
    client: list[float] = []
    with UpstreamProcess() as up:
        for _ in range(sizes.slow_rounds):
            try:
                out = _child_json(
                    "-m", "bench.discord_path", "--url", up.url, "--calls",
                    str(sizes.discord_calls),
                )  # fmt: skip
            except (RuntimeError, ValueError, subprocess.TimeoutExpired) as exc:
                return [unavailable("10", name, str(exc)[:300])]
            hit.append(percentile(out["hit"], 0.5) * 1000)
            miss.append(percentile(out["miss"], 0.5) * 1000)
            stats.append(percentile(out["stats"], 0.5) * 1000)
            splits = out["split"]
            cog.append(median([s.get("render", 0) + s.get("respond", 0) for s in splits]) * 1000)
            client.append(median([s.get("client", 0) for s in splits]) * 1000)
    simcord_floor = "/cachestats through SimCord (no plan fetch)"
    return [
        ratio_row("10", f"{name}, hit, p50", hit, stats, unit="ms", floor_name=simcord_floor),
        ratio_row("10", f"{name}, miss, p50", miss, stats, unit="ms", floor_name=simcord_floor),
        ratio_row(
            "10", "Discord path: the cog's share of a hit (render + respond) vs the client's",
            cog, client, unit="ms",
            floor_name="the client's call inside the same /plan (peek_fresh on a hit)",
            note=f"client share, median over rounds: {median(client) * 1000:.0f} µs; "
            f"spread {spread(client)[0] * 1000:.0f}–{spread(client)[1] * 1000:.0f} µs",
        ),
    ]  # fmt: skip
