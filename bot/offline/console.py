"""The terminal side of the offline mode: type slash commands, read the bot's replies.

Lines come from stdin through the event loop (no thread to outlive Ctrl-C),
so the same console works typed by a person or piped from a script.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Iterable
from typing import Final, TextIO
from zoneinfo import ZoneInfo

from bot.offline.commandline import CommandLineError, parse_command
from bot.offline.terminal import render_reply
from bot.offline.world import OfflineWorld, Outcome
from bot.plans.wording import plural
from bot.settings import Coach

HELP: Final = """\
Commands (as in Discord; positional or name:value options):
  /plan d                       a coach's plan for today (the current trading session)
  /plan coach:d date:previous   ... for another session (YYYY-MM-DD, today, previous)
  /plans [date]                 every coach's plan for a session
  /history d [date]             how a coach's plan was edited, newest edit first
  /cachestats                   the plan client's cache and API figures
  /clearcache [coach] [date]    drop cached plans (moderators only)
Coaches (id or name, any case; quote a name with spaces):
{coaches}
Console:
  /as member | /as moderator    switch who is typing
  /help                         this text
  /quit                         stop everything (Ctrl-C works too)"""


def help_text(coaches: Iterable[Coach]) -> str:
    """`/help`, listing every configured coach (COACHES), not a sample of them."""
    return HELP.format(coaches="\n".join(f"  {c.id:<30}{c.name}" for c in coaches))


class Console:
    """Runs lines against the world as the current user and prints what they see."""

    def __init__(self, world: OfflineWorld, out: TextIO = sys.stdout) -> None:
        self.world = world
        self.actor = "member"
        self.out = out
        self.failures = 0
        self.quit_requested = False
        self._tz = ZoneInfo(world.settings.timezone)

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    @property
    def prompt(self) -> str:
        return f"{self.actor}> "

    async def handle(self, line: str) -> bool:
        """Run one line; False means the user asked to quit."""
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        word = line.split()[0].lower()
        if word in ("/quit", "/exit"):
            self.quit_requested = True
            return False
        if word == "/help":
            self.say(help_text(self.world.settings.coaches))
            return True
        if word == "/as":
            who = line.split()[1:2]
            if who and who[0].lower() in self.world.actors:
                self.actor = who[0].lower()
                self.say(f"Now acting as the {self.actor}.")
            else:
                self.say("Usage: /as member | /as moderator")
            return True
        try:
            call = parse_command(line, self.world.bot.tree)
        except CommandLineError as exc:
            self.say(f"! {exc}")
            self.failures += 1
            return True
        outcome = await self.world.run(self.actor, call)
        self.show(outcome)
        await self.world.refresh_page()
        return True

    def show(self, outcome: Outcome) -> None:
        self.say(f"\n[{outcome.actor}] {outcome.call}")
        if outcome.failed:
            self.failures += 1
        if outcome.problem is not None:
            self.say(f"! {outcome.problem}")
        if outcome.fallbacks:
            answers = plural(outcome.fallbacks, "answer")
            self.say(f"! the plan API failed: {answers} came from a fallback or an old copy")
        if outcome.content or outcome.embeds:
            self.say(
                render_reply(
                    outcome.content,
                    outcome.embeds,
                    ephemeral=outcome.ephemeral,
                    tz=self._tz,
                    now=self.world.now(),
                    components=outcome.components,
                )
            )

    async def interact(self, lines: AsyncIterator[str]) -> None:
        self.say("Type /help for commands, /quit to stop.")
        self.out.write(self.prompt)
        self.out.flush()
        async for line in lines:
            if not await self.handle(line):
                return
            self.out.write(self.prompt)
            self.out.flush()
        self.say("")


async def stdin_lines(stream: TextIO = sys.stdin) -> AsyncIterator[str]:
    """Lines of stdin as the loop sees them arrive; ends at EOF."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    fd = stream.fileno()
    buffer = bytearray()

    def readable() -> None:
        chunk = os.read(fd, 4096)
        if not chunk:
            if buffer:
                queue.put_nowait(buffer.decode(errors="replace"))
            queue.put_nowait(None)
            loop.remove_reader(fd)
            return
        buffer.extend(chunk)
        while (end := buffer.find(b"\n")) >= 0:
            queue.put_nowait(buffer[:end].decode(errors="replace"))
            del buffer[: end + 1]

    loop.add_reader(fd, readable)
    try:
        while (line := await queue.get()) is not None:
            yield line
    finally:
        with contextlib.suppress(ValueError, OSError):
            loop.remove_reader(fd)


async def run_script(world: OfflineWorld, lines: list[str]) -> int:
    """`--run`: each line in turn, no prompt; the number of lines that failed."""
    console = Console(world)
    for line in lines:
        if not await console.handle(line):
            break
    return console.failures
