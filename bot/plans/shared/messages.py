"""What processes tell each other over pub/sub, and the parsing that never trusts it.

Three channels: `done` (a holder's answer or failure, for the waiters of one
key), `invalidate` (a clear) and `breaker` (the breaker opened or closed).
A `done` message is a short text head then the value's bytes as stored, so
the value is encoded once and waiters need no GET. Anything that does not
parse is ignored (and counted by the caller): the channels are shared with
whoever else can reach the Redis.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Final, Literal

from .keyspace import Invalidation

DoneStatus = Literal["ok", "failed", "released"]
_STATUSES: Final[dict[bytes, DoneStatus]] = {
    b"ok": "ok",
    b"failed": "failed",
    b"released": "released",
}


@dataclasses.dataclass(frozen=True, slots=True)
class Done:
    """The end of one holder's load of `name`.

    `ok`: `value` is the answer as stored, fresh for `ttl_ms`. `failed`: the
    API failed (`detail` is the category); waiters share the failure, as
    joiners of one load do in one process. `released`: the holder gave up
    without an answer (cancelled, or its own deadline passed): waiters look
    again and one of them takes over.
    """

    name: str
    token: str
    status: DoneStatus
    ttl_ms: int = 0
    detail: str = ""
    value: bytes = b""

    def head(self) -> bytes:
        """Everything before the value (the DONE script appends the value in Redis)."""
        return f"{self.name}\n{self.token}\n{self.status}\n{self.ttl_ms}\n{self.detail}\n".encode()

    def encode(self) -> bytes:
        return self.head() + self.value


def parse_done(data: bytes) -> Done | None:
    parts = data.split(b"\n", 5)
    if len(parts) != 6 or parts[2] not in _STATUSES or not parts[3].isdigit():
        return None
    try:
        name, token, detail = parts[0].decode(), parts[1].decode(), parts[4].decode()
    except UnicodeDecodeError:
        return None
    return Done(name, token, _STATUSES[parts[2]], int(parts[3]), detail, parts[5])


@dataclasses.dataclass(frozen=True, slots=True)
class ClearNews:
    """A clear made by process `origin`, as generation `generation`."""

    origin: str
    clear: Invalidation
    generation: int

    def encode(self) -> bytes:
        data = {"o": self.origin, "c": self.clear.coach, "d": self.clear.day, "g": self.generation}
        return json.dumps(data).encode()


def parse_clear(data: bytes) -> ClearNews | None:
    raw = _json_object(data)
    if raw is None:
        return None
    origin, coach, day, gen = raw.get("o"), raw.get("c"), raw.get("d"), raw.get("g")
    if not isinstance(origin, str) or type(gen) is not int:
        return None
    if not all(v is None or isinstance(v, str) for v in (coach, day)):
        return None
    return ClearNews(origin, Invalidation(coach, day), gen)


@dataclasses.dataclass(frozen=True, slots=True)
class BreakerNews:
    """Process `origin` opened the breaker for `ms` (0: closed it)."""

    origin: str
    ms: int

    def encode(self) -> bytes:
        return json.dumps({"o": self.origin, "ms": self.ms}).encode()


def parse_breaker(data: bytes) -> BreakerNews | None:
    raw = _json_object(data)
    if raw is None:
        return None
    origin, ms = raw.get("o"), raw.get("ms")
    if not isinstance(origin, str) or type(ms) is not int or ms < 0:
        return None
    return BreakerNews(origin, ms)


def _json_object(data: bytes) -> dict[str, Any] | None:
    """A message's JSON object, or None for garbage (another program on our channel)."""
    try:
        raw = json.loads(data)
    except (ValueError, RecursionError):
        return None
    return raw if isinstance(raw, dict) else None
