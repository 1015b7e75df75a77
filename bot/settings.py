"""Every setting of the bot, read once from the environment (and an optional `.env`).

This module is the only reader of the environment: `Settings.from_env()`
turns a mapping of variables into one frozen `Settings`, or raises
`SettingsError` naming *every* bad variable and what it expects, so a person
fixes their `.env` in one go. `.env.example` lists each variable with its
default; keep the two in step (a test checks it).

The token is a `Secret`: its `repr` and `str` are a fixed mask, so printing
or logging the settings never shows it, not even in part.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final, TypeVar, final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

T = TypeVar("T")

#: Discord's autocomplete/choice limit; also the 25-field limit /plans renders into.
MAX_COACHES: Final = 25
#: A choice name may hold 100 characters.
MAX_COACH_NAME_CHARS: Final = 100
#: Discord drops an interaction token after 15 minutes; we stay far below.
MAX_REPLY_DEADLINE_SECONDS: Final = 60.0
#: Part of the reply deadline kept back for rendering and sending after the fetch.
REPLY_MARGIN_SECONDS: Final = 0.75

_TOKEN_SHAPE: Final = re.compile(r"[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+")
#: Real tokens: a base64 user id, a timestamp part, an HMAC; used to avoid echoing one.
_TOKEN_LIKE: Final = re.compile(r"[A-Za-z0-9_\-]{20,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{20,}")
_COACH_ID: Final = re.compile(r"[a-z0-9]{1,20}")
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off"})
_LOG_LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@final
class Secret:
    """A string that never shows itself: `repr`, `str` and f-strings print a mask."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class SettingsError(ValueError):
    """One or more settings are missing or invalid; `problems` maps each name to what it expects."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        lines = [f"  {name}: {expected}" for name, expected in self.problems.items()]
        noun = "setting is" if len(lines) == 1 else "settings are"
        super().__init__(f"{len(lines)} {noun} missing or invalid:\n" + "\n".join(lines))


@dataclasses.dataclass(frozen=True, slots=True)
class Coach:
    """A coach id as the API knows it (`d`) and the name people read (`Day Trading`)."""

    id: str
    name: str


DEFAULT_COACHES: Final = (
    Coach("d", "Day Trading"),
    Coach("i", "Intraday"),
    Coach("s", "Swing"),
    Coach("n", "News/Events"),
)
#: The same list as `COACHES` spells it in the environment.
DEFAULT_COACHES_ENV: Final = ",".join(f"{c.id}={c.name}" for c in DEFAULT_COACHES)


@dataclasses.dataclass(frozen=True, slots=True)
class Settings:
    """The bot's configuration; field defaults are the documented defaults."""

    discord_token: Secret | None = None
    plans_api_url: str = "http://localhost:5000"
    cache_ttl_seconds: float = 3600.0
    cache_max_size: int = 100
    timeout_seconds: float = 10.0
    max_retries: int = 3
    reply_deadline_seconds: float = 8.0
    timezone: str = "America/New_York"
    coaches: tuple[Coach, ...] = DEFAULT_COACHES
    dev_guild_id: int | None = None
    moderator_role: str | None = None
    rate_limit_uses: int = 5
    rate_limit_seconds: float = 30.0
    force_close: bool = False
    log_level: str = "INFO"

    # -- reading -------------------------------------------------------------------
    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        require_token: bool = False,
        env_file: str | os.PathLike[str] | None = ".env",
    ) -> Settings:
        """Build settings from `environ` (default: `.env` overlaid by the process environment).

        `require_token` is for a real Discord run; tests and the offline mode
        run without one. Empty values count as unset, so `DEV_GUILD_ID=` in a
        `.env` means "none".
        """
        if environ is None:
            merged: dict[str, str] = {}
            if env_file is not None and Path(env_file).is_file():
                merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
            merged.update(os.environ)
            environ = merged
        reader = _Reader(environ)
        d = cls()  # slotted fields have no class-level defaults to read
        token = reader.get("DISCORD_TOKEN", None, _token)
        if token is None and require_token and "DISCORD_TOKEN" not in reader.problems:
            reader.problems["DISCORD_TOKEN"] = (
                "required for a real run: the bot token from the Discord Developer Portal"
            )
        settings = cls(
            discord_token=token,
            plans_api_url=reader.get("PLANS_API_URL", d.plans_api_url, _http_url),
            cache_ttl_seconds=reader.get(
                "PLANS_CACHE_TTL_SECONDS", d.cache_ttl_seconds, _number(above=0)
            ),
            cache_max_size=reader.get(
                "PLANS_CACHE_MAX_SIZE", d.cache_max_size, _integer(1, 100_000)
            ),
            timeout_seconds=reader.get(
                "PLANS_TIMEOUT_SECONDS", d.timeout_seconds, _number(above=0, at_most=300)
            ),
            max_retries=reader.get("PLANS_MAX_RETRIES", d.max_retries, _integer(1, 10)),
            reply_deadline_seconds=reader.get(
                "REPLY_DEADLINE_SECONDS",
                d.reply_deadline_seconds,
                _number(above=0, at_most=MAX_REPLY_DEADLINE_SECONDS),
            ),
            timezone=reader.get("PLANS_TIMEZONE", d.timezone, _timezone),
            coaches=reader.get("COACHES", d.coaches, _coaches),
            dev_guild_id=reader.get("DEV_GUILD_ID", None, _snowflake),
            moderator_role=reader.get("MODERATOR_ROLE", None, _role),
            rate_limit_uses=reader.get("RATE_LIMIT_USES", d.rate_limit_uses, _integer(1, 1000)),
            rate_limit_seconds=reader.get(
                "RATE_LIMIT_SECONDS", d.rate_limit_seconds, _number(above=0, at_most=86_400)
            ),
            force_close=reader.get("PLANS_FORCE_CLOSE", d.force_close, _boolean),
            log_level=reader.get("LOG_LEVEL", d.log_level, _log_level),
        )
        if reader.problems:
            raise SettingsError(reader.problems)
        return settings

    # -- derived -------------------------------------------------------------------
    @property
    def fetch_deadline_seconds(self) -> float:
        """The plan client's budget: the reply deadline less time to render and send."""
        return max(
            self.reply_deadline_seconds - REPLY_MARGIN_SECONDS, self.reply_deadline_seconds / 2
        )

    @property
    def coach_names(self) -> dict[str, str]:
        return {coach.id: coach.name for coach in self.coaches}

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for `CoachPlanClient`: these settings in the client's terms."""
        return {
            "api_base_url": self.plans_api_url,
            "cache_ttl_seconds": self.cache_ttl_seconds,
            "max_cache_size": self.cache_max_size,
            "timeout": self.timeout_seconds,
            "max_retries": self.max_retries,
            "timezone": self.timezone,
            "coaches": tuple(coach.id for coach in self.coaches),
            "deadline_seconds": self.fetch_deadline_seconds,
            "force_close": self.force_close,
        }

    def summary(self) -> str:
        """A few lines for `--check-config`; the token shows only as set or not."""
        coaches = ", ".join(f"{c.id}={c.name}" for c in self.coaches)
        return "\n".join(
            [
                f"DISCORD_TOKEN: {'set' if self.discord_token else 'not set'}",
                f"PLANS_API_URL: {self.plans_api_url}",
                f"COACHES: {coaches}",
                f"PLANS_TIMEZONE: {self.timezone}",
                f"REPLY_DEADLINE_SECONDS: {self.reply_deadline_seconds:g}",
                f"DEV_GUILD_ID: {self.dev_guild_id or 'none (global commands)'}",
                f"MODERATOR_ROLE: {self.moderator_role or 'none (Manage Messages only)'}",
            ]
        )


# -- parsing helpers: each returns the value or raises ValueError(what is expected) --
class _Reader:
    """Collects every problem instead of stopping at the first."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        self.problems: dict[str, str] = {}

    def get(self, name: str, default: T, parse: Callable[[str], T]) -> T:
        raw = self._environ.get(name)
        if raw is None or not raw.strip():
            return default
        try:
            return parse(raw.strip())
        except ValueError as exc:
            shown = "" if self._may_be_secret(name, raw) else f" (got {_shorten(raw)})"
            self.problems[name] = f"{exc}{shown}"
            return default


    def _may_be_secret(self, name: str, raw: str) -> bool:
        """Never echo the token, nor a value that looks like one (pasted into the wrong line)."""
        token = self._environ.get("DISCORD_TOKEN") or ""
        stripped = raw.strip()
        return (
            name == "DISCORD_TOKEN"
            or _TOKEN_LIKE.search(stripped) is not None
            or bool(token.strip() and token.strip() in stripped)
        )


def _shorten(raw: str) -> str:
    return repr(raw if len(raw) <= 40 else raw[:37] + "...")


def _token(raw: str) -> Secret:
    if raw.lower().startswith("bot "):
        raise ValueError("expected the bare bot token, without the 'Bot ' prefix; not shown here")
    if not _TOKEN_SHAPE.fullmatch(raw):
        raise ValueError(
            "expected a Discord bot token (three dot-separated parts from the Developer "
            "Portal's Bot page); the value is not shown here"
        )
    return Secret(raw)


def _http_url(raw: str) -> str:
    match = re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", raw)
    if not match:
        raise ValueError("expected an http:// or https:// base URL such as http://localhost:5000")
    return raw


def _number(*, above: float, at_most: float | None = None) -> Callable[[str], float]:
    expected = f"expected a number of seconds above {above:g}" + (
        f" and at most {at_most:g}" if at_most is not None else ""
    )

    def parse(raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(expected) from None
        if not math.isfinite(value) or value <= above or (at_most is not None and value > at_most):
            raise ValueError(expected)
        return value

    return parse


def _integer(low: int, high: int) -> Callable[[str], int]:
    expected = f"expected a whole number from {low} to {high}"

    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(expected) from None
        if not low <= value <= high:
            raise ValueError(expected)
        return value

    return parse


def _boolean(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("expected true or false")


def _timezone(raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("expected an IANA timezone name such as America/New_York") from None
    return raw


def _snowflake(raw: str) -> int:
    if not raw.isdigit() or not 15 <= len(raw) <= 21:
        raise ValueError("expected a Discord id (a number of 15 to 21 digits), or nothing")
    return int(raw)


def _role(raw: str) -> str:
    if len(raw) > 100:
        raise ValueError("expected a role id or a role name of at most 100 characters")
    return raw


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in _LOG_LEVELS:
        raise ValueError(f"expected one of {', '.join(_LOG_LEVELS)}")
    return level


def _coaches(raw: str) -> tuple[Coach, ...]:
    expected = (
        f"expected 1 to {MAX_COACHES} comma-separated id=Name pairs with short lowercase "
        f"letter/digit ids, unique, and names of 1 to {MAX_COACH_NAME_CHARS} characters, "
        f"e.g. {DEFAULT_COACHES_ENV}"
    )
    coaches: list[Coach] = []
    for part in raw.split(","):
        cid, sep, name = part.partition("=")
        cid, name = cid.strip(), name.strip()
        if not sep or not _COACH_ID.fullmatch(cid) or not 1 <= len(name) <= MAX_COACH_NAME_CHARS:
            raise ValueError(expected)
        coaches.append(Coach(cid, name))
    ids = [c.id for c in coaches]
    if not 1 <= len(coaches) <= MAX_COACHES or len(set(ids)) != len(ids):
        raise ValueError(expected)
    return tuple(coaches)
