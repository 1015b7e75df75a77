"""The client's configuration: one frozen, typed value, its defaults and its checks, once.

`ClientConfig` is what the bot's settings, the agent tools' environment and
code all build; `CoachPlanClient(config=...)` takes it whole. The seed's (and
our) keyword style still works: `CoachPlanClient(url, timeout=5,
breaker_failures=3)` is `ClientConfig(...)` with those fields, checked the same
way (`ClientArgs` types those keywords for mypy). Building a config validates
it (`checks.py`, the environment's rules), so an invalid one never exists.

Runtime seams are not configuration and stay keywords of the client: an
aiohttp `session`, `sleep`, `clock`, `now` and `rand`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Final, Self, TypedDict, final

import aiohttp

from . import envconfig
from .checks import check_options

Sleep = Callable[[float], Awaitable[None]]
ConnectorFactory = Callable[[], aiohttp.BaseConnector]

#: The deployed service's coaches (configuration, not code: see `coaches`).
DEFAULT_COACHES: Final = tuple(envconfig.DEFAULT_COACH_NAMES)


@final
@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ClientConfig:
    """Everything that configures a `CoachPlanClient`, with the documented defaults.

    Seconds are floats; `max_retries` is the total number of attempts (the
    seed's meaning) and `timeout` is per attempt, while `deadline_seconds`
    bounds a whole call. `connector_factory` makes the connector of the
    session the client creates (the offline mode and the tests close each
    connection after use with it).
    """

    api_base_url: str = envconfig.DEFAULT_API_URL
    cache_ttl_seconds: float = 3600.0
    max_cache_size: int = 100
    timeout: float = 10.0
    max_retries: int = 3
    not_found_ttl_seconds: float = 60.0
    past_ttl_seconds: float = 86400.0
    refresh_ahead_ratio: float = 0.1
    stale_ttl_seconds: float = 86400.0
    max_stale_size: int | None = None
    deadline_seconds: float = 15.0
    timezone: str = envconfig.DEFAULT_TIMEZONE
    api_timezone: str = envconfig.DEFAULT_API_TIMEZONE
    market_calendar: str = envconfig.DEFAULT_MARKET_CALENDAR
    coaches: tuple[str, ...] = DEFAULT_COACHES
    breaker_failures: int = 5
    breaker_cooldown_seconds: float = 30.0
    max_concurrency: int = 10
    wait_initial: float = 0.5
    wait_max: float = 5.0
    wait_exp_base: float = 2.0
    max_body_bytes: int = 1024 * 1024
    strict: bool = False
    #: Left out of `repr`: it may hold the Redis password.
    redis_url: str | None = dataclasses.field(default=None, repr=False)
    redis_prefix: str = envconfig.DEFAULT_REDIS_PREFIX
    redis_timeout_seconds: float = envconfig.DEFAULT_REDIS_TIMEOUT_SECONDS
    connector_factory: ConnectorFactory | None = dataclasses.field(default=None, compare=False)

    def __post_init__(self) -> None:
        checked = check_options({f.name: getattr(self, f.name) for f in FIELDS})
        for name in ("api_base_url", "coaches", "market_calendar", "redis_timeout_seconds"):
            object.__setattr__(self, name, checked[name])  # normalised: tuple, upper case

    @property
    def stale_store_size(self) -> int:
        """How many stale copies a store keeps: `max_stale_size`, or ten times the cache."""
        return self.max_stale_size or 10 * self.max_cache_size

    def replace(self, **changes: Any) -> Self:
        """A copy with `changes` (checked like any new config)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> ClientConfig:
        """A config from keyword-style options (unknown names are a TypeError, as in a call)."""
        return cls(**options)


FIELDS: Final = dataclasses.fields(ClientConfig)
CONFIG_NAMES: Final = frozenset(f.name for f in FIELDS)


class ClientArgs(TypedDict, total=False):
    """The keywords `CoachPlanClient` and `SyncCoachPlanClient` accept besides
    `api_base_url` and `config`: every other `ClientConfig` field (a test keeps the
    two lists equal) and the runtime seams."""

    cache_ttl_seconds: float
    max_cache_size: int
    timeout: float
    max_retries: int
    not_found_ttl_seconds: float
    past_ttl_seconds: float
    refresh_ahead_ratio: float
    stale_ttl_seconds: float
    max_stale_size: int | None
    deadline_seconds: float
    timezone: str
    api_timezone: str
    market_calendar: str
    coaches: Iterable[str]
    breaker_failures: int
    breaker_cooldown_seconds: float
    max_concurrency: int
    wait_initial: float
    wait_max: float
    wait_exp_base: float
    max_body_bytes: int
    strict: bool
    redis_url: str | None
    redis_prefix: str
    redis_timeout_seconds: float
    connector_factory: ConnectorFactory | None
    session: aiohttp.ClientSession | None
    sleep: Sleep
    clock: Callable[[], float]
    now: Callable[[], dt.datetime]
    rand: Callable[[], float]


SEAM_NAMES: Final = frozenset({"session", "sleep", "clock", "now", "rand"})


def split_args(
    api_base_url: str | None, config: ClientConfig | None, args: Mapping[str, Any]
) -> tuple[ClientConfig, dict[str, Any]]:
    """(`config` with the URL and the configuration keywords of `args` applied, the seams)."""
    unknown = set(args) - CONFIG_NAMES - SEAM_NAMES
    if unknown:
        raise TypeError(f"unexpected keyword argument {sorted(unknown)[0]!r}")
    changes = {k: v for k, v in args.items() if k in CONFIG_NAMES}
    if api_base_url is not None:
        changes["api_base_url"] = api_base_url
    base = config or ClientConfig()
    return (base.replace(**changes) if changes else base), {
        k: v for k, v in args.items() if k in SEAM_NAMES
    }
