"""Figure 9: start-up, in fresh interpreters timed from here.

`import bot.plans` against `import aiohttp, async_lru` (what it cannot avoid),
both with compiled bytecode cached, as after any install. This environment
sets PYTHONDONTWRITEBYTECODE, under which our modules are compiled from source
at every start while site-packages ship compiled; that case is reported too.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import subprocess
import tempfile
import time
from typing import Final

from bench.measure import Row, Sizes, absolute_row, median, ratio_row, spread, unavailable
from bench.proc import python_command, repo_env

CHILD_TIMEOUT_SECONDS: Final = 300
OURS: Final = "bot.plans"
FLOOR: Final = "aiohttp, async_lru"
OFFLINE_COMMAND: Final = "/plan d"
PROBE_DISCORD: Final = (
    "import json, sys, bot.plans; "
    "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('discord', 'cogs'))))"
)


@dataclasses.dataclass
class _Side:
    """Per-round medians of one measure (wall or import ms), both sides and paired."""

    ours: list[float] = dataclasses.field(default_factory=list)
    floor: list[float] = dataclasses.field(default_factory=list)
    diff: list[float] = dataclasses.field(default_factory=list)

    def add_round(self, ours_runs: list[float], floor_runs: list[float]) -> None:
        self.ours.append(median(ours_runs))
        self.floor.append(median(floor_runs))
        # Paired: each run of ours against the floor run next to it.
        self.diff.append(median([o - f for o, f in zip(ours_runs, floor_runs, strict=True)]))

    def row(self, name: str, floor_name: str, target: float | None, note: str) -> Row:
        row = ratio_row(
            "9", name, self.ours, self.floor, unit="ms", floor_name=floor_name, kind="diff",
            target=target, note=note,
        )  # fmt: skip
        row.ratio, row.ratio_range = median(self.diff), spread(self.diff)
        row.met = None if target is None else row.ratio <= target
        return row


def _startup(modules: str, env: dict[str, str]) -> tuple[float, float]:
    """(wall ms of `python -c "import <modules>"`, ms the import itself took inside it)."""
    code = f"import time; t = time.perf_counter(); import {modules}; print(time.perf_counter() - t)"
    started = time.perf_counter()
    done = subprocess.run(
        python_command("-c", code), env=env, check=True, capture_output=True, text=True
    )
    return (time.perf_counter() - started) * 1000, float(done.stdout) * 1000


def _measure(sizes: Sizes, env: dict[str, str]) -> tuple[_Side, _Side]:
    """(wall, import) for ours and the floor, alternating which runs first."""
    _startup(OURS, env)  # bytecode written (where allowed) before the timed runs
    _startup(FLOOR, env)
    wall, imported = _Side(), _Side()
    for round_no in range(sizes.rounds):
        runs: dict[str, list[tuple[float, float]]] = {OURS: [], FLOOR: []}
        for run_no in range(sizes.startup_runs):
            order = [OURS, FLOOR] if (round_no + run_no) % 2 == 0 else [FLOOR, OURS]
            for modules in order:
                runs[modules].append(_startup(modules, env))
        wall.add_round([w for w, _ in runs[OURS]], [w for w, _ in runs[FLOOR]])
        imported.add_round([i for _, i in runs[OURS]], [i for _, i in runs[FLOOR]])
    return wall, imported


def figure_9(sizes: Sizes) -> list[Row]:
    runs = f"{sizes.startup_runs} runs a side per round, paired"
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as cache_dir:
        cached = repo_env(PYTHONPYCACHEPREFIX=cache_dir)
        cached.pop("PYTHONDONTWRITEBYTECODE", None)
        wall, imported = _measure(sizes, cached)
    uncached_env = repo_env(PYTHONDONTWRITEBYTECODE="1")
    _, uncached = _measure(dataclasses.replace(sizes, rounds=sizes.slow_rounds), uncached_env)
    probe = subprocess.run(
        python_command("-c", PROBE_DISCORD), env=repo_env(), capture_output=True, text=True
    )
    leaked: list[str] = json.loads(probe.stdout) if probe.returncode == 0 else ["(probe failed)"]
    return [
        imported.row("Start-up: import bot.plans, timed inside a fresh interpreter",
                     "import aiohttp, async_lru, same way", 30.0, f"bytecode cached; {runs}"),
        wall.row('Start-up: python -c "import bot.plans", wall time',
                 'python -c "import aiohttp, async_lru"', None,
                 "the same runs; interpreter start-up adds its own noise"),
        uncached.row("Start-up: import bot.plans without a bytecode cache",
                     "import aiohttp, async_lru (site-packages compiled)", None,
                     "PYTHONDONTWRITEBYTECODE=1, as in this environment: ours compiles"),
        Row("9", "Start-up: discord or cogs modules loaded by import bot.plans",
            float(len(leaked)), "modules", ratio_kind="none", target="0", met=not leaked,
            rounds=1, note=", ".join(leaked)[:200]),
        _offline_row(sizes),
    ]  # fmt: skip


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
