"""The plan client's environment variables: names, parsers and limits, in one place.

Two programs read these variables: the bot (`bot.settings`) and agents
(`bot.plans.tools`). Both parse them here, so a value one accepts the other
accepts too, and a limit changed here changes for both. Nothing here reads
`os.environ`: callers pass the mapping they mean (the bot its `.env` overlay).

Every parser takes the stripped raw value and returns the value or raises
`ValueError` whose message is what the variable expects, as a noun phrase
("a whole number from 1 to 10"). Each caller words its own sentence around
it: the bot's `PLANS_MAX_RETRIES: expected ...`, the tools'
`PLANS_MAX_RETRIES must be ... .` Limits that come from Discord (25 choices,
100-character names) are the bot's business and stay in `bot.settings`.

It stays one module at ~300 lines: the parsers, the variables built on them
and the reader are one table that both programs must read alike, and a split
would only spread it.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import math
import re
import urllib.parse
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, Final, Generic, TypeVar, final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .market import CALENDARS, DEFAULT_CALENDAR
from .redact import URL_MASK, mask_url_credentials
from .shared.keyspace import DEFAULT_PREFIX, check_prefix

T = TypeVar("T")

DEFAULT_API_URL: Final = "http://localhost:5000"
#: The deployed service's zone: its naive timestamps are New York time.
DEFAULT_API_TIMEZONE: Final = "America/New_York"
#: The zone the text answers show times in.
DEFAULT_TIMEZONE: Final = "America/New_York"
DEFAULT_MARKET_CALENDAR: Final = DEFAULT_CALENDAR
#: Display names of the deployed service's coaches, in the order they are shown.
DEFAULT_COACH_NAMES: Final[Mapping[str, str]] = {
    "d": "Day Trading",
    "i": "Intraday",
    "s": "Swing",
    "n": "News/Events",
}
#: How much of a rejected value a problem repeats (a pasted blob should not flood a log).
MAX_SHOWN_CHARS: Final = 40
#: The shared cache's key prefix, and its per-command timeout: a second level that
#: takes longer than `MAX_REDIS_TIMEOUT_SECONDS` to answer is worse than none.
DEFAULT_REDIS_PREFIX: Final = DEFAULT_PREFIX
DEFAULT_REDIS_TIMEOUT_SECONDS: Final = 0.05
MAX_REDIS_TIMEOUT_SECONDS: Final = 5.0
REDIS_SCHEMES: Final = ("redis", "rediss", "unix")

_URL: Final = re.compile(r"https?://[^\s/?#]+(/[^\s?#]*)?")
_COACH_ID: Final = re.compile(r"[a-z0-9]{1,20}")
_REDIS_DB: Final = re.compile(r"(/[0-9]{0,5})?")
#: A password in a URL's query (redis-py's `unix:///path?password=...` form).
_QUERY_PASSWORD: Final = re.compile(r"(?i)\b(password=)[^&\s'\"]*")


def mask_passwords(text: str) -> str:
    """`text` with every URL's password masked: in its user part (`mask_url_credentials`)
    and, as redis-py also reads one, in its query (`?password=`)."""
    return _QUERY_PASSWORD.sub(rf"\1{URL_MASK}", mask_url_credentials(text))


# -- parsers ----------------------------------------------------------------------------
def http_url(raw: str) -> str:
    """A base URL with a host; the client joins paths to it, so no query or fragment."""
    if not isinstance(raw, str) or not _URL.fullmatch(raw):
        raise ValueError("an http:// or https:// base URL such as http://localhost:5000")
    return raw


def redis_url(raw: str) -> str:
    """A Redis URL as redis-py reads it: `redis://` or `rediss://` (TLS) with a host and
    at most a database number for path, or `unix://` with a socket path."""
    expected = "a redis://, rediss:// or unix:// URL such as redis://localhost:6379/0"
    if not isinstance(raw, str) or not raw or any(c.isspace() for c in raw):
        raise ValueError(expected)
    try:
        url = urllib.parse.urlsplit(raw)
        url.port  # noqa: B018  (a port that is no number raises here)
    except ValueError:
        raise ValueError(expected) from None
    if url.scheme not in REDIS_SCHEMES or url.fragment:
        raise ValueError(expected)
    if url.scheme == "unix":
        if not url.path:
            raise ValueError(expected)
    elif not url.hostname or not _REDIS_DB.fullmatch(url.path):
        raise ValueError(expected)
    return raw


def redis_prefix(raw: str) -> str:
    """The namespace of our keys in a Redis others may share (see `shared.keyspace`)."""
    return check_prefix(raw)


def number(*, above: float, at_most: float | None = None) -> Callable[[str], float]:
    """A parser of seconds in (`above`, `at_most`]; `nan` and `inf` are refused, not compared."""

    def parse(raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(_seconds_expected(above, at_most)) from None
        return check_number(value, above=above, at_most=at_most)

    return parse


def check_number(value: object, *, above: float, at_most: float | None = None) -> float:
    """`value` if it is a finite real number in (`above`, `at_most`], else ValueError.

    The one rule for seconds, whether they come from the environment or from a
    constructor keyword: NaN compares false with everything, so it is refused
    by name, not by a comparison it would slip through.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= above
        or (at_most is not None and value > at_most)
    ):
        raise ValueError(_seconds_expected(above, at_most))
    return float(value)


def _seconds_expected(above: float, at_most: float | None) -> str:
    return f"a number of seconds above {above:g}" + (
        f" and at most {at_most:g}" if at_most is not None else ""
    )


def integer(low: int, high: int) -> Callable[[str], int]:
    """A parser of whole numbers in [`low`, `high`]; `1.5` is refused, not rounded."""

    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(_integer_expected(low, high)) from None
        return check_integer(value, low, high)

    return parse


def check_integer(value: object, low: int, high: int) -> int:
    """`value` if it is a whole number (not a bool) in [`low`, `high`], else ValueError."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(_integer_expected(low, high))
    return value


def _integer_expected(low: int, high: int) -> str:
    return f"a whole number from {low} to {high}"


def check_coach_ids(ids: object) -> tuple[str, ...]:
    """Configured coach ids: 1 or more, unique, short lowercase letters and digits."""
    expected = "a non-empty list of unique coach ids of 1 to 20 lowercase letters or digits"
    if isinstance(ids, str) or not isinstance(ids, Iterable):
        raise ValueError(expected)
    out = tuple(c.strip().lower() if isinstance(c, str) else c for c in ids)
    if (
        not out
        or not all(isinstance(c, str) and _COACH_ID.fullmatch(c) for c in out)
        or len(set(out)) != len(out)
    ):
        raise ValueError(expected)
    return out


def timezone(raw: str) -> str:
    """An IANA name; whatever ZoneInfo raises for a value that is not one means just that.

    ZoneInfo looks names up as files: a path trick (`EST5EDT/../..`) raises
    ValueError, a folder (`America`) or an overlong name OSError.
    """
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError("an IANA timezone name such as America/New_York") from None
    return raw


def calendar_name(raw: str) -> str:
    """The name of a market calendar this version knows (any case), e.g. NYSE."""
    return upper_choice(raw, CALENDARS, f"a market calendar name: {', '.join(CALENDARS)}")


def upper_choice(raw: str, choices: Collection[str], expected: str) -> str:
    """`raw` in upper case if it is one of `choices` (upper-case names), else ValueError."""
    key = raw.upper()
    if key not in choices:
        raise ValueError(expected)
    return key


def coach_names(raw: str) -> dict[str, str]:
    """`id=Name,...` as an ordered id -> name map: ids the API accepts, unique, names not empty.

    Ids travel as a query parameter, hence short lowercase letters and digits.
    """
    names: dict[str, str] = {}
    for part in raw.split(","):
        cid, sep, name = (s.strip() for s in part.partition("="))
        if not sep or not _COACH_ID.fullmatch(cid) or not name or cid in names:
            raise ValueError("comma-separated id=Name pairs such as d=Day Trading,s=Swing")
        names[cid] = name
    return names


def argument_type(parse: Callable[[str], T]) -> Callable[[str], T]:
    """`parse` as an argparse `type=`, so a command-line option obeys its variable's rule.

    argparse then names the option in the sentence: `argument --timeout:
    expected a number of seconds above 0 and at most 300 (got '0')`; a URL's
    password is masked in the value repeated.
    """

    def checked(raw: str) -> T:
        try:
            return parse(raw.strip())
        except ValueError as exc:
            shown = mask_passwords(raw)[:MAX_SHOWN_CHARS]
            raise argparse.ArgumentTypeError(f"expected {exc} (got {shown!r})") from None

    return checked


# -- the variables ------------------------------------------------------------------------
@final
@dataclasses.dataclass(frozen=True, slots=True)
class ClientVariable(Generic[T]):
    """One variable of the plan client: its name, the `CoachPlanClient` keyword, its parser."""

    name: str
    keyword: str
    parse: Callable[[str], T]


API_URL: Final = ClientVariable("PLANS_API_URL", "api_base_url", http_url)
CACHE_TTL_SECONDS: Final = ClientVariable(
    "PLANS_CACHE_TTL_SECONDS", "cache_ttl_seconds", number(above=0)
)
CACHE_MAX_SIZE: Final = ClientVariable(
    "PLANS_CACHE_MAX_SIZE", "max_cache_size", integer(1, 100_000)
)
TIMEOUT_SECONDS: Final = ClientVariable(
    "PLANS_TIMEOUT_SECONDS", "timeout", number(above=0, at_most=300)
)
MAX_RETRIES: Final = ClientVariable("PLANS_MAX_RETRIES", "max_retries", integer(1, 10))
TIMEZONE: Final = ClientVariable("PLANS_TIMEZONE", "timezone", timezone)
API_TIMEZONE: Final = ClientVariable("PLANS_API_TIMEZONE", "api_timezone", timezone)
MARKET_CALENDAR: Final = ClientVariable("PLANS_MARKET_CALENDAR", "market_calendar", calendar_name)
#: Parses to names; the client's `coaches` keyword takes only the ids (`tuple(names)`).
COACHES: Final = ClientVariable("COACHES", "coaches", coach_names)
REDIS_URL: Final = ClientVariable("PLANS_REDIS_URL", "redis_url", redis_url)
REDIS_PREFIX: Final = ClientVariable("PLANS_REDIS_PREFIX", "redis_prefix", redis_prefix)
REDIS_TIMEOUT_SECONDS: Final = ClientVariable(
    "PLANS_REDIS_TIMEOUT_SECONDS",
    "redis_timeout_seconds",
    number(above=0, at_most=MAX_REDIS_TIMEOUT_SECONDS),
)

CLIENT_VARIABLES: Final[tuple[ClientVariable[Any], ...]] = (
    API_URL,
    CACHE_TTL_SECONDS,
    CACHE_MAX_SIZE,
    TIMEOUT_SECONDS,
    MAX_RETRIES,
    TIMEZONE,
    API_TIMEZONE,
    MARKET_CALENDAR,
    COACHES,
    REDIS_URL,
    REDIS_PREFIX,
    REDIS_TIMEOUT_SECONDS,
)


# -- reading --------------------------------------------------------------------------------
def _never(name: str, raw: str) -> bool:
    return False


@final
class EnvReader:
    """Reads variables from a mapping, collecting one problem per bad variable, not stopping.

    Empty values count as unset, so `DEV_GUILD_ID=` in a `.env` means "none".
    `problems` maps each bad variable to what it expects plus what it got,
    e.g. `a whole number from 1 to 10 (got '0')`; `conceal(name, raw)` says
    which values must not be repeated (a token, a URL with a password).
    `asked` holds every name read so far: what `unknown_names` compares with.
    """

    def __init__(
        self, environ: Mapping[str, str], *, conceal: Callable[[str, str], bool] = _never
    ) -> None:
        self._environ = environ
        self._conceal = conceal
        self.problems: dict[str, str] = {}
        self.asked: set[str] = set()

    def get(self, name: str, default: T, parse: Callable[[str], T]) -> T:
        """`name` parsed, or `default` when it is unset or bad (a bad one is a problem)."""
        self.asked.add(name)
        raw = (self._environ.get(name) or "").strip()
        if not raw:
            return default
        try:
            return parse(raw)
        except ValueError as exc:
            shown = "" if self._conceal(name, raw) else f" (got {_shorten(raw)})"
            self.problems[name] = f"{exc}{shown}"
            return default

    def read(self, variable: ClientVariable[T], default: T) -> T:
        """`get` for one of the plan client's variables, with its shared parser."""
        return self.get(variable.name, default, variable.parse)


def unknown_names(
    environ: Mapping[str, str], known: Collection[str], *, prefix: str = "PLANS_"
) -> list[str]:
    """One warning per variable named like ours (`prefix`) that is not one of `known`.

    A misspelt name is otherwise silently ignored and its default used
    (`PLANS_CACHE_TTL=60` leaves the TTL at an hour), so the warning names the
    closest real setting when there is one. The usual slips are a unit left
    off and a prefix added, so a setting that the name begins, or ends, is
    preferred to difflib's guess: `PLANS_TIMEOUT` means `PLANS_TIMEOUT_SECONDS`
    (difflib ranks `PLANS_TIMEZONE` first), `PLANS_COACHES` means `COACHES`.
    Only `prefix` is checked: the environment holds plenty of variables that
    are nobody's business here.
    """
    warnings = []
    for name in sorted(n for n in environ if n.startswith(prefix) and n not in known):
        part = [k for k in known if k.startswith(f"{name}_") or name.endswith(f"_{k}")]
        close = sorted(part, key=len) or difflib.get_close_matches(name, sorted(known), n=1)
        hint = f"did you mean {close[0]}?" if close else "it is ignored"
        warnings.append(f"{name} is not a setting; {hint}")
    return warnings


def _shorten(raw: str) -> str:
    if len(raw) > MAX_SHOWN_CHARS:
        raw = raw[: MAX_SHOWN_CHARS - 3] + "..."
    return repr(raw)
