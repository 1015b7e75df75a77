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
import json
import logging
import signal
import sqlite3
import sys
from collections.abc import Callable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Final

from ._clock import DEFAULT_TIMEZONE, server_zone
from ._guard import CONNECTION_CEILING, DEFAULT_HEADER_TIMEOUT_SECONDS
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
# A plan is about a kilobyte: this is tens of thousands of plans, and it keeps a stray
# `load /dev/zero` or a huge file from exhausting memory.
MAX_LOAD_FILE_BYTES: Final = 16 * 1024 * 1024


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
        default=DEFAULT_TIMEZONE,
        help="IANA zone of stamps and of the default day (default: %(default)s)",
    )
    parser.add_argument(
        "--log-level", type=str.upper, choices=("DEBUG", "INFO", "WARNING", "ERROR"), default=None
    )
    return parser


def _serve_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
    parser.add_argument(
        "--header-timeout",
        metavar="SECONDS",
        type=_positive(float),
        default=DEFAULT_HEADER_TIMEOUT_SECONDS,
        help="close a connection that has not sent its request head by then (default: %(default)g)",
    )
    parser.add_argument(
        "--body-timeout",
        metavar="SECONDS",
        type=_positive(float),
        default=DEFAULT_BODY_TIMEOUT_SECONDS,
        help="how long to drain a request body nobody reads (default: %(default)g)",
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
    parser = argparse.ArgumentParser(
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


def _shown(path: object) -> str:
    """A path as one printable line: a name with a newline or undecodable bytes is quoted."""
    text = str(path)
    return text if text.isprintable() else repr(text)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


class _Rejected(Exception):
    """The load file cannot be used; the message is the whole sentence for stderr."""


def _read_rows(path: Path) -> object:
    """The JSON value in `path`, or `_Rejected` saying in one sentence why there is none."""
    name = _shown(path)
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_LOAD_FILE_BYTES + 1)
    except OSError as exc:
        raise _Rejected(f"cannot read {name}: {exc.strerror or _one_line(exc)}") from None
    if len(raw) > MAX_LOAD_FILE_BYTES:
        raise _Rejected(f"{name} is too large: over {MAX_LOAD_FILE_BYTES // 2**20} MiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = raw[exc.start]
        raise _Rejected(
            f"{name} is not valid JSON: not UTF-8 text (byte {byte:#04x} at offset {exc.start})"
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise _Rejected(f"{name} is not valid JSON: {exc.msg} at {where}") from None
    except RecursionError:
        raise _Rejected(f"{name} is nested too deeply to load") from None
    except ValueError:  # the only other one: an integer past Python's digit limit
        raise _Rejected(f"{name} holds a number too long to load") from None
    except MemoryError:
        raise _Rejected(f"{name} is too large to load") from None


def _load(args: argparse.Namespace) -> int:
    repeats = _configure_logging(args.log_level, logging.WARNING)
    db = DEFAULT_DB_PATH if args.db is None else args.db
    try:
        rows = _read_rows(args.file)
        count = load_plans(db, rows, coaches=_coaches(args.coaches), timezone=args.timezone)
    except _Rejected as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REJECTED
    except LoadError as exc:
        print(f"error: {_shown(args.file)}: {exc}; nothing was written", file=sys.stderr)
        return EXIT_REJECTED
    except sqlite3.Error as exc:
        print(
            f"error: database {_shown(db)}: {_one_line(exc)}; nothing was written", file=sys.stderr
        )
        return EXIT_FAILURE
    except Exception as exc:
        log.debug("loading %s failed", args.file, exc_info=True)
        print(
            f"error: cannot load {_shown(args.file)} into {_shown(db)}: {_one_line(exc)}; "
            "nothing was written",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    finally:
        log_suppressed(log, repeats.drain())
    print(f"loaded {count} plans from {_shown(args.file)} into {_shown(db)}")
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
        print(f"error: cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except sqlite3.Error as exc:
        print(f"error: database {_shown(db)}: {_one_line(exc)}", file=sys.stderr)
        return EXIT_FAILURE
    except ForeignPlansError as exc:
        hint = "" if args.db is None else f"; leave out --db to use {DEFAULT_DEMO_DB_PATH}"
        print(f"error: {exc}{hint}", file=sys.stderr)
        return EXIT_REJECTED
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REJECTED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
