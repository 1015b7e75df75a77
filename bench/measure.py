"""Rows of the results table, round summaries and the run's sizes (full or quick).

Every figure is measured in rounds; each round measures ours and its floor
next to each other, so noise from other tenants of the machine hits both.
A row reports the median over rounds and the spread (min–max) of the ratio.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import itertools
import statistics
from collections.abc import Iterator, Sequence
from typing import Literal

RatioKind = Literal["x", "faster", "rate", "diff", "none"]


@dataclasses.dataclass(frozen=True, slots=True)
class Sizes:
    """How much work each figure does; `quick` shrinks everything for the smoke run."""

    quick: bool
    rounds: int
    slow_rounds: int
    hits: int
    misses: int
    fan_out_keys: int
    coalesce_calls: int
    breaker_calls: int
    throughput_calls: int
    memory_keys: int
    startup_runs: int
    discord_calls: int
    down_timeout_seconds: float
    #: The seed-style client's retry sleeps are scaled by this (1 in full runs).
    seed_sleep_scale: float

    @classmethod
    def for_run(cls, *, quick: bool) -> Sizes:
        if quick:
            return cls(
                quick=True, rounds=3, slow_rounds=1, hits=1000, misses=30, fan_out_keys=20,
                coalesce_calls=1000, breaker_calls=200, throughput_calls=500, memory_keys=2000,
                startup_runs=2, discord_calls=3, down_timeout_seconds=0.1, seed_sleep_scale=0.05,
            )  # fmt: skip
        return cls(
            quick=False, rounds=5, slow_rounds=3, hits=20_000, misses=400, fan_out_keys=100,
            coalesce_calls=1000, breaker_calls=2000, throughput_calls=2000, memory_keys=20_000,
            startup_runs=4, discord_calls=30, down_timeout_seconds=0.5, seed_sleep_scale=1.0,
        )  # fmt: skip


@dataclasses.dataclass(slots=True)
class Row:
    """One line of the table; `met` is None for figures that are reported, not targeted."""

    fig: str
    name: str
    ours: float | None
    unit: str
    floor: float | None = None
    floor_name: str = ""
    ratio: float | None = None
    ratio_range: tuple[float, float] | None = None
    ratio_kind: RatioKind = "x"
    target: str = "report"
    met: bool | None = None
    ours_range: tuple[float, float] | None = None
    rounds: int = 0
    note: str = ""

    def to_json(self) -> dict[str, object]:
        return dataclasses.asdict(self)


def unavailable(fig: str, name: str, reason: str) -> Row:
    """A figure that could not run here (a part not built yet, a missing extra)."""
    return Row(fig, name, None, "", target="report", note=f"not available: {reason}")


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (values need not be sorted)."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: Sequence[float]) -> tuple[float, float]:
    return (min(values), max(values))


def ratio_row(
    fig: str,
    name: str,
    ours: Sequence[float],
    floor: Sequence[float],
    *,
    unit: str,
    floor_name: str,
    target: float | None = None,
    kind: RatioKind = "x",
    note: str = "",
) -> Row:
    """A row from per-round values of ours and of its floor, paired by round.

    kind "x": ratio ours/floor, met when <= target; "faster": floor/ours, met
    when >= target; "rate": ours/floor for rates (higher is better), met when >=
    target; "diff": ours - floor, met when <= target.
    """
    if kind == "faster":
        ratios = [f / o for o, f in zip(ours, floor, strict=True)]
    elif kind == "diff":
        ratios = [o - f for o, f in zip(ours, floor, strict=True)]
    else:
        ratios = [o / f for o, f in zip(ours, floor, strict=True)]
    value = median(ratios)
    met: bool | None = None
    target_text = "report"
    if target is not None:
        if kind in ("faster", "rate"):
            met, target_text = value >= target, f">= {target:g}x"
        elif kind == "diff":
            met, target_text = value <= target, f"<= +{target:g} {unit}"
        else:
            met, target_text = value <= target, f"<= {target:g}x"
    return Row(
        fig,
        name,
        median(ours),
        unit,
        floor=median(floor),
        floor_name=floor_name,
        ratio=value,
        ratio_range=spread(ratios),
        ratio_kind=kind,
        target=target_text,
        met=met,
        ours_range=spread(ours),
        rounds=len(ours),
        note=note,
    )


def absolute_row(
    fig: str,
    name: str,
    ours: Sequence[float],
    *,
    unit: str,
    at_most: float | None = None,
    every_round: bool = False,
    target_text: str | None = None,
    note: str = "",
) -> Row:
    """A row judged on its own value (a latency or size bound), not on a ratio.

    `every_round` judges the worst round instead of the median (counts that must hold always).
    """
    value = median(ours)
    met = None
    if at_most is not None:
        met = (max(ours) if every_round else value) <= at_most
    text = target_text or ("report" if at_most is None else f"<= {at_most:g} {unit}")
    return Row(
        fig,
        name,
        value,
        unit,
        ratio_kind="none",
        target=text,
        met=met,
        ours_range=spread(ours),
        rounds=len(ours),
        note=note,
    )


def fresh_days(start: dt.date = dt.date(2000, 1, 3)) -> Iterator[str]:
    """Past days not asked for recently (new cache keys), within what the client accepts.

    The client refuses days before 2000 and more than a year ahead, so the days
    cycle through 2000-2025: over 9,000 of them, far more than any cache here holds,
    so a day seen again has long been evicted and is a miss again.
    """
    span = (dt.date(2025, 12, 31) - start).days
    for offset in itertools.count():
        yield (start + dt.timedelta(days=offset % span)).isoformat()


def settle() -> None:
    """Collect garbage before a measurement, so one figure's leftovers don't pause the next."""
    gc.collect()
