"""The shared client's settings from the environment, parsed as the bot parses them.

`bot.plans` imports nothing of ours, not even `bot.settings`, so the tools
read the environment themselves, with the same parsers (`bot.plans.envconfig`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from .. import envconfig
from ..config import ClientConfig
from ..redact import MIN_FRAGMENT_CHARS, contains_secret, looks_like_token, mask_url_credentials

DEFAULT_API_URL: Final = envconfig.DEFAULT_API_URL
#: Display names of the deployed service's coaches; `COACHES=id=Name,...` overrides them.
COACH_NAMES: Final[Mapping[str, str]] = envconfig.DEFAULT_COACH_NAMES


class ToolConfigError(ValueError):
    """An environment variable for the shared client is invalid; the message names each one."""


def _concealer(environ: Mapping[str, str]) -> Callable[[str, str], bool]:
    """Which rejected values not to repeat, since the answer goes to an LLM: the API and
    Redis URLs (they may carry a password), any URL with credentials, anything shaped like a token,
    and anything holding part of the bot's `DISCORD_TOKEN` if the environment has one."""
    token = (environ.get("DISCORD_TOKEN") or "").strip()
    secrets = (token,) if len(token) >= MIN_FRAGMENT_CHARS else ()

    def conceal(name: str, raw: str) -> bool:
        return (
            name in (envconfig.API_URL.name, envconfig.REDIS_URL.name)
            or mask_url_credentials(raw) != raw
            or looks_like_token(raw)
            or contains_secret(raw, secrets)
        )

    return conceal


def read_env(
    environ: Mapping[str, str], overridden: frozenset[str] = frozenset()
) -> tuple[ClientConfig, dict[str, str]]:
    """The client's configuration and coach names from `environ`; every bad variable in
    one error.

    Empty values count as unset, as in the bot's `.env`. Variables whose
    keyword the caller overrides are not read, so they cannot fail.
    """
    reader = envconfig.EnvReader(environ, conceal=_concealer(environ))
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
    return ClientConfig(**options), names
