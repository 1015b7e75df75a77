"""Input is checked before any request; "today" is the US trading day, not the machine's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from bot.plans import CoachPlanClient, InvalidInput
from tests.conftest import TODAY
from tests.contract_server import ContractServer

Make = Callable[..., CoachPlanClient]


@pytest.mark.parametrize("coach", ["x", "", "d/../../health", "coach_d", None, 5, "dd"])
async def test_unknown_coach_raises_value_error_before_any_request(
    plan_server: ContractServer, make_client: Make, coach: object
) -> None:
    """A bad coach id is a ValueError with a readable sentence, and the API sees nothing."""
    with pytest.raises(ValueError, match="Valid coaches: d, i, s, n"):
        await make_client().fetch_coach_plan(coach, TODAY)  # type: ignore[arg-type]
    assert sum(plan_server.hits.values()) == 0


@pytest.mark.parametrize(
    "date", ["2024-13-45", "2024-02-30", "tomorrow", "20241109", "9/11/2024", 3]
)
async def test_bad_date_raises_value_error(
    plan_server: ContractServer, make_client: Make, date: object
) -> None:
    """Only a date or YYYY-MM-DD of a real day is accepted."""
    with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
        await make_client().fetch_coach_plan("d", date)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        await make_client().fetch_all_coach_plans(date)  # type: ignore[arg-type]
    assert sum(plan_server.hits.values()) == 0


async def test_coach_is_case_insensitive_and_sent_as_query(
    plan_server: ContractServer, make_client: Make
) -> None:
    """`D` means `d`; the id travels as ?coach=, never spliced into the path."""
    plan_server.add_plan("d", TODAY)
    plan = await make_client().fetch_coach_plan(" D ", dt.date(2024, 11, 9))
    assert plan["found"] and plan["coach"] == "d"
    assert set(plan_server.hits) == {"/api/coach-plans/"}


async def test_configured_coaches_replace_the_default(
    plan_server: ContractServer, make_client: Make
) -> None:
    """The coach list is configuration: an unconfigured id is refused."""
    client = make_client(coaches=["d", "s"])
    with pytest.raises(ValueError, match="Valid coaches: d, s"):
        await client.fetch_coach_plan("i", TODAY)
    assert set(await client.fetch_all_coach_plans(TODAY)) == {"d", "s"}


async def test_default_date_is_today_in_new_york(
    plan_server: ContractServer, make_client: Make
) -> None:
    """At 03:00 UTC on the 10th it is still the 9th in New York: that is the day asked for."""
    client = make_client(now=lambda: dt.datetime(2024, 11, 10, 3, 0, tzinfo=dt.UTC))
    plan = await client.fetch_coach_plan("d")
    assert plan["date"] == "2024-11-09"
    tokyo = make_client(
        now=lambda: dt.datetime(2024, 11, 10, 3, 0, tzinfo=dt.UTC), timezone="Asia/Tokyo"
    )
    assert tokyo.today() == dt.date(2024, 11, 10)


def test_constructor_rejects_bad_settings() -> None:
    """Bad construction fails at once with a sentence, not at the first call."""
    cases: tuple[dict[str, Any], ...] = (
        {"max_retries": 0},
        {"cache_ttl_seconds": 0},
        {"max_cache_size": 0},
        {"timezone": "Mars/Olympus"},
        {"timezone": "America"},
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
    """A long-lived client moves to the next trading day at New York's midnight, not UTC's."""
    clock = {"now": dt.datetime(2024, 11, 10, 4, 59, tzinfo=dt.UTC)}  # 23:59 EST on the 9th
    client = make_client(now=lambda: clock["now"])
    assert (await client.fetch_coach_plan("d"))["date"] == "2024-11-09"
    clock["now"] = dt.datetime(2024, 11, 10, 5, 0, tzinfo=dt.UTC)  # 00:00 EST on the 10th
    assert (await client.fetch_coach_plan("d"))["date"] == "2024-11-10"
    clock["now"] = dt.datetime(2024, 11, 9, 12, 0, tzinfo=dt.UTC)  # a clock set back
    assert (await client.fetch_coach_plan("d"))["date"] == "2024-11-09"
