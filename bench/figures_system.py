"""Figures 8, 9 and 10: memory, start-up and the Discord path, each in fresh processes.

They run apart from the timing figures: memory wants a process with nothing
else in it, start-up is about new interpreters, and SimCord patches
`time.monotonic` process-wide.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import time
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
OFFLINE_COMMAND: Final = "/plan d"
PROBE_DISCORD: Final = (
    "import json, sys, bot.plans; "
    "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('discord', 'cogs'))))"
)


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


# -- figure 9 ----------------------------------------------------------------------------
def _startup_ms(code: str) -> float:
    started = time.perf_counter()
    subprocess.run(python_command("-c", code), env=repo_env(), check=True)
    return (time.perf_counter() - started) * 1000


def figure_9(sizes: Sizes) -> list[Row]:
    ours_code, floor_code = "import bot.plans", "import aiohttp, async_lru"
    _startup_ms(ours_code)  # compiled files in place before the timed runs
    _startup_ms(floor_code)
    ours: list[float] = []
    floor: list[float] = []
    for _ in range(sizes.rounds):
        pairs: list[tuple[float, float]] = []
        for _ in range(sizes.startup_runs):
            pairs.append((_startup_ms(ours_code), _startup_ms(floor_code)))
        ours.append(median([o for o, _ in pairs]))
        floor.append(median([f for _, f in pairs]))
    probe = subprocess.run(
        python_command("-c", PROBE_DISCORD), env=repo_env(), capture_output=True, text=True
    )
    leaked: list[str] = json.loads(probe.stdout) if probe.returncode == 0 else ["(probe failed)"]
    rows = [
        ratio_row(
            "9", 'Start-up: python -c "import bot.plans"', ours, floor, unit="ms",
            floor_name='python -c "import aiohttp, async_lru"', kind="diff", target=30.0,
            note=f"median of {sizes.startup_runs} runs per round",
        ),
        Row(
            "9", "Start-up: discord or cogs modules loaded by import bot.plans",
            float(len(leaked)), "modules", ratio_kind="none", target="0", met=not leaked,
            rounds=1, note=", ".join(leaked)[:200],
        ),
        _offline_row(sizes),
    ]  # fmt: skip
    return rows


def _offline_row(sizes: Sizes) -> Row:
    name = f'Start-up: python -m bot --offline --run "{OFFLINE_COMMAND}", end to end'
    try:
        missing = importlib.util.find_spec("bot.offline") is None
    except ImportError as exc:
        return unavailable("9", name, f"bot.offline cannot be imported ({exc})")
    if missing:
        return unavailable("9", name, "bot.offline is not built yet")
    walls: list[float] = []
    for _ in range(sizes.slow_rounds):
        started = time.perf_counter()
        done = subprocess.run(
            python_command("-m", "bot", "--offline", "--run", OFFLINE_COMMAND),
            env=repo_env(),
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT_SECONDS,
        )
        if done.returncode != 0:
            reason = (done.stderr.strip() or done.stdout.strip())[-300:]
            return unavailable("9", name, f"exit {done.returncode}: {reason}")
        walls.append((time.perf_counter() - started) * 1000)
    return absolute_row(
        "9", name, walls, unit="ms",
        note="a fresh interpreter, the demo API in-process, SimCord, one /plan, shutdown",
    )  # fmt: skip


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
            cog, client, unit="ms", floor_name="client.fetch_coach_plan inside the same /plan",
            note=f"client share, median over rounds: {median(client) * 1000:.0f} µs; "
            f"spread {spread(client)[0] * 1000:.0f}–{spread(client)[1] * 1000:.0f} µs",
        ),
    ]  # fmt: skip
