"""Command line: `python -m bot.reference_api [--demo]` serves, `... load FILE.json` loads.

Exit codes: 0 done (including a stop by Ctrl-C or SIGTERM), 1 the server or the
database failed, 2 the input was rejected (bad arguments, unreadable file, invalid
JSON, a bad row, a demo asked to write over real plans; nothing is written then).
Every failure is one sentence on stderr, never a traceback (`--log-level DEBUG`
logs the traceback of an unexpected one).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sqlite3
import sys
from collections.abc import Callable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Final, NoReturn

from ._clock import DEFAULT_TIMEZONE, server_zone
from ._guard import CONNECTION_CEILING, DEFAULT_HEADER_TIMEOUT_SECONDS
from ._loadfile import LoadFileRejected, one_line, read_rows, shown
from ._logs import RepeatFilter, log_suppressed
from .db import ForeignPlansError
from .loader import DEFAULT_COACHES, LoadError, load_plans
from .runner import (
    DEFAULT_BODY_TIMEOUT_SECONDS,
    DEFAULT_DB_PATH,
    DEFAULT_DEMO_DB_PATH,
    DEFAULT_HOST,
    is_loopback,
    serve,
)

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
        return _load(_load_parser().parse_args(args[1:]))
    if args[:1] == ["serve"]:
        args = args[1:]
    return _serve(_serve_parser().parse_args(args))


class _Parser(argparse.ArgumentParser):
    """Every argument is checked by its `type=`, and every refusal is one line: exit 2.

    One line rather than argparse's usage block: a bad value (`--timezone
    Nowhere/Else`, `--port x`) needs the sentence that says why, and `--help`
    is there for the usage.
    """

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_REJECTED, f"{self.prog}: error: {message}\n")


def _common(parser: argparse.ArgumentParser, db_help: str) -> argparse.ArgumentParser:
    parser.add_argument("--db", metavar="FILE", default=None, help=db_help)
    parser.add_argument(
        "--coaches",
        default=",".join(DEFAULT_COACHES),
        help="comma-separated coach ids (default: %(default)s)",
    )
    parser.add_argument(
        "--timezone",
        metavar="ZONE",
        type=_zone,
        default=DEFAULT_TIMEZONE,
        help="IANA zone of stamps and of the default day (default: %(default)s)",
    )
    parser.add_argument(
        "--log-level", type=str.upper, choices=("DEBUG", "INFO", "WARNING", "ERROR"), default=None
    )
    return parser


def _serve_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m bot.reference_api",
        description="Serve the reference Coach Plan API.",
        epilog="Load plans with: python -m bot.reference_api load FILE.json [--db FILE]",
    )
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help="address to bind (default: %(default)s)"
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="fill the last five NYSE sessions (only into a new or demo-only database)",
    )
    parser.add_argument(
        "--read-only", action="store_true", help="serve the database without ever writing it"
    )
    for flag, default, purpose in (
        ("--header-timeout", DEFAULT_HEADER_TIMEOUT_SECONDS,
         "close a connection that has not sent its request head by then"),
        ("--body-timeout", DEFAULT_BODY_TIMEOUT_SECONDS,
         "how long to drain a request body nobody reads"),
    ):  # fmt: skip
        parser.add_argument(
            flag,
            metavar="SECONDS",
            type=_positive(float),
            default=default,
            help=f"{purpose} (default: %(default)g)",
        )
    parser.add_argument(
        "--max-connections",
        metavar="N",
        type=_positive(int),
        default=None,
        help=f"open connections at most (default: {CONNECTION_CEILING}, or half the "
        "open-file limit if lower)",
    )
    return _common(
        parser,
        f"SQLite file (default: {DEFAULT_DB_PATH}, with --demo {DEFAULT_DEMO_DB_PATH})",
    )


def _load_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m bot.reference_api load",
        description="Load plans from a JSON file (all rows or none); see docs/reference-api.md.",
    )
    parser.add_argument("file", type=Path, help="JSON list of plan objects")
    return _common(parser, f"SQLite file (default: {DEFAULT_DB_PATH})")


def _positive(kind: type[float] | type[int]) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = kind(raw)
        except ValueError:
            whole = "whole " if kind is int else ""
            raise argparse.ArgumentTypeError(f"not a {whole}number: {raw!r}") from None
        if not value > 0 or value == float("inf"):
            raise argparse.ArgumentTypeError(f"must be a positive number, got {raw!r}")
        return value

    return parse


def _zone(raw: str) -> str:
    """A zone name the server accepts (checked now, so nothing starts with a bad one)."""
    try:
        server_zone(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return raw


def _coaches(raw: str) -> tuple[str, ...]:
    return tuple(coach.strip() for coach in raw.split(",") if coach.strip())


def _configure_logging(level: str | None, default: int) -> RepeatFilter:
    """stderr, with identical warnings and errors from any logger written once per minute."""
    logging.basicConfig(
        level=level or default,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    repeats = RepeatFilter()
    for handler in logging.getLogger().handlers:
        handler.addFilter(repeats)
    return repeats


def _load(args: argparse.Namespace) -> int:
    repeats = _configure_logging(args.log_level, logging.WARNING)
    db = DEFAULT_DB_PATH if args.db is None else args.db
    file, nothing = shown(args.file), "nothing was written"
    try:
        rows = read_rows(args.file)
        count = load_plans(db, rows, coaches=_coaches(args.coaches), timezone=args.timezone)
    except LoadFileRejected as exc:
        return _fail(EXIT_REJECTED, str(exc))
    except LoadError as exc:
        return _fail(EXIT_REJECTED, f"{file}: {exc}; {nothing}")
    except sqlite3.Error as exc:
        return _fail(EXIT_FAILURE, f"database {shown(db)}: {one_line(exc)}; {nothing}")
    except Exception as exc:
        log.debug("loading %s failed", args.file, exc_info=True)
        return _fail(
            EXIT_FAILURE, f"cannot load {file} into {shown(db)}: {one_line(exc)}; {nothing}"
        )
    finally:
        log_suppressed(log, repeats.drain())
    plans = "plan" if count == 1 else "plans"
    print(f"loaded {count} {plans} from {file} into {shown(db)}")
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    repeats = _configure_logging(args.log_level, logging.INFO)
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
    finally:
        log_suppressed(log, repeats.drain())


async def _run(args: argparse.Namespace) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):  # Windows: Ctrl-C arrives as KeyboardInterrupt
            loop.add_signal_handler(signum, stop.set)
    db = args.db or (DEFAULT_DEMO_DB_PATH if args.demo else DEFAULT_DB_PATH)
    try:
        async with serve(
            db,
            host=args.host,
            port=args.port,
            demo=args.demo,
            coaches=_coaches(args.coaches),
            timezone=args.timezone,
            read_only=args.read_only,
            header_timeout=args.header_timeout,
            body_timeout=args.body_timeout,
            max_connections=args.max_connections,
        ) as server:
            print(f"Coach Plan API on {server.url}/ (database {server.db_path})", flush=True)
            await stop.wait()
            log.info("stopping")
    except OSError as exc:
        return _fail(EXIT_FAILURE, f"cannot serve on {args.host}:{args.port}: {exc}")
    except sqlite3.Error as exc:
        return _fail(EXIT_FAILURE, f"database {shown(db)}: {one_line(exc)}")
    except ForeignPlansError as exc:
        hint = "" if args.db is None else f"; leave out --db to use {DEFAULT_DEMO_DB_PATH}"
        return _fail(EXIT_REJECTED, f"{exc}{hint}")
    except ValueError as exc:
        return _fail(EXIT_REJECTED, str(exc))
    return EXIT_OK


def _fail(code: int, sentence: str) -> int:
    """Print the one sentence a failure gets on stderr; return the exit code it goes with.

    `bot.plans.cli` words its failures the same way with a line of its own:
    neither package may import the other.
    """
    print(f"error: {sentence}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
