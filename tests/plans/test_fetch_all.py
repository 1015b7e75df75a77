"""`fetch_all_coach_plans` returns what the API returned: the coaches that posted.

Categories: the answer's shape (plain ids, only coaches that posted, a coach
the configuration does not list included, `len()` counting plans); failures
(a fallback per configured coach, stale copies); how long the day's answer is
cached while a configured coach has not posted; and `parse_all` on its own,
for the keys /all may carry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from bot.plans import BadResponse, CoachPlanClient, InvalidInput
from bot.plans.models import parse_all
from tests.conftest import NOW, TODAY, FakeTime
from tests.contract_server import ContractServer

Make = Callable[..., CoachPlanClient]
DAY = dt.date(2024, 11, 9)
CONFIGURED = ("d", "i", "s", "n")


def posted(text: str = "A plan.") -> dict[str, Any]:
    return {"plan": text, "charts": [], "author": "someone", "created_at": "2024-11-09T08:00:00"}


# -- shape ------------------------------------------------------------------------------
async def test_only_coaches_that_posted_keyed_by_plain_id(
    plan_server: ContractServer, make_client: Make
) -> None:
    """`coach_d` becomes `d`; a coach who did not post is absent, so `len()` counts plans."""
    plan_server.add_plan("d", TODAY, "Day plan.")
    plan_server.add_plan("n", TODAY, "CPI at 8:30.")

    plans = await make_client().fetch_all_coach_plans(TODAY)

    assert list(plans) == ["d", "n"] and len(plans) == 2
    assert all(p.found and p.error is None and p.day == DAY for p in plans.values())
    assert plans["n"].plan == "CPI at 8:30."


async def test_a_coach_the_configuration_does_not_list_is_included(
    plan_server: ContractServer, make_client: Make
) -> None:
    """The API may know more coaches than we show: its plan is part of the day's answer."""
    plan_server.add_plan("d", TODAY)
    plan_server.add_plan("x", TODAY, "Options desk plan.")
    client = make_client()

    plans = await client.fetch_all_coach_plans(TODAY)

    assert set(plans) == {"d", "x"} and plans["x"].plan == "Options desk plan."
    assert plans["x"].coach == "x" and plans["x"].found
    with pytest.raises(InvalidInput):  # it still cannot be asked for alone
        await client.fetch_coach_plan("x", TODAY)
    assert plan_server.requests_to("plan") == 0


async def test_a_day_nobody_posted_is_empty(plan_server: ContractServer, make_client: Make) -> None:
    """The API's `{}` stays empty: nobody posted, which is not a failure."""
    assert await make_client().fetch_all_coach_plans(TODAY) == {}


# -- failures -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "error"), [(500, "unavailable"), (400, "rejected")], ids=["500", "400"]
)
async def test_failure_without_stale_copies_is_a_fallback_per_configured_coach(
    plan_server: ContractServer, make_client: Make, status: int, error: str
) -> None:
    """No copy to fall back on: one fallback per configured coach, none for other coaches."""
    plan_server.add_plan("x", TODAY)  # unlisted: unknown to a failure
    plan_server.fail("status", endpoint="all", status=status, times=9)

    plans = await make_client(max_retries=1).fetch_all_coach_plans(TODAY)

    assert tuple(plans) == CONFIGURED
    assert {p.error for p in plans.values()} == {error}
    assert not any(p.found or p.stale or p.charts for p in plans.values())
    assert plans["s"].plan == f"Error retrieving plan for coach s: {error}"


async def test_failure_after_an_answer_gives_each_configured_coach_its_stale_copy(
    plan_server: ContractServer, make_client: Make, fake_time: FakeTime
) -> None:
    """After a good /all, each configured coach has a copy: the plan, or "no plan", stale."""
    plan_server.add_plan("d", TODAY, "Day plan.")
    client = make_client(cache_ttl_seconds=10, not_found_ttl_seconds=10, max_retries=1)
    await client.fetch_all_coach_plans(TODAY)
    fake_time.advance(20)
    plan_server.fail("status", endpoint="all", status=503, times=9)

    plans = await client.fetch_all_coach_plans(TODAY)

    assert tuple(plans) == CONFIGURED
    assert all(p.stale and p.error is None for p in plans.values())
    assert plans["d"].plan == "Day plan." and not plans["i"].found


# -- caching ------------------------------------------------------------------------------
async def test_a_configured_coach_who_has_not_posted_keeps_the_short_ttl(
    plan_server: ContractServer, make_client: Make, fake_time: FakeTime
) -> None:
    """Today's answer without coach i lives as briefly as i's "no plan": i's plan, posted a
    minute later, shows up, though i is not a key of the answer."""
    plan_server.add_plan("d", TODAY)
    client = make_client(cache_ttl_seconds=3600, not_found_ttl_seconds=60)
    await client.fetch_all_coach_plans(TODAY)
    plan_server.add_plan("i", TODAY, "Late plan.")
    fake_time.advance(61)

    plans = await client.fetch_all_coach_plans(TODAY)

    assert set(plans) == {"d", "i"} and plans["i"].plan == "Late plan."
    assert plan_server.requests_to("all") == 2


async def test_a_day_every_configured_coach_posted_keeps_the_full_ttl(
    plan_server: ContractServer, make_client: Make, fake_time: FakeTime
) -> None:
    for coach in CONFIGURED:
        plan_server.add_plan(coach, TODAY)
    client = make_client(cache_ttl_seconds=3600, not_found_ttl_seconds=60)
    await client.fetch_all_coach_plans(TODAY)
    fake_time.advance(61)

    again = await client.fetch_all_coach_plans(TODAY)

    assert all(p.from_cache for p in again.values()) and len(again) == 4
    assert plan_server.requests_to("all") == 1


# -- parse_all ----------------------------------------------------------------------------
def parse(body: object) -> dict[str, Any]:
    return parse_all(body, CONFIGURED, DAY, NOW)


def test_plain_ids_and_any_case_of_the_prefix_read_the_same() -> None:
    assert set(parse({"d": posted(), "COACH_S": posted(), "coach_n": posted()})) == {"d", "s", "n"}


def test_extra_keys_are_ignored() -> None:
    """Keys that are no coach's plan (a timestamp, a count, an error next to plans) are skipped."""
    body = {
        "coach_d": posted(),
        "timestamp": "2024-11-09T09:00:00",
        "meta": {"count": 1},
        "error": "partial",
        "total": 1,
    }
    assert list(parse(body)) == ["d"]


def test_an_entry_in_the_no_plan_form_is_not_a_plan() -> None:
    no_plan = {"plan": "No plan available for coach_i on 2024-11-09", "charts": []}
    assert list(parse({"coach_d": posted(), "coach_i": no_plan, "coach_x": no_plan})) == ["d"]


def test_a_broken_entry_of_a_configured_coach_fails_the_answer() -> None:
    with pytest.raises(BadResponse):
        parse({"coach_d": posted(), "coach_s": {"plan": 5, "author": "a"}})


def test_a_broken_entry_of_an_unlisted_coach_is_dropped() -> None:
    """A coach we do not show cannot fail the plans we do show."""
    body = {"coach_d": posted(), "coach_x": "garbage", "y": {"plan": ["not text"], "author": "a"}}
    assert list(parse(body)) == ["d"]


def test_an_unlisted_coach_needs_an_id_of_letters_and_digits() -> None:
    body = {"coach_": posted(), "coach_<b>": posted(), "coach_x2": posted(), "ab c": posted()}
    assert list(parse(body)) == ["x2"]


def test_a_lone_error_is_a_failure() -> None:
    with pytest.raises(BadResponse):
        parse({"error": "database locked"})
    with pytest.raises(BadResponse):
        parse(["not", "an", "object"])
