"""`python -m bot.plans`: the client from a shell, for people and scripts.

Exit codes: 0 success, 1 the API failed (a fallback answer), 2 bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from . import envconfig
from .client import CoachPlanClient
from .config import ClientArgs, ClientConfig
from .inputs import DATE_HELP, parse_coach
from .redact import mask_url_credentials
from .tools import _text
from .tools._env import read_env

EXIT_OK: Final = 0
EXIT_UPSTREAM: Final = 1
EXIT_BAD_INPUT: Final = 2
PROG: Final = "python -m bot.plans"
DEFAULT_TIMEOUT_SECONDS: Final = 10.0
DEFAULT_DEADLINE_SECONDS: Final = 15.0


def _parser() -> argparse.ArgumentParser:
    """The options go before or after the command (`--json plan d`, `plan d --json`).

    argparse reads a parent's options only before the subcommand, so each
    subcommand repeats them; its copies default to SUPPRESS, or their defaults
    would overwrite what was given before the command.
    """
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Read coach plans from the Coach Plan API. Days are trading sessions: "
            "`today` is the current session (on a weekend or holiday, the latest one), "
            "`previous` (or `yesterday`) the one before it. Reads the PLANS_* and "
            "COACHES variables as the bot does."
        ),
        epilog="Options go before or after the command. Exit codes: 0 ok, "
        "1 the API failed (a fallback answer), 2 bad input.",
    )
    _add_options(parser, defaults=True)
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Intermixed
    )

    def command(name: str, text: str) -> argparse.ArgumentParser:
        each = sub.add_parser(name, help=text, description=text)
        _add_options(each, defaults=False)
        return each

    plan = command("plan", "one coach's plan")
    plan.add_argument("coach", help="id, name or coach_<id>, any case")
    plan.add_argument("date", nargs="?", help=f"{DATE_HELP} (default: today)")
    plans = command("plans", "every coach's plan for a session")
    plans.add_argument("date", nargs="?", help=f"{DATE_HELP} (default: today)")
    history = command("history", "how one coach's plan was edited: each edit, newest first")
    history.add_argument("coach", help="id, name or coach_<id>, any case")
    history.add_argument("date", nargs="?", help=f"{DATE_HELP} (default: today)")
    command("health", "the API's health and ours, with the URL asked")
    command("metrics", "the API's own counters (a table; JSON with --json)")
    return parser


class _Intermixed(argparse.ArgumentParser):
    """A command's parser that takes options between its words too (`plan d --json today`).

    argparse stops filling positionals at the first option unless asked to
    intermix; `parse_known_intermixed_args` calls `parse_known_args` itself,
    hence the flag that sends that inner call to the plain parse.
    """

    _intermixing = False

    def parse_known_args(  # type: ignore[override]  # typeshed overloads on `namespace`
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        if self._intermixing:
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False


def _add_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument(
        "--api",
        metavar="URL",
        type=envconfig.argument_type(envconfig.API_URL.parse),
        default=default(None),
        help=f"API base URL (default: $PLANS_API_URL or {envconfig.DEFAULT_API_URL})",
    )
    parser.add_argument(
        "--json", action="store_true", default=default(False), help="print JSON for machines"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=default(False), help="log each fetch"
    )
    for flag, parse, seconds, purpose in (
        ("--timeout", envconfig.TIMEOUT_SECONDS.parse, DEFAULT_TIMEOUT_SECONDS, "per attempt"),
        ("--deadline", envconfig.number(above=0), DEFAULT_DEADLINE_SECONDS, "for the whole call"),
    ):
        parser.add_argument(
            flag,
            metavar="SECONDS",
            type=envconfig.argument_type(parse),
            default=default(seconds),
            help=f"seconds {purpose} (default: {seconds:g})",
        )


async def _run(
    args: argparse.Namespace,
    config: ClientConfig,
    names: dict[str, str],
    now: Callable[[], dt.datetime] | None,
) -> tuple[int, Any, str]:
    changes: dict[str, Any] = {"timeout": args.timeout, "deadline_seconds": args.deadline}
    if args.api is not None:
        changes["api_base_url"] = args.api
    config = config.replace(max_retries=2, **changes)
    seams: ClientArgs = {} if now is None else {"now": now}
    async with CoachPlanClient(config=config, **seams) as client:
        if args.command == "plan":
            cid = parse_coach(args.coach, names)
            day = client.normalize_date(args.date)
            plan = await client.fetch_coach_plan(cid, day)
            text = _text.with_today_note(client, args.date, _text.plan_text(plan, names, client))
            return (EXIT_UPSTREAM if plan.error else EXIT_OK), plan.to_dict(), text
        if args.command == "plans":
            day = client.normalize_date(args.date)
            plans = await client.fetch_all_coach_plans(day)
            failed = any(p.error for p in plans.values())  # a failure answers every coach
            text = _text.with_today_note(
                client, args.date, _text.plans_text(day, plans, names, client)
            )
            data = {c: p.to_dict() for c, p in plans.items()}
            return (EXIT_UPSTREAM if failed else EXIT_OK), data, text
        if args.command == "history":
            return await _history(client, args, names)
        if args.command == "health":
            health = await client.check_health()
            code = EXIT_OK if health["healthy"] else EXIT_UPSTREAM
            return code, health, health_text(health)
        metrics = await client.get_server_metrics()
        if "error" in metrics:
            api = mask_url_credentials(config.api_base_url)
            return EXIT_UPSTREAM, metrics, f"no metrics from the API at {api}: {metrics['error']}"
        return EXIT_OK, metrics, metrics_table(metrics)


async def _history(
    client: CoachPlanClient, args: argparse.Namespace, names: dict[str, str]
) -> tuple[int, Any, str]:
    """The history first, then the plan (a history newer than the cached plan drops it)."""
    cid = parse_coach(args.coach, names)
    day = client.normalize_date(args.date)
    history = await client.fetch_plan_history(cid, day)
    failed = history.error is not None and not history.stale
    plan = None if failed else await client.fetch_coach_plan(cid, day)
    text = _text.history_text(history, plan, names, client)
    text = _text.with_today_note(client, args.date, text)
    return (EXIT_UPSTREAM if history.error else EXIT_OK), history.to_dict(), text


def health_text(health: Mapping[str, Any]) -> str:
    """One line: the verdict, the URL asked, and how it answered (or why it did not)."""
    url = health["url"]
    if health["status"] == "unreachable":
        return f"unreachable: {url} ({health['error']})"
    answer = f"HTTP {health['http_status']} in {health['latency_ms']:g} ms"
    return f"{health['status']}: {url} answered {answer}"


def metrics_table(data: Mapping[str, Any], indent: str = "") -> str:
    """The server's counters as aligned `name  value` rows; a nested section is indented.

    Generic on purpose: the counters are the server's, and a new one must show
    up here without a change.
    """
    width = max((len(_label(key)) for key in data), default=0)
    rows = []
    for key, value in data.items():
        if isinstance(value, Mapping):
            rows.append(f"{indent}{_label(key)}")
            rows.append(metrics_table(value, indent + "  "))
        else:
            rows.append(f"{indent}{_label(key):<{width}}  {_cell(value)}")
    return "\n".join(row for row in rows if row)


def _label(key: object) -> str:
    return str(key).replace("_", " ")


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value) or "-"
    return str(value)


def main(argv: Sequence[str] | None = None, *, now: Callable[[], dt.datetime] | None = None) -> int:
    """Run one command; `now` pins the clock (tests), as `CoachPlanClient(now=)` does."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.ERROR,
        format="%(levelname)s %(name)s: %(message)s",
    )
    overridden = frozenset({envconfig.API_URL.keyword} if args.api else ())
    try:
        config, names = read_env(os.environ, overridden)
        code, data, text = asyncio.run(_run(args, config, names, now))
    except ValueError as exc:  # ToolConfigError (the environment), InvalidInput (coach, date)
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(json.dumps(data, indent=2, default=str) if args.json else text)
    return code
