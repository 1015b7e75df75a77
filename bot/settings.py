"""Every setting of the bot, read once from the environment (and an optional `.env`).

This module is the only reader of the environment: `Settings.from_env()`
turns a mapping of variables into one frozen `Settings`, or raises
`SettingsError` naming *every* bad variable and what it expects, so a person
fixes their `.env` in one go. `.env.example` lists each variable with its
default; keep the two in step (a test checks it).

The plan client's variables (`PLANS_*`, `COACHES`) are parsed by
`bot.plans.envconfig`, which the agent tools use too, so the bot and agents
accept the same values; only Discord's limits on coaches are added here.

A variable that looks like ours (`PLANS_*`) but is none of them is not an
error, since it changes nothing, but it usually is a typo that leaves a default in
place: `warnings` names each one with the closest real setting, for the caller
to log once logging is set up.

Past 300 lines on purpose: the settings, their reading and the parsers that
keep the token out of every message are one set of rules about secrets, which
splitting would scatter.

The token is a `Secret`: its `repr` and `str` are a fixed mask. Nothing else
we print may show it either, nor part of it (`bot.plans.redact.fragments`:
any 8 consecutive characters of it, or one of its dot-separated parts), nor
a URL's password: `repr(settings)` and `summary()` mask URL credentials and
hide any value holding the token or looking like one (a token pasted into
the wrong variable), and a `SettingsError` never repeats such a value.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import importlib.util
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Final, final

from dotenv import dotenv_values

from bot.command_sync import default_state_path
from bot.digest import DEFAULT_DIGEST_TIME, digest_summary, parse_digest_time
from bot.fleet import Shards, parse_metrics_addr, parse_shard_count, parse_shard_ids
from bot.plans import ClientConfig, envconfig
from bot.plans.envconfig import EnvReader, integer, number
from bot.plans.redact import (
    MIN_FRAGMENT_CHARS,
    contains_secret,
    looks_like_token,
    mask_url_credentials,
    redact,
)

#: Discord's autocomplete/choice limit; also the 25-field limit /plans renders into.
MAX_COACHES: Final = 25
#: A choice name may hold 100 characters.
MAX_COACH_NAME_CHARS: Final = 100
#: Discord drops an interaction token after 15 minutes; we stay far below.
MAX_REPLY_DEADLINE_SECONDS: Final = 60.0
#: Part of the reply deadline kept back for rendering and sending after the fetch.
REPLY_MARGIN_SECONDS: Final = 0.75

_TOKEN_SHAPE: Final = re.compile(r"[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+")
#: Shown instead of a value that holds the token (or part of it) or looks like a token.
HIDDEN: Final = "[hidden: holds a token or part of one]"
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


DEFAULT_COACHES: Final = tuple(
    Coach(cid, name) for cid, name in envconfig.DEFAULT_COACH_NAMES.items()
)
#: The same list as `COACHES` spells it in the environment.
DEFAULT_COACHES_ENV: Final = ",".join(f"{c.id}={c.name}" for c in DEFAULT_COACHES)
_COACHES_EXPECTED: Final = (
    f"1 to {MAX_COACHES} comma-separated id=Name pairs with short lowercase letter/digit ids, "
    f"unique, and names of 1 to {MAX_COACH_NAME_CHARS} characters, e.g. {DEFAULT_COACHES_ENV}"
)


#: The plan client's defaults are the settings' defaults: held once, in `ClientConfig`.
_CLIENT_DEFAULTS: Final = ClientConfig()


@dataclasses.dataclass(frozen=True, slots=True, repr=False)
class Settings:
    """The bot's configuration; field defaults are the documented defaults.

    `repr` is our own: the dataclass one would print every field as it is,
    and any of them may hold a pasted token or a URL with a password.
    """

    discord_token: Secret | None = None
    plans_api_url: str = _CLIENT_DEFAULTS.api_base_url
    cache_ttl_seconds: float = _CLIENT_DEFAULTS.cache_ttl_seconds
    cache_max_size: int = _CLIENT_DEFAULTS.max_cache_size
    timeout_seconds: float = _CLIENT_DEFAULTS.timeout
    max_retries: int = _CLIENT_DEFAULTS.max_retries
    reply_deadline_seconds: float = 8.0
    timezone: str = _CLIENT_DEFAULTS.timezone
    api_timezone: str = _CLIENT_DEFAULTS.api_timezone
    market_calendar: str = _CLIENT_DEFAULTS.market_calendar
    coaches: tuple[Coach, ...] = DEFAULT_COACHES
    dev_guild_id: int | None = None
    moderator_role: str | None = None
    rate_limit_uses: int = 5
    rate_limit_seconds: float = 30.0
    log_level: str = "INFO"
    #: Where the digest of the last global command sync is kept (`bot.command_sync`);
    #: None: the usual place, `sync_state_file()`.
    command_sync_file: Path | None = None
    #: The shards this process runs (`SHARD_COUNT`, `SHARD_IDS`); None: one unsharded bot.
    shards: Shards | None = None
    #: Where to serve /metrics for Prometheus (`METRICS_ADDR`); None: not served.
    metrics_addr: str | None = None
    #: Where the opening digest is posted (`DIGEST_CHANNEL_ID`); None: no digest.
    digest_channel_id: int | None = None
    #: When, on each session day, in the market calendar's zone (`DIGEST_TIME`).
    digest_time: dt.time = DEFAULT_DIGEST_TIME
    #: The role the digest pings (`DIGEST_ROLE_ID`); None: it pings no one.
    digest_role_id: int | None = None
    #: The Redis that processes share as a second cache level (`PLANS_REDIS_URL`); None: off.
    redis_url: str | None = _CLIENT_DEFAULTS.redis_url
    redis_prefix: str = _CLIENT_DEFAULTS.redis_prefix
    redis_timeout_seconds: float = _CLIENT_DEFAULTS.redis_timeout_seconds
    #: Not a setting: what was odd in the environment read (unknown `PLANS_*` names).
    warnings: tuple[str, ...] = dataclasses.field(default=(), compare=False)

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
        reader = EnvReader(environ, conceal=functools.partial(_may_be_secret, environ))
        d = cls()  # slotted fields have no class-level defaults to read
        token = reader.get("DISCORD_TOKEN", None, _token)
        shards, metrics_addr = _read_fleet(reader)
        settings = cls(
            discord_token=token,
            plans_api_url=reader.read(envconfig.API_URL, d.plans_api_url),
            cache_ttl_seconds=reader.read(envconfig.CACHE_TTL_SECONDS, d.cache_ttl_seconds),
            cache_max_size=reader.read(envconfig.CACHE_MAX_SIZE, d.cache_max_size),
            timeout_seconds=reader.read(envconfig.TIMEOUT_SECONDS, d.timeout_seconds),
            max_retries=reader.read(envconfig.MAX_RETRIES, d.max_retries),
            reply_deadline_seconds=reader.get(
                "REPLY_DEADLINE_SECONDS",
                d.reply_deadline_seconds,
                number(above=0, at_most=MAX_REPLY_DEADLINE_SECONDS),
            ),
            timezone=reader.read(envconfig.TIMEZONE, d.timezone),
            api_timezone=reader.read(envconfig.API_TIMEZONE, d.api_timezone),
            market_calendar=reader.read(envconfig.MARKET_CALENDAR, d.market_calendar),
            coaches=reader.get(envconfig.COACHES.name, d.coaches, _coaches),
            dev_guild_id=reader.get("DEV_GUILD_ID", None, _snowflake),
            moderator_role=reader.get("MODERATOR_ROLE", None, _role),
            rate_limit_uses=reader.get("RATE_LIMIT_USES", d.rate_limit_uses, integer(1, 1000)),
            rate_limit_seconds=reader.get(
                "RATE_LIMIT_SECONDS", d.rate_limit_seconds, number(above=0, at_most=86_400)
            ),
            log_level=reader.get("LOG_LEVEL", d.log_level, _log_level),
            command_sync_file=reader.get("COMMAND_SYNC_FILE", None, _state_file),
            shards=shards,
            metrics_addr=metrics_addr,
            redis_url=reader.get(envconfig.REDIS_URL.name, d.redis_url, _redis_url),
            redis_prefix=reader.read(envconfig.REDIS_PREFIX, d.redis_prefix),
            redis_timeout_seconds=reader.read(
                envconfig.REDIS_TIMEOUT_SECONDS, d.redis_timeout_seconds
            ),
            digest_channel_id=reader.get("DIGEST_CHANNEL_ID", None, _snowflake),
            digest_time=reader.get("DIGEST_TIME", d.digest_time, parse_digest_time),
            digest_role_id=reader.get("DIGEST_ROLE_ID", None, _snowflake),
        )
        if settings.digest_role_id is not None and settings.digest_channel_id is None:
            reader.problems.setdefault(
                "DIGEST_ROLE_ID", "DIGEST_CHANNEL_ID as well (the channel the digest pings it in)"
            )
        settings = dataclasses.replace(
            settings, warnings=tuple(envconfig.unknown_names(environ, reader.asked))
        )
        # The reader's problems say what each variable expects; our sentences say "expected".
        # The reader already withholds secret-looking values; redacting again guards
        # against a parser that one day repeats its input in its message.
        secrets = _raw_token(environ)
        problems = {
            name: redact(mask_url_credentials(f"expected {what}"), secrets)
            for name, what in reader.problems.items()
        }
        if token is None and require_token and "DISCORD_TOKEN" not in problems:
            problems = {
                "DISCORD_TOKEN": (
                    "required for a real run: the bot token from the Discord Developer Portal"
                ),
                **problems,
            }
        if problems:
            raise SettingsError(problems)
        return settings

    # -- derived -------------------------------------------------------------------
    @property
    def fetch_deadline_seconds(self) -> float:
        """The plan client's budget: the reply deadline less time to render and send."""
        return max(
            self.reply_deadline_seconds - REPLY_MARGIN_SECONDS, self.reply_deadline_seconds / 2
        )

    @property
    def process_name(self) -> str:
        """This process in a fleet, for the metrics' `process` label: `bot` or its shards."""
        return f"bot-{self.shards.label}" if self.shards else "bot"

    @property
    def coach_names(self) -> dict[str, str]:
        return {coach.id: coach.name for coach in self.coaches}

    def client_config(self) -> ClientConfig:
        """The plan client's configuration: these settings in the client's terms."""
        return ClientConfig(
            api_base_url=self.plans_api_url,
            cache_ttl_seconds=self.cache_ttl_seconds,
            max_cache_size=self.cache_max_size,
            timeout=self.timeout_seconds,
            max_retries=self.max_retries,
            timezone=self.timezone,
            api_timezone=self.api_timezone,
            market_calendar=self.market_calendar,
            coaches=tuple(coach.id for coach in self.coaches),
            deadline_seconds=self.fetch_deadline_seconds,
            redis_url=self.redis_url,
            redis_prefix=self.redis_prefix,
            redis_timeout_seconds=self.redis_timeout_seconds,
        )

    def secrets(self) -> tuple[str, ...]:
        """What logs must redact (`setup_logging(secrets=...)`): the token, if set."""
        return (self.discord_token.get_secret_value(),) if self.discord_token else ()

    def sync_state_file(self, environ: Mapping[str, str]) -> Path:
        """`COMMAND_SYNC_FILE`, or under `$XDG_STATE_HOME` (or ~/.local/state) by default."""
        return self.command_sync_file or default_state_path(environ)

    def summary(self) -> str:
        """A few lines for `--check-config`; the token shows only as set or not."""
        coaches = ", ".join(f"{c.id}={c.name}" for c in self.coaches)
        lines = {
            "DISCORD_TOKEN": "set" if self.discord_token else "not set",
            "PLANS_API_URL": self.plans_api_url,
            "COACHES": coaches,
            "PLANS_MARKET_CALENDAR": self.market_calendar,
            "PLANS_TIMEZONE": self.timezone,
            "PLANS_API_TIMEZONE": self.api_timezone,
            "REPLY_DEADLINE_SECONDS": f"{self.reply_deadline_seconds:g}",
            "DEV_GUILD_ID": str(self.dev_guild_id or "none (global commands)"),
            "COMMAND_SYNC_FILE": str(self.sync_state_file(os.environ)),
            "SHARD_COUNT / SHARD_IDS": self.shards.label if self.shards else "none (not sharded)",
            "METRICS_ADDR": self.metrics_addr or "none (no /metrics page)",
            "PLANS_REDIS_URL": self.redis_url or "none (no cache shared between processes)",
            "MODERATOR_ROLE": self.moderator_role or "none (Manage Messages only)",
            "DIGEST_*": digest_summary(
                self.digest_channel_id, self.digest_time, self.digest_role_id, self.market_calendar
            ),
        }
        return "\n".join(f"{name}: {self._shown(value)}" for name, value in lines.items())

    def __repr__(self) -> str:
        fields = (
            f"{field.name}={self._shown(repr(getattr(self, field.name)))}"
            for field in dataclasses.fields(self)
        )
        return f"{type(self).__name__}({', '.join(fields)})"

    def _shown(self, text: str) -> str:
        """`text` as printed: URL passwords masked; `HIDDEN` if it holds or looks like a token."""
        text = envconfig.mask_passwords(text)
        if contains_secret(text, self.secrets()) or looks_like_token(text):
            return HIDDEN
        return text


# -- parsing helpers: each returns the value or raises ValueError(what is expected) --
def _raw_token(environ: Mapping[str, str]) -> tuple[str, ...]:
    """DISCORD_TOKEN as set, valid or not: what no message may repeat, not even in part.

    A value shorter than a fragment is no token, and redacting it would garble messages.
    """
    token = (environ.get("DISCORD_TOKEN") or "").strip()
    return (token,) if len(token) >= MIN_FRAGMENT_CHARS else ()


def _may_be_secret(environ: Mapping[str, str], name: str, raw: str) -> bool:
    """Never echo the token, nor a value holding part of it or looking like one (pasted into
    the wrong line), nor the API or Redis URL or any URL with credentials, as the agent
    tools do not."""
    return (
        name in ("DISCORD_TOKEN", envconfig.API_URL.name, envconfig.REDIS_URL.name)
        or looks_like_token(raw)
        or contains_secret(raw, _raw_token(environ))
        or mask_url_credentials(raw) != raw
    )


def _token(raw: str) -> Secret:
    if raw.lower().startswith("bot "):
        raise ValueError("the bare bot token, without the 'Bot ' prefix; not shown here")
    if not _TOKEN_SHAPE.fullmatch(raw):
        raise ValueError(
            "a Discord bot token (three dot-separated parts from the Developer "
            "Portal's Bot page); the value is not shown here"
        )
    return Secret(raw)


def _snowflake(raw: str) -> int:
    if not raw.isdigit() or not 15 <= len(raw) <= 21:
        raise ValueError("a Discord id (a number of 15 to 21 digits), or nothing")
    return int(raw)


def _role(raw: str) -> str:
    if len(raw) > 100:
        raise ValueError("a role id or a role name of at most 100 characters")
    return raw


def _log_level(raw: str) -> str:
    return envconfig.upper_choice(raw, _LOG_LEVELS, f"one of {', '.join(_LOG_LEVELS)}")


def _coaches(raw: str) -> tuple[Coach, ...]:
    """The plan client's `COACHES` rules, plus Discord's: 25 choices, 100-character names."""
    try:
        names = envconfig.COACHES.parse(raw)
    except ValueError:
        raise ValueError(_COACHES_EXPECTED) from None
    if len(names) > MAX_COACHES or any(len(n) > MAX_COACH_NAME_CHARS for n in names.values()):
        raise ValueError(_COACHES_EXPECTED)
    if any(looks_like_token(name) for name in names.values()):
        # Coach names are shown to everyone in Discord: a pasted token would be published.
        raise ValueError("coach names, not a bot token (a token here would be shown in Discord)")
    return tuple(Coach(cid, name) for cid, name in names.items())


def _state_file(raw: str) -> Path:
    path = Path(raw).expanduser()
    if path.is_dir():
        raise ValueError("a file path (it names a directory)")
    return path


def _read_fleet(reader: EnvReader) -> tuple[Shards | None, str | None]:
    """The shards and metrics settings, checked together (ids need a count)."""
    count = reader.get("SHARD_COUNT", None, parse_shard_count)
    ids = reader.get("SHARD_IDS", None, parse_shard_ids)
    shards = None
    if ids is not None and count is None:
        reader.problems.setdefault("SHARD_IDS", "SHARD_COUNT as well (how many shards in all)")
    elif count is not None:
        try:
            shards = Shards(count, ids)
        except ValueError as exc:
            reader.problems.setdefault("SHARD_IDS", str(exc))
    addr = reader.get("METRICS_ADDR", None, _metrics_addr)
    return shards, addr


def _redis_url(raw: str) -> str:
    url = envconfig.REDIS_URL.parse(raw)
    if importlib.util.find_spec("redis") is None:
        raise ValueError('redis-py installed: pip install -e ".[redis]"')
    return url


def _metrics_addr(raw: str) -> str:
    parse_metrics_addr(raw)
    if importlib.util.find_spec("prometheus_client") is None:
        raise ValueError('prometheus-client installed: pip install -e ".[prometheus]"')
    return raw
