"""Where the shared tier keeps things in Redis: one namespace, keys laid out by coach and day.

Everything lives under `<prefix>:v1:` so one Redis can serve other programs
(and other prefixes, for tests or a second deployment), and so a clear can
SCAN our namespace alone. Per cache key (coach, day) there are three Redis
keys: `fresh:` (what a miss reads), `stale:` (the longer-lived copy behind
stale-on-error) and `lock:` (the one upstream request in flight). The layout
ends in `<coach>:<day>`, so a clear by coach, by day or of everything is a
SCAN pattern plus the same rule the process cache applies (`Invalidation`).

The /all answer's coach part is `*` in the process cache; in Redis it is
`_all`, because `*` is a wildcard to SCAN and `_` can never start a coach id.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Final, Literal, final

from ..cache import Key

#: The process cache's coach part for a day's /all answer (`bot.plans.fetch.ALL`).
ALL_COACH: Final = "*"
DEFAULT_PREFIX: Final = "coachplans"
#: Bumped when the layout changes, so two layouts never read each other's keys.
LAYOUT_VERSION: Final = "v1"
KeyKind = Literal["fresh", "stale", "lock"]

_ALL_PART: Final = "_all"
_PART: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,63}")
_PREFIX: Final = re.compile(r"[A-Za-z0-9_.-]{1,64}(:[A-Za-z0-9_.-]{1,64})*")
_KINDS: Final[dict[str, KeyKind]] = {"fresh": "fresh", "stale": "stale", "lock": "lock"}


@dataclasses.dataclass(frozen=True, slots=True)
class Invalidation:
    """What a clear drops: one coach, one day, both, or (neither) everything.

    Dropping a coach's day also drops that day's /all answer, which holds it:
    the same rule as `CoachPlanClient.clear_cache`, applied by every process.
    """

    coach: str | None = None
    day: str | None = None

    def matches(self, key: Key) -> bool:
        who, day = key
        if self.day is not None and day != self.day:
            return False
        return self.coach is None or who in (self.coach, ALL_COACH)


def check_prefix(prefix: object) -> str:
    """`prefix` if it can start our keys: no glob characters (a clear SCANs by pattern)
    and no spaces; ValueError saying what it expects otherwise."""
    if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
        raise ValueError(
            "a key prefix of letters, digits, '_', '.' and '-' (parts of up to 64 "
            "joined by ':'), such as coachplans"
        )
    return prefix


@final
class Keyspace:
    """Names of every Redis key and channel the tier uses, under one prefix."""

    def __init__(self, prefix: str = DEFAULT_PREFIX) -> None:
        try:
            check_prefix(prefix)
        except ValueError as exc:
            raise ValueError(f"redis_prefix must be {exc}") from None
        self.prefix = prefix
        self.namespace = f"{prefix}:{LAYOUT_VERSION}:"
        #: Bumped by every clear; a write-back of a load that began before it is refused.
        self.generation = self.namespace + "generation"
        self.breaker = self.namespace + "breaker"
        self.probe = self.namespace + "breaker-probe"
        self.done_channel = self.namespace + "events:done"
        self.invalidate_channel = self.namespace + "events:invalidate"
        self.breaker_channel = self.namespace + "events:breaker"

    def name(self, key: Key) -> str:
        """`<coach>:<day>`: the key's part of every Redis key, and its id in messages."""
        who, day = key
        coach = _ALL_PART if who == ALL_COACH else who
        if not (_PART.fullmatch(coach) or coach == _ALL_PART) or not _PART.fullmatch(day):
            raise ValueError(f"not a cache key the shared tier can store: {key!r}")
        return f"{coach}:{day}"

    def redis_key(self, kind: KeyKind, key: Key) -> str:
        return self.key_of(kind, self.name(key))

    def key_of(self, kind: KeyKind, name: str) -> str:
        """The Redis key of `kind` for a `name` already made by `name()`."""
        return f"{self.namespace}{kind}:{name}"

    def parse(self, redis_key: str) -> tuple[KeyKind, Key] | None:
        """(kind, cache key) of one of our Redis keys; None for anything else."""
        if not redis_key.startswith(self.namespace):
            return None
        parts = redis_key[len(self.namespace) :].split(":")
        if len(parts) != 3:
            return None
        kind = _KINDS.get(parts[0])
        coach, day = parts[1], parts[2]
        if kind is None or not (_PART.fullmatch(coach) or coach == _ALL_PART):
            return None
        return kind, (ALL_COACH if coach == _ALL_PART else coach, day)

    def scan_pattern(self, clear: Invalidation) -> str:
        """A SCAN MATCH pattern covering every key `clear` drops (and some it keeps:
        the caller filters with `Invalidation.matches`). Parts are validated ids, so
        they hold no glob characters."""
        day = "*" if clear.day is None else clear.day
        if clear.day is not None and not _PART.fullmatch(day):
            raise ValueError(f"not a day the shared tier stores: {day!r}")
        return f"{self.namespace}*:{day}"
