"""The client's constructor keywords, checked by the same rules as the environment.

`PLANS_TIMEOUT_SECONDS=nan` and `CoachPlanClient(timeout=float("nan"))` must
fail alike: a NaN deadline made every call an instant timeout, a NaN cooldown
kept the breaker open for good, a base URL with a query sent requests to
`/?x=1/api/...`. So every keyword is checked here with `envconfig`'s rules,
and the message names the keyword and what it expects.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Final

from . import envconfig
from .envconfig import MAX_REDIS_TIMEOUT_SECONDS, check_integer, check_number, mask_passwords

#: The seed's keywords and ours, with the rule each value must pass.
_RULES: Final[Mapping[str, Callable[[object], object]]] = {
    "api_base_url": lambda v: envconfig.http_url(_text(v)),
    "cache_ttl_seconds": lambda v: check_number(v, above=0),
    "max_cache_size": lambda v: check_integer(v, 1, 100_000),
    "timeout": lambda v: check_number(v, above=0, at_most=300),
    "max_retries": lambda v: check_integer(v, 1, 10),
    "not_found_ttl_seconds": lambda v: check_number(v, above=0),
    "deadline_seconds": lambda v: check_number(v, above=0),
    "past_ttl_seconds": lambda v: check_number(v, above=0),
    "stale_ttl_seconds": lambda v: check_number(v, above=0),
    "breaker_failures": lambda v: check_integer(v, 1, 1_000_000),
    "breaker_cooldown_seconds": lambda v: check_number(v, above=0),
    "max_concurrency": lambda v: check_integer(v, 1, 10_000),
    "wait_initial": lambda v: _non_negative(v),  # 0: no backoff
    "wait_max": lambda v: _non_negative(v),
    "wait_exp_base": lambda v: _ratio_at_least_one(v),
    "max_body_bytes": lambda v: check_integer(v, 1, 2**31),
    "refresh_ahead_ratio": lambda v: _fraction(v),
    "coaches": envconfig.check_coach_ids,
    "timezone": lambda v: envconfig.timezone(_text(v)),
    "api_timezone": lambda v: envconfig.timezone(_text(v)),
    "market_calendar": lambda v: envconfig.calendar_name(_text(v)),
    "redis_url": lambda v: None if v is None else envconfig.redis_url(_text(v)),
    "redis_prefix": lambda v: envconfig.redis_prefix(_text(v)),
    "redis_timeout_seconds": lambda v: check_number(v, above=0, at_most=MAX_REDIS_TIMEOUT_SECONDS),
}
#: Keywords whose rule also accepts None, which their message says.
_OPTIONAL: Final = frozenset({"redis_url"})


def check_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Each keyword's checked value (`coaches` as a tuple); ValueError names the first bad one."""
    checked = dict(options)
    for name, value in options.items():
        rule = _RULES.get(name)
        if rule is None:
            continue
        try:
            checked[name] = rule(value)
        except ValueError as exc:
            expected = f"None or {exc}" if name in _OPTIONAL else str(exc)
            raise ValueError(f"{name} must be {expected} (got {_shown(value)})") from None
    stale = options.get("max_stale_size")
    if stale is not None:
        try:
            check_integer(stale, 1, 10_000_000)
        except ValueError as exc:
            raise ValueError(f"max_stale_size must be None or {exc} (got {stale!r})") from None
    return checked


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("a string")
    return value


def _shown(value: object) -> str:
    """The rejected value as the message repeats it: short, a URL's password masked
    (in its user part or, as redis-py also reads it, in its query)."""
    text = mask_passwords(repr(value))
    return text if len(text) <= envconfig.MAX_SHOWN_CHARS else text[:37] + "..."


def _finite(value: object, accept: Callable[[float], bool], expected: str) -> float:
    """`value` as a float if it is a real, finite number (not a bool) that `accept`s."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not accept(value)
    ):
        raise ValueError(expected)
    return float(value)


def _non_negative(value: object) -> float:
    return _finite(value, lambda v: v >= 0, "a finite number of seconds, 0 or more")


def _fraction(value: object) -> float:
    return _finite(value, lambda v: 0 <= v < 1, "a fraction from 0 up to (not including) 1")


def _ratio_at_least_one(value: object) -> float:
    return _finite(value, lambda v: v >= 1, "a finite number of at least 1")
