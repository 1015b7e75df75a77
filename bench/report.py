"""docs/benchmarks.md and bench/results.json from the rows of one run.

The table is generated; the words around it live in bench/notes.py, so the
note that explains a missed target is printed only while that target is missed.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import os
import platform
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.measure import Row
from bench.notes import FIGURES, INTRO, MISSED, NOTES
from bench.proc import REPO_ROOT

PACKAGES = ("aiohttp", "async-lru", "requests", "discord.py", "simcord")


def machine(*, quick: bool, seconds: float) -> dict[str, Any]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(terse=True),
        "packages": versions,
        "commit": commit.stdout.strip() or "unknown",
        "mode": "quick (smoke: numbers not meaningful)" if quick else "full",
        "duration_seconds": round(seconds, 1),
    }


def write(md_path: Path, json_path: Path, rows: Sequence[Row], info: dict[str, Any]) -> None:
    """Write the markdown report and the JSON results (creating their folders)."""
    results = {"machine": info, "rows": [row.to_json() for row in rows]}
    for path in (md_path, json_path):
        path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    md_path.write_text(markdown(rows, info))


def load(json_path: Path) -> tuple[list[Row], dict[str, Any]]:
    """Rows and machine info back from a results.json (to re-render after editing notes)."""
    data = json.loads(json_path.read_text())
    rows = []
    for raw in data["rows"]:
        for key in ("ratio_range", "ours_range"):
            if raw.get(key) is not None:
                raw[key] = tuple(raw[key])
        rows.append(Row(**raw))
    return rows, data["machine"]


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    if unit == "calls/s" or abs(value) >= 1000:
        text = f"{value:,.0f}"
    elif abs(value) >= 100:
        text = f"{value:.0f}"
    elif abs(value) >= 10 or unit in ("requests", "modules", "samples", "blocks"):
        text = f"{value:.1f}".removesuffix(".0")
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def _ratio(row: Row) -> str:
    if row.ratio is None or row.ratio_kind == "none":
        return "—"
    lo, hi = row.ratio_range or (row.ratio, row.ratio)
    if row.ratio_kind == "diff":
        return f"{row.ratio:+.1f} {row.unit} ({lo:+.1f} to {hi:+.1f})"
    suffix = {"faster": " faster", "rate": " the floor's rate"}.get(row.ratio_kind, "")
    if row.ratio_kind == "faster" and row.ratio < 1:
        suffix = " as fast"
    return f"{_times(row.ratio)}{suffix} ({_times(lo)}–{_times(hi)})"


def _times(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}x"
    return f"{value:.1f}x" if value >= 10 else f"{value:.2f}x"


def _ours(row: Row) -> str:
    if row.ours is None:
        return row.note
    text = _number(row.ours, row.unit)
    if row.ours_range and row.rounds > 1 and row.ours_range[0] != row.ours_range[1]:
        lo, hi = row.ours_range
        text += f" ({_number(lo)}–{_number(hi)})"
    return text


def _met(row: Row) -> str:
    if row.met is None:
        return "report"
    return "yes" if row.met else "**no**"


def table(rows: Sequence[Row]) -> str:
    lines = [
        "| # | figure | ours (spread) | floor or baseline | ratio (spread) | target | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        floor = "—"
        if row.floor is not None:
            floor = f"{_number(row.floor, row.unit)}: {row.floor_name}"
        name = row.name if row.ours is None or not row.note else f"{row.name} ({row.note})"
        cells = [row.fig, name, _ours(row), floor, _ratio(row), row.target, _met(row)]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


def summary(rows: Sequence[Row]) -> str:
    judged = [row for row in rows if row.met is not None]
    missed = [row for row in judged if not row.met]
    figures = sorted({row.fig for row in missed}, key=int)
    text = f"Targets met: {len(judged) - len(missed)} of {len(judged)}."
    if missed:
        text += f" Missed in figure(s) {', '.join(figures)}; see the notes below for why."
    absent = sorted({row.fig for row in rows if row.ours is None}, key=int)
    if absent:
        text += f" Not available here: figure(s) {', '.join(absent)}."
    return text


def markdown(rows: Sequence[Row], info: dict[str, Any]) -> str:
    packages = ", ".join(f"{k} {v}" for k, v in info["packages"].items())
    parts = [
        INTRO.strip(),
        "## The machine\n\n"
        f"- Date: {info['date']}; mode: {info['mode']}; run took {info['duration_seconds']} s\n"
        f"- Cores: {info['cores']}; {info['implementation']} {info['python']} on "
        f"{info['platform']}\n"
        f"- Packages: {packages}\n"
        f"- Commit: {info['commit']} (plus any uncommitted changes in the working tree)",
        "## Results\n\n" + summary(rows) + "\n\n" + table(rows),
        "## The figures",
    ]
    missed = {row.fig for row in rows if row.met is False}
    for fig, title in FIGURES.items():
        fig_rows = [row for row in rows if row.fig == fig]
        verdicts = [row.met for row in fig_rows if row.met is not None]
        if not fig_rows:
            status = "not run (--only)"
        elif any(row.ours is None for row in fig_rows):
            status = "partly not available"
        elif not verdicts:
            status = "reported, no target"
        else:
            status = "target missed" if fig in missed else "targets met"
        text = f"### {fig}. {title} ({status})\n\n{NOTES[fig].strip()}"
        if fig in missed and fig in MISSED:
            text += (
                "\n\n**Why the target is missed, and what would fix it.** " + MISSED[fig].strip()
            )
        parts.append(text)
    return "\n\n".join(parts) + "\n"
