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
from collections.abc import Callable, Sequence
from typing import Any, Final

from . import envconfig
from .client import CoachPlanClient
from .config import ClientArgs, ClientConfig
from .inputs import DATE_HELP, parse_coach
from .models import InvalidInput
from .tools import _text
from .tools._env import ToolConfigError, read_env

EXIT_OK: Final = 0
EXIT_UPSTREAM: Final = 1
EXIT_BAD_INPUT: Final = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot.plans",
        description=(
            "Read coach plans from the Coach Plan API. Days are trading sessions: "
            "`today` is the current session (on a weekend or holiday, the latest one), "
            "`previous` (or `yesterday`) the one before it. Reads the PLANS_* and "
            "COACHES variables as the bot does."
        ),
    )
    parser.add_argument(
        "--api",
        default=None,
        help=f"API base URL (default: $PLANS_API_URL or {envconfig.DEFAULT_API_URL})",
    )
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each fetch")
    parser.add_argument("--timeout", type=float, default=10, help="seconds per attempt")
    parser.add_argument("--deadline", type=float, default=15, help="seconds for the whole call")
    sub = parser.add_subparsers(dest="command", required=True)
    plan = sub.add_parser("plan", help="one coach's plan")
    plan.add_argument("coach", help="id, name or coach_<id>, any case")
    plan.add_argument("date", nargs="?", help=f"{DATE_HELP} (default: today)")
    plans = sub.add_parser("plans", help="every coach's plan for a session")
    plans.add_argument("date", nargs="?", help=f"{DATE_HELP} (default: today)")
    sub.add_parser("health", help="the API's health and ours")
    sub.add_parser("metrics", help="the API's own counters")
    return parser


async def _run(
    args: argparse.Namespace,
    config: ClientConfig,
    names: dict[str, str],
    now: Callable[[], dt.datetime] | None,
) -> tuple[int, Any, str]:
    config = config.replace(timeout=args.timeout, deadline_seconds=args.deadline, max_retries=2)
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
            failed = all(p.error for p in plans.values())
            text = _text.with_today_note(
                client, args.date, _text.plans_text(day, plans, names, client)
            )
            data = {c: p.to_dict() for c, p in plans.items()}
            return (EXIT_UPSTREAM if failed else EXIT_OK), data, text
        if args.command == "health":
            health = await client.check_health()
            return (EXIT_OK if health["healthy"] else EXIT_UPSTREAM), health, health["status"]
        metrics = await client.get_server_metrics()
        code = EXIT_UPSTREAM if "error" in metrics else EXIT_OK
        return code, metrics, json.dumps(metrics, indent=2)


def main(argv: Sequence[str] | None = None, *, now: Callable[[], dt.datetime] | None = None) -> int:
    """Run one command; `now` pins the clock (tests), as `CoachPlanClient(now=)` does."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.ERROR,
        format="%(levelname)s %(name)s: %(message)s",
    )
    overridden = frozenset({"api_base_url"} if args.api else ())
    try:
        config, names = read_env(os.environ, overridden)
        if args.api:
            config = config.replace(api_base_url=args.api)
    except ToolConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ValueError as exc:
        print(f"error: --api must be {str(exc).partition(' must be ')[2] or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        code, data, text = asyncio.run(_run(args, config, names, now))
    except (InvalidInput, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(json.dumps(data, indent=2, default=str) if args.json else text)
    return code
