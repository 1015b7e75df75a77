"""Input is checked before any request, by the one input policy (`bot.plans.inputs`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from bot.plans import CoachPlanClient, InvalidInput
from tests.conftest import TODAY
from tests.contract_server import ContractServer

Make = Callable[..., CoachPlanClient]


@pytest.mark.parametrize("coach", ["x", "", "d/../../health", "coach_x", None, 5, "dd"])
async def test_unknown_coach_raises_value_error_before_any_request(
    plan_server: ContractServer, make_client: Make, coach: object
) -> None:
    """A bad coach id is a ValueError with a readable sentence, and the API sees nothing."""
    with pytest.raises(ValueError, match="Valid coaches: d, i, s, n"):
        await make_client().fetch_coach_plan(coach, TODAY)  # type: ignore[arg-type]
    assert sum(plan_server.hits.values()) == 0


@pytest.mark.parametrize(
    "date", ["2024-13-45", "2024-02-30", "tomorrow", "20241109", "9/11/2024", 3, "last friday"]
)
async def test_bad_date_raises_value_error(
    plan_server: ContractServer, make_client: Make, date: object
) -> None:
    """Only a date or YYYY-MM-DD of a real day is accepted."""
    with pytest.raises(InvalidInput, match="use YYYY-MM-DD, today or previous"):
        await make_client().fetch_coach_plan("d", date)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        await make_client().fetch_all_coach_plans(date)  # type: ignore[arg-type]
    assert sum(plan_server.hits.values()) == 0


async def test_coach_is_case_insensitive_and_sent_as_query(
    plan_server: ContractServer, make_client: Make
) -> None:
    """`D` and the API's `coach_d` mean `d`; the id travels as ?coach=, never in the path."""
    plan_server.add_plan("d", TODAY)
    for spelling in (" D ", "coach_d", "COACH_D"):
        plan = await make_client().fetch_coach_plan(spelling, dt.date(2024, 11, 9))
        assert plan["found"] and plan["coach"] == "d"
    assert set(plan_server.hits) == {"/api/coach-plans/"}


@pytest.mark.parametrize(
    ("date", "sentence"),
    [
        ("1999-12-31", "1999-12-31 is too early: plans start on 2000-01-01."),
        (
            "2025-11-11",
            "2025-11-11 is more than a year after the current session (2024-11-08); "
            "no plan is posted that far ahead.",
        ),
        (dt.date(1987, 10, 19), "1987-10-19 is too early"),
    ],
)
async def test_days_out_of_range_are_refused_with_one_sentence(
    plan_server: ContractServer, make_client: Make, date: object, sentence: str
) -> None:
    """Before 2000, or more than a year past the current session: refused, nothing sent."""
    with pytest.raises(InvalidInput) as caught:
        await make_client().fetch_coach_plan("d", date)  # type: ignore[arg-type]
    assert str(caught.value).startswith(sentence)
    with pytest.raises(InvalidInput):
        await make_client().fetch_all_coach_plans(date)  # type: ignore[arg-type]
    assert sum(plan_server.hits.values()) == 0


async def test_a_year_ahead_is_still_asked(plan_server: ContractServer, make_client: Make) -> None:
    """The last day within a year of the current session reaches the API."""
    plan = await make_client().fetch_coach_plan("d", "2025-11-09")
    assert plan.day == dt.date(2025, 11, 9) and plan.error is None


async def test_configured_coaches_replace_the_default(
    plan_server: ContractServer, make_client: Make
) -> None:
    """The coach list is configuration: an unconfigured id is refused alone, yet its posted
    plan is part of what /all returned."""
    client = make_client(coaches=["d", "s"])
    with pytest.raises(ValueError, match="Valid coaches: d, s"):
        await client.fetch_coach_plan("i", TODAY)
    plan_server.add_plan("i", TODAY)
    plan_server.add_plan("s", TODAY)
    assert set(await client.fetch_all_coach_plans(TODAY)) == {"i", "s"}


async def test_default_date_is_the_current_session_in_new_york(
    plan_server: ContractServer, make_client: Make
) -> None:
    """At 03:00 UTC on Wednesday the 13th it is still Tuesday the 12th in New York."""
    client = make_client(now=lambda: dt.datetime(2024, 11, 13, 3, 0, tzinfo=dt.UTC))
    plan_server.add_plan("s", "2024-11-12")
    plan = await client.fetch_coach_plan("d")
    assert plan["date"] == "2024-11-12"
    assert [c.day for c in (await client.fetch_all_coach_plans()).values()] == [
        dt.date(2024, 11, 12)
    ]
    assert plan_server.dates_asked() == ["2024-11-12", "2024-11-12"]


def test_constructor_rejects_bad_settings() -> None:
    """Bad construction fails at once with a sentence, not at the first call."""
    cases: tuple[dict[str, Any], ...] = (
        {"max_retries": 0},
        {"cache_ttl_seconds": 0},
        {"max_cache_size": 0},
        {"timezone": "Mars/Olympus"},
        {"timezone": "America"},
        {"api_timezone": "Nowhere/Else"},
        {"market_calendar": "LSE"},
        {"coaches": ["d", "d"]},
        {"timeout": -1},
        {"coaches": []},
    )
    for kwargs in cases:
        with pytest.raises(ValueError):
            CoachPlanClient("http://127.0.0.1:5000", **kwargs)
    with pytest.raises(ValueError, match="http"):
        CoachPlanClient("ftp://example")


async def test_today_follows_midnight_in_new_york(
    plan_server: ContractServer, make_client: Make
) -> None:
    """A long-lived client moves to the next session at New York's midnight, not UTC's."""
    clock = {"now": dt.datetime(2024, 11, 12, 4, 59, tzinfo=dt.UTC)}  # 23:59 EST Monday
    client = make_client(now=lambda: clock["now"])
    assert (await client.fetch_coach_plan("d"))["date"] == "2024-11-11"
    clock["now"] = dt.datetime(2024, 11, 12, 5, 0, tzinfo=dt.UTC)  # 00:00 EST Tuesday
    assert (await client.fetch_coach_plan("d"))["date"] == "2024-11-12"
    clock["now"] = dt.datetime(2024, 11, 11, 12, 0, tzinfo=dt.UTC)  # a clock set back
    assert (await client.fetch_coach_plan("d"))["date"] == "2024-11-11"
