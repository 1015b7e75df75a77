"""`python -m bench`: run every figure, write docs/benchmarks.md and bench/results.json.

    python -m bench                 full run (a few minutes on 2 cores)
    python -m bench --quick         smoke run for CI: small sizes, writes to a temp dir
    python -m bench --only 1 3      some figures only (also to a temp dir unless --out)
    python -m bench --out DIR       write benchmarks.md and results.json into DIR
    python -m bench --render        rewrite docs/benchmarks.md from bench/results.json

Only a full run of every figure without --out replaces the committed files.
Exit codes: 0 every figure ran, 1 a figure failed (its row says how), 2 usage.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

from bench import (
    figures_client,
    figures_load,
    figures_redis,
    figures_startup,
    figures_system,
    report,
)
from bench.measure import Row, Sizes
from bench.notes import FIGURES
from bench.proc import REPO_ROOT

Figure = Callable[[Sizes], list[Row]]

RUNNERS: Final[dict[str, Figure]] = {
    "1": figures_client.figure_1,
    "2": figures_client.figure_2,
    "3": figures_client.figure_3,
    "4": figures_load.figure_4,
    "5": figures_load.figure_5,
    "6": figures_load.figure_6,
    "7": figures_client.figure_7,
    "8": figures_system.figure_8,
    "9": figures_startup.figure_9,
    "10": figures_system.figure_10,
    "11": figures_redis.figure_11,
}
EXIT_OK: Final = 0
EXIT_FAILED: Final = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Benchmarks of the plan client and the bot."
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: small sizes, temp output")
    parser.add_argument("--out", type=Path, metavar="DIR", help="write the results into DIR")
    parser.add_argument(
        "--only", nargs="+", choices=list(RUNNERS), metavar="FIG", help="run these figures only"
    )
    parser.add_argument(
        "--render", action="store_true", help="measure nothing: re-render the committed results"
    )
    return parser


def run(figures: Sequence[str], sizes: Sizes) -> tuple[list[Row], bool]:
    """Every figure's rows, in table order; a figure that raises becomes an error row."""
    rows: list[Row] = []
    ok = True
    for fig in figures:
        started = time.perf_counter()
        print(f"figure {fig}: {FIGURES[fig]} ...", file=sys.stderr, flush=True)
        try:
            rows += RUNNERS[fig](sizes)
        except Exception as exc:
            ok = False
            traceback.print_exc()
            reason = f"error: {type(exc).__name__}: {exc}"[:300]
            rows.append(Row(fig, FIGURES[fig], None, "", note=reason))
        print(f"figure {fig}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return rows, ok


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.render:
        results = REPO_ROOT / "bench" / "results.json"
        rows, info = report.load(results)
        md = (args.out or REPO_ROOT / "docs") / "benchmarks.md"
        md.parent.mkdir(parents=True, exist_ok=True)
        md.write_text(report.markdown(rows, info))
        print(f"wrote {md} from {results}", file=sys.stderr)
        return EXIT_OK
    # Retries log at WARNING; the API-down figure would print dozens of them.
    logging.basicConfig(level=logging.ERROR)
    sizes = Sizes.for_run(quick=args.quick)
    figures = args.only or list(RUNNERS)
    started = time.perf_counter()
    rows, ok = run(figures, sizes)
    info = report.machine(quick=args.quick, seconds=time.perf_counter() - started)
    if args.out is not None:
        md, results = args.out / "benchmarks.md", args.out / "results.json"
    elif args.quick or args.only:
        out = Path(tempfile.mkdtemp(prefix="bench-"))
        md, results = out / "benchmarks.md", out / "results.json"
    else:
        md, results = REPO_ROOT / "docs" / "benchmarks.md", REPO_ROOT / "bench" / "results.json"
    report.write(md, results, rows, info)
    print(f"wrote {md} and {results}", file=sys.stderr)
    return EXIT_OK if ok else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
