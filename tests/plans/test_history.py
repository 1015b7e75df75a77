"""`fetch_plan_history`: the history endpoint parsed, cached, coalesced, with plans' fallbacks.

Categories: parsing (order, extra keys, zones, `[]`), the cache (hits, lifetimes
by session, clears, plan counts untouched), single flight, failures (fallback,
stale copy, strict), bad bodies (bad_response), versions and the pairing with a
cached plan, the sync facade, and once against the reference API.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.plans import CoachPlan, CoachPlanClient, PlanUnavailable, SyncCoachPlanClient
from bot.plans.history import PlanEdit, PlanHistory, predates, versions
from bot.reference_api import load_plans, serve
from tests.conftest import FakeTime
from tests.contract_server import ContractServer

Make = Callable[..., CoachPlanClient]
#: The fake clock's current session (it is Saturday 2024-11-09) and one before it.
FRIDAY = "2024-11-08"
THURSDAY = "2024-11-07"
EST = dt.timezone(dt.timedelta(hours=-5))


def three_edits(server: ContractServer, day: str = FRIDAY) -> None:
    """A plan posted at 08:31 and edited at 09:05, 09:40 and 10:02 (rows newest first)."""
    server.add_plan("d", day, "Long NVDA over 950, stop 925.", edited_at=f"{day}T10:02:00")
    server.add_edits(
        "d",
        day,
        ("Long NVDA over 950, stop 920.", "mod_rachel", f"{day}T10:02:00"),
        ("Long NVDA over 945, stop 920.", "coach_d_handle", f"{day}T09:40:00"),
        ("Long NVDA over 945.", "coach_d_handle", f"{day}T09:05:00.250000"),
    )


# -- parsing -----------------------------------------------------------------------
async def test_history_is_parsed_newest_first_with_aware_times(
    plan_server: ContractServer, plan_client: CoachPlanClient
) -> None:
    """Rows keep the API's newest-first order; extra keys go; naive stamps are New York time."""
    three_edits(plan_server)

    history = await plan_client.fetch_plan_history("d", FRIDAY)

    assert isinstance(history, PlanHistory) and len(history) == 3
    assert [e.edited_by for e in history] == ["mod_rachel", "coach_d_handle", "coach_d_handle"]
    assert history[0] == PlanEdit(
        "Long NVDA over 950, stop 920.", "mod_rachel", dt.datetime(2024, 11, 8, 10, 2, tzinfo=EST)
    )
    assert history[2].edited_at == dt.datetime(2024, 11, 8, 9, 5, 0, 250000, tzinfo=EST)
    assert (history.error, history.stale, history.from_cache) == (None, False, False)
    assert history.to_dict()["history"][0] == {
        "plan_text": "Long NVDA over 950, stop 920.",
        "edited_by": "mod_rachel",
        "edited_at": "2024-11-08T10:02:00-05:00",
    }


async def test_an_unedited_plan_has_an_empty_history_equal_to_a_list(
    plan_server: ContractServer, plan_client: CoachPlanClient
) -> None:
    """`[]` when there is none, as the contract says, and not a failure."""
    plan_server.add_plan("d", FRIDAY)

    history = await plan_client.fetch_plan_history("d", FRIDAY)

    assert history == [] and not history and history.error is None
    assert plan_server.requests_to("history") == 1


async def test_unknown_coach_is_refused_before_any_request(
    plan_server: ContractServer, plan_client: CoachPlanClient
) -> None:
    """The same input policy as plans: no request for a coach we do not know."""
    with pytest.raises(ValueError, match="Unknown coach"):
        await plan_client.fetch_plan_history("x", FRIDAY)
    assert plan_server.requests_to("history") == 0


@pytest.mark.parametrize(
    "kind", ["invalid_json", "html", "wrong_types", "error_200", "deep_json", "huge"]
)
async def test_a_body_that_breaks_the_contract_is_a_bad_response_fallback(
    plan_server: ContractServer, make_client: Make, kind: str
) -> None:
    """Whatever the API sends instead of the contract's shape is bad_response, not edits."""
    plan_server.fail(kind, endpoint="history", times=9, size=2 * 1024 * 1024)  # type: ignore[arg-type]
    client = make_client(max_body_bytes=1024 * 1024)

    history = await client.fetch_plan_history("d", FRIDAY)

    assert history.error == "bad_response" and history == []


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"history": None},
        {"history": {"plan_text": "x"}},
        {"history": ["x"]},
        {"history": [{"edited_by": "a", "edited_at": "2024-11-08T10:00:00"}]},
        {"history": [{"plan_text": 5, "edited_by": "a"}]},
        {"history": [{"plan_text": "x", "edited_by": ["a"]}]},
    ],
)
def test_rows_are_parsed_strictly(body: object) -> None:
    """A body that is not `{"history": [rows]}`, or a row without text, is a BadResponse."""
    with pytest.raises(PlanUnavailable) as raised:
        PlanHistory.from_json(body, "d", dt.date(2024, 11, 8), dt.datetime.now(dt.UTC), EST)
    assert raised.value.category == "bad_response"


def test_a_stamp_that_is_not_iso_costs_only_the_time() -> None:
    """As in a plan: a bad stamp is dropped, the edit is kept."""
    body = {"history": [{"plan_text": "x", "edited_by": None, "edited_at": "yesterday"}]}
    history = PlanHistory.from_json(body, "d", dt.date(2024, 11, 8), dt.datetime.now(dt.UTC), EST)
    assert history.edits == (PlanEdit("x", None, None),)


# -- the cache ---------------------------------------------------------------------
async def test_second_call_is_a_cache_hit(
    plan_server: ContractServer, plan_client: CoachPlanClient
) -> None:
    """One request per coach and day; the hit says it came from the cache."""
    three_edits(plan_server)

    first = await plan_client.fetch_plan_history("d", FRIDAY)
    again = await plan_client.fetch_plan_history("d", "today")

    assert plan_server.requests_to("history") == 1
    assert (first.from_cache, again.from_cache) == (False, True) and again == list(first)
    requests = plan_client.get_metrics()["requests"]
    assert (requests["cache_hits"], requests["cache_misses"]) == (1, 1)


async def test_concurrent_callers_share_one_request(
    plan_server: ContractServer, plan_client: CoachPlanClient
) -> None:
    """Twenty callers of one key while its request is in flight: one request, one answer."""
    three_edits(plan_server)
    plan_server.fail("held", endpoint="history")

    calls = [asyncio.ensure_future(plan_client.fetch_plan_history("d", FRIDAY)) for _ in range(20)]
    await plan_server.in_flight_at_least(1)
    plan_server.release()
    answers = await asyncio.gather(*calls)

    assert plan_server.requests_to("history") == 1
    assert all(len(a) == 3 for a in answers)
    assert plan_client.get_metrics()["requests"]["coalesced"] == 19


async def test_no_edits_today_is_kept_briefly_a_settled_day_long(
    plan_server: ContractServer, make_client: Make, fake_time: FakeTime
) -> None:
    """An edit may come any minute on the current session; a past session's history is settled."""
    client = make_client(not_found_ttl_seconds=60, past_ttl_seconds=86400)
    await client.fetch_plan_history("d", FRIDAY)
    await client.fetch_plan_history("d", THURSDAY)

    fake_time.advance(61)
    await client.fetch_plan_history("d", FRIDAY)
    await client.fetch_plan_history("d", THURSDAY)

    assert plan_server.requests_to("history") == 3


async def test_clear_cache_drops_histories_and_plan_counts_ignore_them(
    plan_server: ContractServer, plan_client: CoachPlanClient
) -> None:
    """Histories are not plans: not counted as cached plans; a clear of the coach drops them."""
    three_edits(plan_server)
    await plan_client.fetch_plan_history("d", FRIDAY)
    await plan_client.fetch_plan_history("s", FRIDAY)

    assert plan_client.cached_plans() == 0
    assert plan_client.get_metrics()["cache"]["size"] == 0
    assert plan_client.clear_cache("d") == 1
    await plan_client.fetch_plan_history("d", FRIDAY)
    await plan_client.fetch_plan_history("s", FRIDAY)
    assert plan_server.requests_to("history") == 3
    assert plan_client.clear_cache() == 2


# -- failures ----------------------------------------------------------------------
async def test_api_down_gives_a_fallback_that_is_not_cached(
    plan_server: ContractServer, plan_client: CoachPlanClient
) -> None:
    """A failure answers with `error` set (no edits to show), and the next call asks again."""
    plan_server.fail("status", endpoint="history", status=500, times=3)

    history = await plan_client.fetch_plan_history("d", FRIDAY)

    assert (history.error, history.stale, len(history)) == ("unavailable", False, 0)
    assert plan_client.get_metrics()["requests"]["fallbacks"] == 1
    three_edits(plan_server)
    assert len(await plan_client.fetch_plan_history("d", FRIDAY)) == 3


async def test_api_down_after_a_fetch_serves_the_stale_copy(
    plan_server: ContractServer, make_client: Make, fake_time: FakeTime
) -> None:
    """The last good history, marked stale, rather than nothing."""
    three_edits(plan_server)
    client = make_client(cache_ttl_seconds=60)
    await client.fetch_plan_history("d", FRIDAY)
    fake_time.advance(61)
    plan_server.fail("status", endpoint="history", status=503, times=9)

    history = await client.fetch_plan_history("d", FRIDAY)

    assert (history.stale, history.from_cache, history.error, len(history)) == (True, True, None, 3)
    assert client.get_metrics()["requests"]["stale_served"] == 1


async def test_a_strict_client_raises_instead_of_a_fallback(
    plan_server: ContractServer, make_client: Make
) -> None:
    """Strict callers get the failure, with the coach and day it was about."""
    plan_server.fail("status", endpoint="history", status=500, times=9)
    client = make_client(strict=True)

    with pytest.raises(PlanUnavailable) as raised:
        await client.fetch_plan_history("d", FRIDAY)
    assert (raised.value.coach, raised.value.day) == ("d", dt.date(2024, 11, 8))


async def test_a_refused_request_is_a_rejected_fallback(
    plan_server: ContractServer, make_client: Make
) -> None:
    """A coach we list but the API does not know: 400, not retried, `rejected`."""
    client = make_client(coaches=("d", "x"))

    history = await client.fetch_plan_history("x", FRIDAY)

    assert history.error == "rejected" and plan_server.requests_to("history") == 1


async def test_calls_after_close_raise(plan_client: CoachPlanClient) -> None:
    """As every other method: a closed client does no I/O."""
    await plan_client.close()
    with pytest.raises(RuntimeError, match="closed"):
        await plan_client.fetch_plan_history("d", FRIDAY)


# -- versions and the cached plan --------------------------------------------------
async def test_versions_pair_each_edit_with_the_text_it_made(
    plan_server: ContractServer, plan_client: CoachPlanClient
) -> None:
    """Newest first: edit 3 made the plan's text, each older edit the next one's replaced text."""
    three_edits(plan_server)
    history = await plan_client.fetch_plan_history("d", FRIDAY)
    plan = await plan_client.fetch_coach_plan("d", FRIDAY)

    shown = [(v.number, v.before, v.text, v.by) for v in versions(plan, history)]

    assert shown == [
        (3, "Long NVDA over 950, stop 920.", "Long NVDA over 950, stop 925.", "mod_rachel"),
        (2, "Long NVDA over 945, stop 920.", "Long NVDA over 950, stop 920.", "coach_d_handle"),
        (1, "Long NVDA over 945.", "Long NVDA over 945, stop 920.", "coach_d_handle"),
        (0, None, "Long NVDA over 945.", "coach_d_handle"),
    ]
    assert versions(None, history)[0].text is None
    assert [v.number for v in versions(plan, [])] == [0]


async def test_a_history_newer_than_the_cached_plan_drops_that_plan(
    plan_server: ContractServer, plan_client: CoachPlanClient
) -> None:
    """An edit after the plan was cached: asked for next, the plan comes from the API, so the
    newest version shows what that edit changed rather than nothing."""
    plan_server.add_plan("d", FRIDAY, "Long NVDA over 945.")
    before = await plan_client.fetch_coach_plan("d", FRIDAY)
    await plan_client.fetch_all_coach_plans(FRIDAY)
    plan_server.add_plan("d", FRIDAY, "Long NVDA over 950.", edited_at=f"{FRIDAY}T09:05:00")
    edit = ("Long NVDA over 945.", "coach_d_handle", f"{FRIDAY}T09:05:00")
    plan_server.add_edits("d", FRIDAY, edit)

    history = await plan_client.fetch_plan_history("d", FRIDAY)
    plan = await plan_client.fetch_coach_plan("d", FRIDAY)
    await plan_client.fetch_all_coach_plans(FRIDAY)

    assert predates(before, history) and not predates(plan, history)
    assert plan.plan == "Long NVDA over 950." and not plan.from_cache
    assert plan_server.requests_to("plan") == 2 and plan_server.requests_to("all") == 2


# -- the sync facade ---------------------------------------------------------------
def test_sync_facade_answers_the_history(threaded_plan_server: ContractServer) -> None:
    """Scripts get the same answer, blocking."""
    three_edits(threaded_plan_server)
    with SyncCoachPlanClient(threaded_plan_server.url, timeout=5) as client:
        history = client.fetch_plan_history("d", FRIDAY)
        none = client.fetch_plan_history("s", FRIDAY)
    assert history[0].edited_by == "mod_rachel" and len(history) == 3 and none == []


# -- against the reference API -----------------------------------------------------
async def test_the_reference_api_history_reads_as_versions(tmp_path: Path) -> None:
    """The reference server's history (edits stored as the text they replaced) pairs up."""
    row = {
        "coach": "s",
        "date": FRIDAY,
        "plan": "MSFT starter here, add over 425, stop 404.",
        "author": "sam.swings",
        "created_at": f"{FRIDAY}T08:40:00",
        "edits": [
            {"plan_text": "MSFT starter here.", "edited_by": "sam.swings",
             "edited_at": f"{FRIDAY}T09:05:00"},
            {"plan_text": "MSFT starter here, add over 425, stop 400.",
             "edited_by": "mod_rachel", "edited_at": f"{FRIDAY}T11:00:00"},
        ],
    }  # fmt: skip
    async with serve(tmp_path / "p.db") as server:
        await asyncio.to_thread(load_plans, server.db_path, [row])
        async with CoachPlanClient(server.url) as client:
            history = await client.fetch_plan_history("s", FRIDAY)
            plan = await client.fetch_coach_plan("s", FRIDAY)
            unedited = await client.fetch_plan_history("d", FRIDAY)

    assert isinstance(plan, CoachPlan) and unedited == []
    assert [(v.by, v.text) for v in versions(plan, history)] == [
        ("mod_rachel", "MSFT starter here, add over 425, stop 404."),
        ("sam.swings", "MSFT starter here, add over 425, stop 400."),
        ("sam.swings", "MSFT starter here."),
    ]
    assert history[0].edited_at == dt.datetime(2024, 11, 8, 11, 0, tzinfo=EST)
