"""Key layout: namespaced, by coach and day, so clears by coach, day or all find their keys."""

from __future__ import annotations

import pytest

from bot.plans.fetch import ALL
from bot.plans.shared.keyspace import ALL_COACH, Invalidation, Keyspace


def test_all_coach_is_the_process_caches_all_key() -> None:
    """The /all entry must be named the same in both levels."""
    assert ALL_COACH == ALL


def test_keys_are_namespaced_by_prefix_and_layout_version() -> None:
    keys = Keyspace()
    assert keys.redis_key("fresh", ("ab", "2024-11-08")) == "coachplans:v1:fresh:ab:2024-11-08"
    assert keys.redis_key("lock", (ALL_COACH, "2024-11-08")) == "coachplans:v1:lock:_all:2024-11-08"
    assert Keyspace("staging").generation.startswith("staging:v1:")


def test_parse_inverts_redis_key_and_refuses_others() -> None:
    keys = Keyspace()
    for kind in ("fresh", "stale", "lock"):
        for key in (("ab", "2024-11-08"), (ALL_COACH, "2024-11-08")):
            assert keys.parse(keys.redis_key(kind, key)) == (kind, key)
    for other in ("coachplans:v1:generation", "coachplans:v2:fresh:ab:2024-11-08",
                  "coachplans:v1:odd:ab:2024-11-08", "other:v1:fresh:ab:2024-11-08",
                  "coachplans:v1:fresh:a*b:2024-11-08"):  # fmt: skip
        assert keys.parse(other) is None


@pytest.mark.parametrize(
    "key", [("a*b", "2024-11-08"), ("ab", "2024-11-0[8]"), ("a:b", "x"), ("", "")]
)
def test_parts_that_would_break_the_layout_or_scan_are_refused(key: tuple[str, str]) -> None:
    with pytest.raises(ValueError, match="can store"):
        Keyspace().name(key)


@pytest.mark.parametrize("prefix", ["", "a b", "a*", "x:", "a\nb"])
def test_bad_prefixes_are_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="redis_prefix"):
        Keyspace(prefix)


def test_invalidation_follows_the_process_caches_rule() -> None:
    """A coach's clear drops that coach's days and the /all answers holding them."""
    day, other = "2024-11-08", "2024-11-07"
    assert Invalidation().matches(("ab", day))
    assert Invalidation(coach="ab").matches(("ab", other))
    assert Invalidation(coach="ab").matches((ALL_COACH, day))
    assert not Invalidation(coach="ab").matches(("cd", day))
    assert Invalidation(day=day).matches(("cd", day))
    assert not Invalidation(day=day).matches(("cd", other))
    assert Invalidation("ab", day).matches((ALL_COACH, day))
    assert not Invalidation("ab", day).matches((ALL_COACH, other))


def test_scan_patterns_cover_what_a_clear_drops() -> None:
    keys = Keyspace()
    assert keys.scan_pattern(Invalidation()) == "coachplans:v1:*:*"
    assert keys.scan_pattern(Invalidation("ab", "2024-11-08")) == "coachplans:v1:*:2024-11-08"
