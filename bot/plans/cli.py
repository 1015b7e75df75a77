"""`python -m bot.plans`: the client from a shell, for people and scripts.

Exit codes: 0 success, 1 the API failed (a fallback answer), 2 bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any, Final

from .client import CoachPlanClient
from .models import CoachPlan, InvalidInput

EXIT_OK: Final = 0
EXIT_UPSTREAM: Final = 1
EXIT_BAD_INPUT: Final = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot.plans", description="Read coach plans from the Coach Plan API."
    )
    parser.add_argument(
        "--api",
        default=os.environ.get("PLANS_API_URL", "http://localhost:5000"),
        help="API base URL (default: $PLANS_API_URL or http://localhost:5000)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each fetch")
    parser.add_argument("--timeout", type=float, default=10, help="seconds per attempt")
    parser.add_argument("--deadline", type=float, default=15, help="seconds for the whole call")
    sub = parser.add_subparsers(dest="command", required=True)
    plan = sub.add_parser("plan", help="one coach's plan")
    plan.add_argument("coach")
    plan.add_argument("date", nargs="?", help="YYYY-MM-DD (default: today, US/Eastern)")
    plans = sub.add_parser("plans", help="every coach's plan for a day")
    plans.add_argument("date", nargs="?")
    sub.add_parser("health", help="the API's health and ours")
    sub.add_parser("metrics", help="the API's own counters")
    return parser


def _plan_text(plan: CoachPlan) -> str:
    if plan.error:
        return f"[{plan.coach}] {plan.date}: {plan.plan}"
    lines = [f"[{plan.coach}] {plan.date}" + (f" by {plan.author}" if plan.author else "")]
    lines.append(plan.plan)
    lines.extend(f"  chart: {url}" for url in plan.charts)
    if plan.stale:
        lines.append(f"  (stale: the API is down; fetched {plan.age_seconds:.0f}s ago)")
    return "\n".join(lines)


async def _run(args: argparse.Namespace) -> tuple[int, Any, str]:
    async with CoachPlanClient(
        args.api, timeout=args.timeout, deadline_seconds=args.deadline, max_retries=2
    ) as client:
        if args.command == "plan":
            plan = await client.fetch_coach_plan(args.coach, args.date)
            return (EXIT_UPSTREAM if plan.error else EXIT_OK), plan.to_dict(), _plan_text(plan)
        if args.command == "plans":
            plans = await client.fetch_all_coach_plans(args.date)
            failed = all(p.error for p in plans.values())
            text = "\n\n".join(_plan_text(p) for p in plans.values())
            data = {c: p.to_dict() for c, p in plans.items()}
            return (EXIT_UPSTREAM if failed else EXIT_OK), data, text
        if args.command == "health":
            health = await client.check_health()
            return (EXIT_OK if health["healthy"] else EXIT_UPSTREAM), health, health["status"]
        metrics = await client.get_server_metrics()
        code = EXIT_UPSTREAM if "error" in metrics else EXIT_OK
        return code, metrics, json.dumps(metrics, indent=2)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.ERROR,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        code, data, text = asyncio.run(_run(args))
    except (InvalidInput, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(json.dumps(data, indent=2, default=str) if args.json else text)
    return code
