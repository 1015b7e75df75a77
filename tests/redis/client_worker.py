"""One process with one real CoachPlanClient on a shared Redis, driven by a test in JSON lines.

`python -m tests.redis.client_worker '<config json>'` builds the client (the
contract server's URL, the test's Redis and prefix, a pinned "now"), prints
`{"event": "ready"}` once its tier listens to the other processes, then runs
each command line as its own task (a held request does not block the next
command) and prints what happened. A shard process or an agent worker, as far
as Redis and the API can tell.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
from typing import Any

from bot.plans import CoachPlan, CoachPlanClient
from tests.redis.worker import emit, serve


def shown(plan: CoachPlan) -> dict[str, Any]:
    return {
        "plan": plan.plan,
        "found": plan.found,
        "from_cache": plan.from_cache,
        "stale": plan.stale,
        "error": plan.error,
    }


class ClientWorker:
    def __init__(self, config: dict[str, Any]) -> None:
        now = dt.datetime.fromisoformat(config["now"])
        self.client = CoachPlanClient(
            config["api_url"],
            redis_url=config["url"],
            redis_prefix=config["prefix"],
            redis_timeout_seconds=config.get("redis_timeout_seconds", 2.0),
            max_retries=config.get("max_retries", 1),
            breaker_failures=config.get("breaker_failures", 5),
            deadline_seconds=config.get("deadline_seconds", 60.0),
            now=lambda: now,
        )
        shared = self.client._shared
        assert shared is not None
        self.tier = shared.tier
        if "lock_ttl_seconds" in config:  # a dead holder's lock expires sooner in tests
            self.tier._flight._lock_ms = round(config["lock_ttl_seconds"] * 1000)

    async def handle(self, cmd: dict[str, Any]) -> None:
        op, client = cmd["op"], self.client
        if op == "fetch":
            calls = [
                client.fetch_coach_plan(cmd["coach"], cmd.get("date"), deadline=cmd.get("deadline"))
                for _ in range(cmd.get("n", 1))
            ]
            plans = await asyncio.gather(*calls)
            emit("fetched", results=[shown(p) for p in plans], metrics=client.get_metrics())
        elif op == "fetch_all":
            everyone = await client.fetch_all_coach_plans(cmd.get("date"))
            emit("fetched_all", results={c: shown(p) for c, p in everyone.items()})
        elif op == "clear":
            coach, date = cmd.get("coach"), cmd.get("date")
            emit("cleared", dropped=await client.clear_cache_everywhere(coach, date))
        elif op == "metrics":
            emit("metrics", metrics=client.get_metrics())

    async def run(self) -> None:
        async with self.client:
            await asyncio.wait_for(self.tier.listening.wait(), 30)
            await serve(self.handle)


if __name__ == "__main__":
    asyncio.run(ClientWorker(json.loads(sys.argv[1])).run())
