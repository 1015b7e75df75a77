"""The two things we need from SimCord that it offers no public way to do, in one place.

SimCord (pinned to the versions in pyproject.toml) has no public API to start
its virtual clock at a chosen instant, nor to queue a Preview page's actions
behind other operations. Both are reached through private attributes here and
nowhere else; `tests/offline/test_simcord_adapter.py` checks those attributes
on a real Env and Preview, so a SimCord release that moves them fails that test
loudly instead of the offline mode failing quietly.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from typing import Any


def start_clock_at(env: Any, start: dt.datetime) -> None:
    """SimCord's virtual clock starts at `start` (aware) instead of 2026-01-01.

    The plan client and the demo API read this clock: without it the world
    would think it is New Year's Day. Must be called before `env.start()`.
    """
    env.backend.clock._epoch = start


def serialize_page_actions(
    preview: Any, lock: asyncio.Lock, before: Callable[[], Awaitable[None]] | None = None
) -> None:
    """Make page actions queue behind console commands instead of colliding.

    SimCord allows one operation per world; a page action arriving during a
    console command is refused and leaves the page needing a reload. Wrapping
    the Preview's action entry point in our lock makes the page wait its turn;
    `before` runs first, inside the lock (the clock catching up with the wall).
    """
    original: Callable[[Any, Mapping[str, Any]], Awaitable[Any]] = preview._action

    async def action_in_turn(context_id: Any, body: Mapping[str, Any]) -> Any:
        async with lock:
            if before is not None:
                await before()
            return await original(context_id, body)

    preview._action = action_in_turn
