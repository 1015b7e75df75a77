"""What the tier answers: a value and where it came from, a shared failure, or "go alone".

Three outcomes the caller must handle, each explicitly (as hishel's proxy
handles every cache state): `Found` (use it), `Failed` (the holder's API
failure, or the caller's deadline: answer as the process cache would answer
a failed load) and `Unavailable` (Redis cannot help: go to the API directly).
Each says how many Redis commands the call sent, which the tests bound.
`Cleared` is what a clear reports.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Generic, Literal, TypeVar

T = TypeVar("T")


@dataclasses.dataclass(frozen=True, slots=True)
class Answer(Generic[T]):
    """What the holder's fetch returns: the value and how long Redis keeps it."""

    value: T
    ttl_seconds: float
    #: Lifetime of the stale copy behind stale-on-error; 0 keeps none.
    stale_ttl_seconds: float = 0.0


@dataclasses.dataclass(frozen=True, slots=True)
class Found(Generic[T]):
    """An answer: from Redis, from another process's fetch, or from our own."""

    value: T
    #: Seconds it stays fresh (its PTTL, or the holder's TTL); None if Redis did not say.
    ttl_seconds: float | None
    source: Literal["redis", "peer", "upstream"]
    #: Redis commands this call sent.
    commands: int


@dataclasses.dataclass(frozen=True, slots=True)
class Failed:
    """The holder's upstream failure (shared, as joiners share one load's), or the
    caller's deadline came first (`by_deadline`)."""

    category: str
    by_deadline: bool
    commands: int


@dataclasses.dataclass(frozen=True, slots=True)
class Unavailable:
    """The tier cannot help now: the caller goes to the API itself."""

    reason: str
    commands: int


@dataclasses.dataclass(frozen=True, slots=True)
class Missed:
    """What a load's first step (`RedisTier.look`: one GET) found when it found no hit:
    nothing, or a value this version cannot read (`unreadable`: foreign, corrupt, or
    refused by the caller). `load(after=...)` goes on from there."""

    unreadable: bool
    commands: int


Outcome = Found[T] | Failed | Unavailable
Fetch = Callable[[int], Awaitable[Answer[T]]]


@dataclasses.dataclass(frozen=True, slots=True)
class Cleared:
    """`dropped` fresh answers deleted from Redis; `everywhere` False when Redis could not
    be reached (or failed midway), so only this process's own cache was cleared."""

    dropped: int
    everywhere: bool
