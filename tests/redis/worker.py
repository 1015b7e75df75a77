"""One process with one RedisTier, driven by a test through JSON lines on stdin and stdout.

`python -m tests.redis.worker '<config json>'` prints `{"event": "ready"}` once
it listens, then runs each command line as its own task (so a hanging load
does not block the next command) and prints what happened. Its "upstream" is
an INCR of `<prefix>:test:upstream`, so the test counts every request made by
every process, dead ones included.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any

import redis.asyncio as aioredis

from bot.plans.models import CoachPlan
from bot.plans.shared import PLAN_CODEC, Answer, Failed, Found, Invalidation
from bot.plans.shared.tier import RedisTier


def emit(event: str, **data: Any) -> None:
    print(json.dumps({"event": event, **data}), flush=True)


async def serve(handle: Callable[[dict[str, Any]], Coroutine[Any, Any, None]]) -> None:
    """Say "ready", then run each command line from stdin as its own task until "exit"
    (a held request does not block the next command); cancel what is left."""
    emit("ready", pid=os.getpid())
    tasks: set[asyncio.Task[None]] = set()
    while line := await asyncio.to_thread(sys.stdin.readline):
        cmd = json.loads(line)
        if cmd["op"] == "exit":
            break
        task = asyncio.create_task(handle(cmd))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def upstream_key(prefix: str) -> str:
    return f"{prefix}:test:upstream"


class Worker:
    def __init__(self, config: dict[str, Any]) -> None:
        self.prefix: str = config["prefix"]
        self.tier = RedisTier(
            config["url"],
            prefix=self.prefix,
            timeout_seconds=config.get("timeout_seconds", 2.0),
            lock_ttl_seconds=config.get("lock_ttl_seconds", 5.0),
            on_invalidate=self.invalidated,
            on_breaker=lambda seconds: emit("breaker", seconds=seconds),
        )
        self.counter = aioredis.Redis.from_url(config["url"])
        #: Gated fetches wait for an `open_gate` command (or forever: a hung API).
        self.gate = asyncio.Event()

    def invalidated(self, clear: Invalidation) -> None:
        emit("invalidated", coach=clear.coach, day=clear.day)

    async def fetch(self, coach: str, day: str, seconds: float, gated: bool) -> Answer[CoachPlan]:
        await self.counter.incr(upstream_key(self.prefix))
        emit("fetching", coach=coach, day=day)
        if gated:
            await self.gate.wait()
        await asyncio.sleep(seconds)
        plan = CoachPlan(
            coach=coach,
            day=dt.date.fromisoformat(day),
            plan=f"fetched by {os.getpid()}",
            found=True,
            fetched_at=dt.datetime.now(dt.UTC),
        )
        return Answer(plan, ttl_seconds=60.0, stale_ttl_seconds=600.0)

    async def load_once(self, cmd: dict[str, Any]) -> dict[str, Any]:
        key = (cmd["coach"], cmd["day"])

        async def fetch(generation: int) -> Answer[CoachPlan]:
            seconds = cmd.get("fetch_seconds", 0.0)
            return await self.fetch(key[0], key[1], seconds, cmd.get("gated", False))

        deadline_at = time.monotonic() + cmd.get("deadline_seconds", 30.0)
        outcome = await self.tier.load(key, PLAN_CODEC, fetch, deadline_at=deadline_at)
        if isinstance(outcome, Found):
            return {"kind": "found", "source": outcome.source, "commands": outcome.commands,
                    "plan": outcome.value.plan}  # fmt: skip
        kind = "failed" if isinstance(outcome, Failed) else "unavailable"
        return {"kind": kind, "commands": outcome.commands}

    async def handle(self, cmd: dict[str, Any]) -> None:
        op = cmd["op"]
        if op == "load":
            calls = [self.load_once(cmd) for _ in range(cmd.get("n", 1))]
            results = await asyncio.gather(*calls)
            emit("loaded", id=cmd.get("id"), results=results, stats=self.tier.snapshot())
        elif op == "clear":
            cleared = await self.tier.clear(cmd.get("coach"), cmd.get("day"))
            emit("cleared", dropped=cleared.dropped, everywhere=cleared.everywhere)
        elif op == "open_breaker":
            emit("breaker_set", ok=await self.tier.open_breaker(cmd["seconds"]))
        elif op == "close_breaker":
            emit("breaker_set", ok=await self.tier.close_breaker())
        elif op == "open_gate":
            self.gate.set()
        elif op == "stats":
            emit("stats", stats=self.tier.snapshot())

    async def run(self) -> None:
        self.tier.start()
        await asyncio.wait_for(self.tier.listening.wait(), 30)
        await serve(self.handle)
        await self.tier.close()
        await self.counter.aclose()


if __name__ == "__main__":
    asyncio.run(Worker(json.loads(sys.argv[1])).run())
