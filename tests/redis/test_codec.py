"""The codec: every CoachPlan field survives the trip, and anything else is a DecodeError.

Categories: round trips (every field, the /all map, zones, the epoch sentinel);
values this version must refuse (foreign, corrupt, other schema, wrong types);
and the guard against a model change slipping through (schema fingerprint,
unknown field types). No Redis needed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.plans.models import CoachPlan
from bot.plans.shared.codec import (
    ALL_CODEC,
    PLAN_CODEC,
    DecodeError,
    dataclass_codec,
)

NEW_YORK = ZoneInfo("America/New_York")


def every_field_set() -> CoachPlan:
    """A plan in which no field holds its default, so a field the codec dropped shows."""
    return CoachPlan(
        coach="ab",
        day=dt.date(2024, 11, 8),
        plan="Buy the dip; ünïcode ✓",
        charts=("https://charts.example/1.png", "https://charts.example/2.png"),
        author="Coach A",
        created_at=dt.datetime(2024, 11, 8, 8, 30, tzinfo=NEW_YORK),
        edited_at=dt.datetime(2024, 11, 8, 9, 45, 12, 345678, tzinfo=dt.UTC),
        channel="plans",
        found=True,
        error="timeout",
        from_cache=True,
        stale=True,
        fetched_at=dt.datetime(2024, 11, 8, 15, 0, tzinfo=dt.UTC),
    )


def test_the_sample_sets_every_field_of_coach_plan() -> None:
    """A field added to CoachPlan later must be added to the sample, or this fails."""
    sample = every_field_set()
    for field in dataclasses.fields(CoachPlan):
        default = field.default
        assert getattr(sample, field.name) != default, f"sample leaves {field.name} at default"


def test_every_field_round_trips() -> None:
    """What one process stores, another reads back equal, field by field."""
    plan = every_field_set()
    back = PLAN_CODEC.decode(PLAN_CODEC.encode(plan))
    assert back == plan
    for field in dataclasses.fields(CoachPlan):
        assert getattr(back, field.name) == getattr(plan, field.name), field.name


def test_zones_survive_not_just_instants() -> None:
    """A stamp read in the API's zone comes back in that zone, not as a bare offset."""
    back = PLAN_CODEC.decode(PLAN_CODEC.encode(every_field_set()))
    assert back.created_at is not None and back.edited_at is not None
    assert back.created_at.tzinfo == NEW_YORK
    assert back.created_at.utcoffset() == dt.timedelta(hours=-5)
    assert back.edited_at.tzinfo == dt.UTC


def test_defaults_and_the_epoch_sentinel_round_trip() -> None:
    """`fetched_at`'s epoch default is compared with `is` (age 0 for a fallback)."""
    fallback = CoachPlan.fallback("ab", dt.date(2024, 11, 8), "unavailable")
    back = PLAN_CODEC.decode(PLAN_CODEC.encode(fallback))
    assert back == fallback
    assert back.fetched_at is fallback.fetched_at
    assert back.age_at(dt.datetime.now(dt.UTC)) == 0.0


def test_the_all_answer_round_trips() -> None:
    plan = every_field_set()
    answer = {"ab": plan, "cd": CoachPlan.missing("cd", plan.day, plan.fetched_at)}
    assert ALL_CODEC.decode(ALL_CODEC.encode(answer)) == answer


def test_values_are_json_with_a_version_header() -> None:
    """Never pickle: a value is JSON anyone can read, and says what it is first."""
    raw = PLAN_CODEC.encode(every_field_set())
    assert raw.startswith(PLAN_CODEC.header)
    envelope = json.loads(raw)
    assert envelope["v"].startswith("plan/2/")
    assert set(envelope) == {"v", "x", "d"}


def test_the_expiry_rides_in_the_value() -> None:
    """A hit is one GET: the remaining TTL comes from the value, not from a PTTL."""
    raw = PLAN_CODEC.encode(every_field_set(), expires_at=1_731_171_234.5678)
    plan, expires_at = PLAN_CODEC.decode_with_expiry(raw)
    assert plan == every_field_set() and expires_at == 1_731_171_234.568
    assert PLAN_CODEC.decode_with_expiry(PLAN_CODEC.encode(plan))[1] == 0.0  # not said


def test_a_value_of_the_first_envelope_is_a_miss() -> None:
    """Version 1 (no expiry) is foreign to this one: read as a miss, then overwritten."""
    data = json.dumps(PLAN_CODEC.to_data(every_field_set())).encode()
    old = b'{"v":"plan/1/' + PLAN_CODEC.schema.encode() + b'","d":' + data + b"}"
    with pytest.raises(DecodeError):
        PLAN_CODEC.decode(old)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x80\x04\x95pickle",
        b'{"v":"plan/0/old","d":{}}',
        b"not json at all",
        b"\xff\xfe\xfd",
    ],
)
def test_foreign_values_are_decode_errors(raw: bytes) -> None:
    with pytest.raises(DecodeError):
        PLAN_CODEC.decode(raw)


def _with_data(change: Any) -> bytes:
    data = PLAN_CODEC.to_data(every_field_set())
    change(data)
    return PLAN_CODEC.header + b'0,"d":' + json.dumps(data).encode() + b"}"


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.pop("plan"),
        lambda d: d.update(extra=1),
        lambda d: d.update(found="yes"),
        lambda d: d.update(found=1),
        lambda d: d.update(charts="one"),
        lambda d: d.update(charts=[1]),
        lambda d: d.update(error="exploded"),
        lambda d: d.update(day="2024-13-45"),
        lambda d: d.update(day=20241108),
        lambda d: d.update(created_at=["yesterday", None]),
        lambda d: d.update(created_at=["2024-11-08T08:30:00", "../../etc/passwd"]),
        lambda d: d.update(author=["x"]),
        lambda d: d.update(stale=1.5),
        lambda d: d.update(coach=None),
    ],
)
def test_right_header_wrong_body_is_a_decode_error(change: Any) -> None:
    """A value with our header but fields we cannot trust is still only a miss."""
    with pytest.raises(DecodeError):
        PLAN_CODEC.decode(_with_data(change))


def test_truncated_and_deeply_nested_values_are_decode_errors() -> None:
    raw = PLAN_CODEC.encode(every_field_set())
    with pytest.raises(DecodeError):
        PLAN_CODEC.decode(raw[:-5])
    with pytest.raises(DecodeError):  # our header, a non-integer expiry
        PLAN_CODEC.decode(PLAN_CODEC.header + b'"soon","d":{}}')
    with pytest.raises(DecodeError):
        PLAN_CODEC.decode(PLAN_CODEC.header + b"[" * 100_000 + b"]" * 100_000 + b"}")


@dataclasses.dataclass(frozen=True)
class Grown:
    """CoachPlan's shape plus one field, as a later version might have it."""

    coach: str
    extra: int = 0


@dataclasses.dataclass(frozen=True)
class Small:
    coach: str


def test_a_changed_model_reads_as_another_version() -> None:
    """Processes with different fields never read each other's values: a miss each way."""
    grown, small = dataclass_codec(Grown, kind="plan"), dataclass_codec(Small, kind="plan")
    assert grown.header != small.header
    with pytest.raises(DecodeError):
        small.decode(grown.encode(Grown("ab", 1)))


def test_a_field_of_an_unknown_type_fails_at_build_time() -> None:
    @dataclasses.dataclass(frozen=True)
    class Odd:
        weights: dict[str, float]

    with pytest.raises(TypeError, match="cannot store"):
        dataclass_codec(Odd, kind="odd")
