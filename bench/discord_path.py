"""Figure 10's body, run in its own process: `/plan` through SimCord, hit and miss.

    python -m bench.discord_path --url URL --calls 30

The bot is built the way `python -m bot` builds it (`Settings.from_env`, then
`create_bot`, connections closed after use as in the offline mode) and runs
in SimCord. Timers wrap the client's `fetch_coach_plan`, `one_plan.plan_embed`
and the two Discord calls of a `/plan` (defer, followup), so a hit splits into
the client's share and the cog's own (render + respond). Prints one JSON object.

SimCord makes `time.monotonic` virtual inside the bot, which is one reason
this runs apart from the other figures; timings here use `perf_counter`.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, Final

from bench.measure import fresh_days

SETTLE_TIMEOUT_SECONDS: Final = 15.0
HIT_DAY: Final = "2024-11-08"


class Timers:
    """Seconds spent in each wrapped callable during the current command."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}

    def reset(self) -> None:
        self.spent = {}

    def wrap_async(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                self.spent[name] = self.spent.get(name, 0.0) + time.perf_counter() - started

        return timed

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spent[name] = self.spent.get(name, 0.0) + time.perf_counter() - started

        return timed


async def measure(url: str, calls: int) -> dict[str, Any]:
    import discord
    import simcord

    from bot.app import create_bot
    from bot.offline.world import closing_connector
    from bot.settings import Settings
    from cogs.render import one_plan

    timers = Timers()
    one_plan.plan_embed = timers.wrap("render", one_plan.plan_embed)
    response_type = discord.InteractionResponse
    response_type.defer = timers.wrap_async("respond", response_type.defer)  # type: ignore[method-assign]
    webhook_type = discord.Webhook
    webhook_type.send = timers.wrap_async("respond", webhook_type.send)  # type: ignore[method-assign]

    environ = {
        "PLANS_API_URL": url,
        "RATE_LIMIT_USES": "1000",
        "LOG_LEVEL": "ERROR",
    }
    bot = create_bot(Settings.from_env(environ, env_file=None), connector_factory=closing_connector)
    out: dict[str, Any] = {"hit": [], "miss": [], "stats": [], "split": []}
    async with simcord.run(bot, settle_timeout=SETTLE_TIMEOUT_SECONDS, check_errors=False) as env:
        try:
            guild = env.create_guild("Bench Desk")
            channel = guild.create_text_channel("plans")
            member = guild.add_member(env.create_user("bench"))
            client = bot.plans
            assert client is not None, "setup_hook did not create the plan client"
            # The client's share: a hit is answered by peek_fresh (no I/O), a miss by
            # fetch_coach_plan; both count as "client".
            client.fetch_coach_plan = timers.wrap_async(  # type: ignore[method-assign]
                "client", client.fetch_coach_plan
            )
            client.peek_fresh = timers.wrap(  # type: ignore[method-assign]
                "client", client.peek_fresh
            )
            days = fresh_days()

            async def slash(**options: str) -> float:
                timers.reset()
                started = time.perf_counter()
                await member.slash(channel, "plan", **options)
                return time.perf_counter() - started

            await slash(coach="d", date=HIT_DAY)  # warm-up, and the key for the hits
            await member.slash(channel, "cachestats")
            for _ in range(calls):
                out["hit"].append(await slash(coach="d", date=HIT_DAY))
                out["split"].append(dict(timers.spent))
                out["miss"].append(await slash(coach="d", date=next(days)))
                started = time.perf_counter()
                await member.slash(channel, "cachestats")
                out["stats"].append(time.perf_counter() - started)
            out["errors"] = [repr(e) for e in env.errors]
            metrics = client.get_metrics()["requests"]
            out["client_hits"] = metrics["cache_hits"]
            out["client_misses"] = metrics["cache_misses"]
        finally:
            await bot.close()  # before the env shuts down, so cog_unload closes the client
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.discord_path")
    parser.add_argument("--url", required=True)
    parser.add_argument("--calls", type=int, default=30)
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(measure(args.url, args.calls))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
