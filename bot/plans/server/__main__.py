"""Command line: `python -m bot.plans.server [--demo]` serves, `... load FILE.json` loads.

Exit codes: 0 done (including a stop by Ctrl-C or SIGTERM), 1 the server or the
database failed, 2 the input was rejected (bad arguments, unreadable file, invalid
JSON, a bad row; nothing is written then).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sqlite3
import sys
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import Final

from ._clock import DEFAULT_TIMEZONE, server_zone
from .loader import DEFAULT_COACHES, LoadError, load_plans
from .runner import DEFAULT_DB_PATH, DEFAULT_HOST, is_loopback, serve

log = logging.getLogger(__name__)

EXIT_OK: Final = 0
EXIT_FAILURE: Final = 1
EXIT_REJECTED: Final = 2
DEFAULT_PORT: Final = 5000


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    # Dispatch by hand: argparse subcommands would make `--db` ambiguous between the
    # default command (serve) and `load`.
    if args[:1] == ["load"]:
        return _load(_parse(_load_parser(), args[1:]))
    if args[:1] == ["serve"]:
        args = args[1:]
    return _serve(_parse(_serve_parser(), args))


def _parse(parser: argparse.ArgumentParser, args: Sequence[str]) -> argparse.Namespace:
    """Parse, then refuse an unknown `--timezone` as argparse refuses a bad flag: exit 2.

    Checked here rather than by `type=`, so the refusal is one line without the usage.
    """
    parsed = parser.parse_args(args)
    try:
        server_zone(parsed.timezone)
    except ValueError as exc:
        print(f"{parser.prog}: error: argument --timezone: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_REJECTED) from None
    return parsed


def _common(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "--db", metavar="FILE", default=DEFAULT_DB_PATH, help="SQLite file (default: %(default)s)"
    )
    parser.add_argument(
        "--coaches",
        default=",".join(DEFAULT_COACHES),
        help="comma-separated coach ids (default: %(default)s)",
    )
    parser.add_argument(
        "--timezone",
        metavar="ZONE",
        default=DEFAULT_TIMEZONE,
        help="IANA zone of stamps and of the default day (default: %(default)s)",
    )
    parser.add_argument(
        "--log-level", type=str.upper, choices=("DEBUG", "INFO", "WARNING", "ERROR"), default=None
    )
    return parser


def _serve_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot.plans.server",
        description="Serve the reference Coach Plan API.",
        epilog="Load plans with: python -m bot.plans.server load FILE.json [--db FILE]",
    )
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help="address to bind (default: %(default)s)"
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--demo", action="store_true", help="fill the last five NYSE sessions")
    return _common(parser)


def _load_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot.plans.server load",
        description="Load plans from a JSON file (all rows or none); see docs/reference-api.md.",
    )
    parser.add_argument("file", type=Path, help="JSON list of plan objects")
    return _common(parser)


def _coaches(raw: str) -> tuple[str, ...]:
    return tuple(coach.strip() for coach in raw.split(",") if coach.strip())


def _configure_logging(level: str | None, default: int) -> None:
    logging.basicConfig(
        level=level or default,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _load(args: argparse.Namespace) -> int:
    _configure_logging(args.log_level, logging.WARNING)
    try:
        rows = json.loads(args.file.read_text(encoding="utf-8"))
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_REJECTED
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        print(f"error: {args.file} is not valid JSON: {exc}", file=sys.stderr)
        return EXIT_REJECTED
    try:
        count = load_plans(args.db, rows, coaches=_coaches(args.coaches), timezone=args.timezone)
    except LoadError as exc:
        print(f"error: {args.file}: {exc}; nothing was written", file=sys.stderr)
        return EXIT_REJECTED
    except sqlite3.Error as exc:
        print(f"error: database {args.db}: {exc}; nothing was written", file=sys.stderr)
        return EXIT_FAILURE
    print(f"loaded {count} plans from {args.file} into {args.db}")
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    _configure_logging(args.log_level, logging.INFO)
    if not is_loopback(args.host):
        print(
            f"warning: binding {args.host}: this unauthenticated API will be reachable "
            "from other machines",
            file=sys.stderr,
        )
    try:
        return asyncio.run(_run(args))
    except KeyboardInterrupt:  # Ctrl-C before the signal handlers were installed
        return EXIT_OK


async def _run(args: argparse.Namespace) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):  # Windows: Ctrl-C arrives as KeyboardInterrupt
            loop.add_signal_handler(signum, stop.set)
    try:
        async with serve(
            args.db,
            host=args.host,
            port=args.port,
            demo=args.demo,
            coaches=_coaches(args.coaches),
            timezone=args.timezone,
        ) as server:
            print(f"Coach Plan API on {server.url}/ (database {server.db_path})", flush=True)
            await stop.wait()
            log.info("stopping")
    except OSError as exc:
        print(f"error: cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except sqlite3.Error as exc:
        print(f"error: database {args.db}: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REJECTED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
