"""Values in Redis: versioned JSON read by our own decoder, never pickle.

A shared Redis must not be a way to run code in our processes, so a value is
JSON and only this module turns it back into objects. Every value is an
envelope whose first bytes name its kind, the envelope version and a
fingerprint of the model's fields, then the value's absolute expiry (unix
milliseconds) and the data: `{"v":"plan/2/1a2b3c4d","x":1731171234567,"d":{...}}`.
The Lua lookup tells our values from foreign ones by that prefix without
decoding them, and a process whose model has other fields (a deploy in
progress) reads the other fingerprint as a miss and overwrites it instead of
guessing. The expiry rides inside the value so a hit is one plain GET (no
PTTL round trip, no script): processes' wall clocks agree well enough for
TTLs of seconds to hours.

Dataclasses are encoded field by field from their type hints, so a field
added to `CoachPlan` later travels without a change here (and changes the
fingerprint), and a field of a type this module does not know fails at
import, not in production. Decoding checks every type and needs every field:
whatever it cannot read is a `DecodeError`, which the tier counts as a miss.
Every hit pays for decoding, so each field's decoder is built once, checks
types with `type(x) is` and the dataclass is built positionally.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Final, Generic, TypeVar, final
from zoneinfo import ZoneInfo

from ..models import CoachPlan

T = TypeVar("T")
#: Bumped when the envelope itself changes shape (2: the expiry `x` joined it).
ENVELOPE_VERSION: Final = 2

Encode = Callable[[Any], Any]
Decode = Callable[[Any], Any]

_dumps: Final = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
#: The C scanner itself: `json.loads` on bytes first guesses their encoding, on every hit.
_scan: Final[Callable[[str, int], tuple[Any, int]]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # public, but not in typeshed


class DecodeError(ValueError):
    """A stored value this version cannot read: corrupt, foreign, or another version."""


@final
@dataclasses.dataclass(frozen=True, slots=True)
class ValueCodec(Generic[T]):
    """Turns one kind of value into versioned JSON bytes and back.

    `to_data` makes a JSON-ready structure; `from_data` rebuilds the value
    from one and raises on anything unexpected (any exception is a DecodeError).
    `schema` identifies the shape, so readers of another shape miss.
    """

    kind: str
    schema: str
    to_data: Callable[[T], Any]
    from_data: Callable[[Any], T]
    #: The first bytes of every value of this kind and schema (on every hit's path).
    header: bytes = dataclasses.field(init=False)
    #: The envelope's `v`, compared after parsing (a later duplicate key could change it).
    version: str = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        version = f"{self.kind}/{ENVELOPE_VERSION}/{self.schema}"
        object.__setattr__(self, "version", version)
        object.__setattr__(self, "header", f'{{"v":"{version}","x":'.encode())

    def encode(self, value: T, *, expires_at: float = 0.0) -> bytes:
        """`value` as stored, fresh until `expires_at` (unix seconds; 0: not said)."""
        body = _dumps(self.to_data(value))
        return b'%s%d,"d":%s}' % (self.header, round(expires_at * 1000), body.encode())

    def decode(self, raw: bytes) -> T:
        return self.decode_with_expiry(raw)[0]

    def decode_with_expiry(self, raw: bytes) -> tuple[T, float]:
        """The value and its expiry (unix seconds; 0.0 when the writer did not say)."""
        if not raw.startswith(self.header):
            raise DecodeError(f"not a {self.kind} value of this version")
        try:
            text = raw.decode()
            envelope, end = _scan(text, 0)
            if end != len(text) or type(envelope) is not dict or len(envelope) != 3:
                raise DecodeError("not an envelope")
            expires_ms = envelope["x"]
            if type(expires_ms) is not int or envelope["v"] != self.version:
                raise DecodeError("not an envelope")
            return self.from_data(envelope["d"]), expires_ms / 1000
        except DecodeError:
            raise
        except Exception as exc:  # any failure to read is a miss, whatever it was
            raise DecodeError(f"unreadable {self.kind} value: {type(exc).__name__}") from exc


# -- field types -----------------------------------------------------------------------


def _exactly(kind: type) -> Decode:
    """A decoder accepting only `kind` itself (`type(x) is`: a bool is no int here)."""

    def check(data: Any) -> Any:
        if type(data) is not kind:
            raise TypeError(f"expected {kind.__name__}")
        return data

    return check


_text: Final = _exactly(str)


def _number(data: Any) -> float:
    if type(data) is float:
        return data
    if type(data) is int:
        return float(data)
    raise TypeError("expected a number")


def _same(value: Any) -> Any:
    return value


def _encode_moment(value: dt.datetime) -> str | list[str]:
    """An ISO instant, with its zone's name when it has one: a fixed offset alone would
    lose the zone (`["2024-11-08T08:30:00-05:00", "America/New_York"]`)."""
    if isinstance(value.tzinfo, ZoneInfo):
        return [value.isoformat(), value.tzinfo.key]
    return value.isoformat()


def _decode_moment(data: Any) -> dt.datetime:
    if type(data) is str:
        return dt.datetime.fromisoformat(data)
    text, zone = data  # a list of two, or the unpacking fails
    return dt.datetime.fromisoformat(_text(text)).astimezone(ZoneInfo(_text(zone)))


def _decode_day(data: Any) -> dt.date:
    if type(data) is not str or len(data) != 10:
        raise ValueError("not YYYY-MM-DD")
    return dt.date.fromisoformat(data)


def _pair_for(hint: Any) -> tuple[Encode, Decode]:
    """Encoder and decoder for one type hint; TypeError for a type we do not carry."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is type(None):
        return _same, _exactly(type(None))
    if hint in (str, int, bool):
        return _same, _exactly(hint)
    if hint is float:
        return _same, _number
    if hint is dt.datetime:
        return _encode_moment, _decode_moment
    if hint is dt.date:
        return dt.date.isoformat, _decode_day
    if origin is typing.Literal and all(isinstance(a, str) for a in args):
        allowed = frozenset(args)

        def literal(data: Any) -> Any:
            if type(data) is not str or data not in allowed:
                raise ValueError("not an allowed value")
            return data

        return _same, literal
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        enc, dec = _pair_for(args[0])

        def items(data: Any) -> tuple[Any, ...]:
            if type(data) is not list:
                raise TypeError("expected a list")
            return tuple([dec(x) for x in data])

        return (lambda v: [enc(x) for x in v]), items
    if origin in (typing.Union, types.UnionType) and type(None) in args and len(args) == 2:
        enc, dec = _pair_for(next(a for a in args if a is not type(None)))
        return (lambda v: None if v is None else enc(v)), (lambda d: None if d is None else dec(d))
    raise TypeError(f"the shared cache cannot store a field of type {hint!r}")


def _keep_default(dec: Decode, default: Any) -> Decode:
    """`dec`, giving back the default object itself for a value equal to it."""

    def decode(data: Any) -> Any:
        value = dec(data)
        return default if value == default else value

    return decode


def dataclass_codec(cls: type[T], *, kind: str) -> ValueCodec[T]:
    """A codec for a dataclass, field by field from its type hints.

    A decoded field equal to an object default (not a str, number, bool,
    tuple or None) becomes the default object itself, so sentinels compared
    with `is` (CoachPlan's `fetched_at` epoch) survive.
    """
    hints = typing.get_type_hints(cls)
    declared = dataclasses.fields(typing.cast(Any, cls))
    shape = ";".join(f"{f.name}:{hints[f.name]!r}" for f in declared)
    schema = hashlib.sha256(shape.encode()).hexdigest()[:8]
    encoders: list[tuple[str, Encode]] = []
    decoders: list[tuple[str, Decode]] = []
    for f in declared:
        enc, dec = _pair_for(hints[f.name])
        if f.default is not dataclasses.MISSING and not isinstance(
            f.default, str | int | float | tuple | type(None)
        ):
            dec = _keep_default(dec, f.default)
        encoders.append((f.name, enc))
        decoders.append((f.name, dec))
    count = len(decoders)
    positional = not any(f.kw_only for f in declared)

    def to_data(value: T) -> dict[str, Any]:
        return {name: enc(getattr(value, name)) for name, enc in encoders}

    def from_data(data: Any) -> T:
        if type(data) is not dict or len(data) != count:
            raise ValueError("not this model's fields")
        if positional:
            return cls(*[dec(data[name]) for name, dec in decoders])
        return cls(**{name: dec(data[name]) for name, dec in decoders})

    return ValueCodec(kind, schema, to_data, from_data)


def mapping_codec(item: ValueCodec[T], *, kind: str) -> ValueCodec[dict[str, T]]:
    """A codec for `{str: value}` (the /all answer: coach id -> plan)."""

    def to_data(value: Mapping[str, T]) -> dict[str, Any]:
        return {k: item.to_data(v) for k, v in value.items()}

    def from_data(data: Any) -> dict[str, T]:
        if type(data) is not dict:
            raise TypeError("expected an object")
        return {_text(k): item.from_data(v) for k, v in data.items()}

    return ValueCodec(kind, item.schema, to_data, from_data)


#: One coach's answer for one day.
PLAN_CODEC: Final = dataclass_codec(CoachPlan, kind="plan")
#: A day's /all answer: every configured coach's plan, by coach id.
ALL_CODEC: Final = mapping_codec(PLAN_CODEC, kind="all")
