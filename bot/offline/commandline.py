"""Turn a typed line (`/plan d`, `/plan coach:d date:yesterday`) into a command call.

Positional words fill the command's options in declaration order, as
Discord's composer does; `name:value` sets one by name. The bot's own
command tree says which options exist, so nothing here knows our commands.
"""

from __future__ import annotations

import dataclasses
import shlex

import discord
from discord import app_commands


class CommandLineError(ValueError):
    """The line cannot be a call of any command the bot has; the message says why."""


@dataclasses.dataclass(frozen=True, slots=True)
class CommandCall:
    name: str
    options: dict[str, str]

    def __str__(self) -> str:
        opts = " ".join(f"{k}:{v}" for k, v in self.options.items())
        return f"/{self.name}" + (f" {opts}" if opts else "")


def parse_command(line: str, tree: app_commands.CommandTree[discord.Client]) -> CommandCall:
    """Parse `line` against the slash commands registered on `tree`."""
    words = _words(line)
    if not words or not words[0].startswith("/") or len(words[0]) == 1:
        raise CommandLineError("commands start with /, e.g. /plan d")
    name = words[0][1:].lower()
    command = tree.get_command(name)
    if not isinstance(command, app_commands.Command):
        known = ", ".join(sorted(f"/{c.name}" for c in tree.get_commands()))
        raise CommandLineError(f"unknown command /{name}; the bot has {known}")
    params = [p.name for p in command.parameters]
    options: dict[str, str] = {}
    positional = iter(params)
    for word in words[1:]:
        key, sep, value = word.partition(":")
        if sep and key in params:
            options[key] = value
            continue
        slot = next((p for p in positional if p not in options), None)
        if slot is None:
            raise CommandLineError(f"/{name} takes {_usage(params)}; '{word}' is one too many")
        options[slot] = word
    required = [p.name for p in command.parameters if p.required and p.name not in options]
    if required:
        raise CommandLineError(f"/{name} needs {', '.join(required)}: /{name} {_usage(params)}")
    return CommandCall(name, options)


def _words(line: str) -> list[str]:
    """The line split as a shell would, so "Day Trading" in quotes is one word.

    shlex's own messages ("No closing quotation", "No escaped character") name
    its parser's state; a person typing a command needs to hear what to fix.
    """
    try:
        return shlex.split(line.strip())
    except ValueError:
        if line.rstrip().endswith("\\"):
            raise CommandLineError(
                "the line ends with a backslash; remove it, or put the value in quotes"
            ) from None
        raise CommandLineError(
            'the quotes don\'t match: close every " or \' you open, e.g. /plan coach:"Day Trading"'
        ) from None


def _usage(params: list[str]) -> str:
    return " ".join(f"[{p}]" for p in params) or "no options"
