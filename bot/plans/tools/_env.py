"""The shared client's settings from the environment, parsed as the bot parses them.

`bot.plans` imports nothing of ours, not even `bot.settings`, so the tools
read the environment themselves, with the same parsers (`bot.plans.envconfig`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .. import envconfig

DEFAULT_API_URL: Final = envconfig.DEFAULT_API_URL
#: Display names of the deployed service's coaches; `COACHES=id=Name,...` overrides them.
COACH_NAMES: Final[Mapping[str, str]] = envconfig.DEFAULT_COACH_NAMES


class ToolConfigError(ValueError):
    """An environment variable for the shared client is invalid; the message names each one."""


def _conceal(name: str, raw: str) -> bool:
    """The URL may carry a password (`https://user:pass@host`), and the answer goes to an LLM."""
    return name == envconfig.API_URL.name


def read_env(
    environ: Mapping[str, str], overridden: frozenset[str] = frozenset()
) -> tuple[dict[str, Any], dict[str, str]]:
    """Client keywords and coach names from `environ`; every bad variable in one error.

    Empty values count as unset, as in the bot's `.env`. Variables whose
    keyword the caller overrides are not read, so they cannot fail.
    """
    reader = envconfig.EnvReader(environ, conceal=_conceal)
    options: dict[str, Any] = {envconfig.API_URL.keyword: DEFAULT_API_URL}
    names = dict(COACH_NAMES)
    for variable in envconfig.CLIENT_VARIABLES:
        if variable.keyword in overridden:
            continue
        value = reader.read(variable, None)
        if value is None:
            continue
        if variable is envconfig.COACHES:
            names = value
            value = tuple(value)
        options[variable.keyword] = value
    if reader.problems:
        raise ToolConfigError(
            "Coach plan tools are misconfigured: "
            + " ".join(f"{name} must be {what}." for name, what in reader.problems.items())
        )
    return options, names
