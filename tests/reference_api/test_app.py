"""The plan endpoints speak the contract as deployed, quirks included.

Categories: one plan (found, the 200 "no plan" form, dates, 400s), `/all`, history,
and the routing quirks (308 without the slash, JSON 404, 500 for a wrong method).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.reference_api import load_plans, serve

from .conftest import NOW, TODAY, Reply, plan_row

Get = Callable[..., Any]
PLAN_KEYS = {"plan", "charts", "author", "created_at", "edited_at", "channel"}


async def test_plan_found_has_every_contract_key(get: Get, loaded: list[dict[str, Any]]) -> None:
    """A found plan carries exactly the contract's six keys, values as loaded."""
    reply: Reply = await get("/api/coach-plans/?coach=d&date=2024-11-08")
    assert reply.status == 200
    assert reply.json() == {
        "plan": loaded[0]["plan"],
        "charts": loaded[0]["charts"],
        "author": "coach_d_handle",
        "created_at": "2024-11-08T08:31:02.118223",
        "edited_at": None,
        "channel": "day-trading",
    }


async def test_responses_are_exactly_application_json_and_close(get: Get) -> None:
    """Content-Type has no charset and every connection is closed, as deployed."""
    reply = await get("/api/coach-plans/?coach=d&date=2024-11-08")
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.headers["Connection"].lower() == "close"


async def test_non_ascii_text_arrives_escaped(get: Get, loaded: list[dict[str, Any]]) -> None:
    """The em dash in a plan is sent as \\u2014, so the body is pure ASCII."""
    reply = await get("/api/coach-plans/?coach=s&date=2024-11-08")
    assert b"\\u2014" in reply.raw
    reply.raw.decode("ascii")
    assert "—" in reply.json()["plan"]


async def test_edited_plan_reports_latest_edit_time(get: Get, loaded: list[dict[str, Any]]) -> None:
    """`edited_at` defaults to the newest edit when the row does not give one."""
    reply = await get("/api/coach-plans/?coach=s&date=2024-11-08")
    assert reply.json()["edited_at"] == "2024-11-08T10:02:44.000000"


async def test_no_plan_is_a_200_with_only_plan_and_charts(get: Get) -> None:
    """Contract quirk: no plan answers 200 without author/created_at, not 404."""
    reply = await get("/api/coach-plans/?coach=i&date=2024-11-08")
    assert reply.status == 200
    assert reply.json() == {"plan": "No plan available for coach_i on 2024-11-08", "charts": []}


async def test_garbage_date_is_not_validated(get: Get) -> None:
    """Dates are not validated: garbage gets the "no plan" form."""
    reply = await get("/api/coach-plans/?coach=d&date=garbage")
    assert reply.status == 200
    assert reply.json()["plan"] == "No plan available for coach_d on garbage"


async def test_missing_date_means_the_servers_own_today(
    get: Get, loaded: list[dict[str, Any]]
) -> None:
    """Without a date the server uses its own clock's date (pinned here; see test_clock)."""
    reply = await get("/api/coach-plans/?coach=d")
    assert reply.json()["created_at"] == f"{TODAY}T08:00:00.000000"
    reply = await get("/api/coach-plans/?coach=i")
    assert reply.json()["plan"] == f"No plan available for coach_i on {TODAY}"


@pytest.mark.parametrize(
    ("query", "shown"),
    [("coach=x&date=2024-11-08", "x"), ("date=2024-11-08", ""), ("coach=D", "D")],
)
async def test_unknown_or_missing_coach_is_400(get: Get, query: str, shown: str) -> None:
    """Unknown, missing or differently cased coach ids are rejected with the contract text."""
    reply = await get(f"/api/coach-plans/?{query}")
    assert reply.status == 400
    assert reply.json() == {"error": f"Invalid coach name '{shown}'. Valid coaches: d, i, s, n"}


async def test_all_is_keyed_by_coach_and_lists_only_those_who_posted(
    get: Get, loaded: list[dict[str, Any]]
) -> None:
    """/all uses `coach_<id>` keys, skips coaches without a plan, and has no channel."""
    body = (await get("/api/coach-plans/all?date=2024-11-08")).json()
    assert list(body) == ["coach_d", "coach_s"]
    assert set(body["coach_d"]) == PLAN_KEYS - {"channel"}
    assert body["coach_s"]["edited_at"] == "2024-11-08T10:02:44.000000"


async def test_all_is_empty_object_on_a_day_without_plans(get: Get) -> None:
    """A day nobody posted answers `{}` with 200."""
    reply = await get("/api/coach-plans/all?date=2024-11-09")
    assert (reply.status, reply.json()) == (200, {})


async def test_all_without_date_uses_today(get: Get, loaded: list[dict[str, Any]]) -> None:
    """/all without a date is the server's today as well."""
    assert list((await get("/api/coach-plans/all")).json()) == ["coach_d"]


async def test_history_is_newest_first_with_extra_keys(
    get: Get, loaded: list[dict[str, Any]]
) -> None:
    """History rows come newest first and carry `id` and `plan_id` besides the contract keys."""
    history = (await get("/api/coach-plans/history?coach=s&date=2024-11-08")).json()["history"]
    assert [row["plan_text"] for row in history] == ["v2", "v1"]
    assert set(history[0]) == {"plan_text", "edited_by", "edited_at", "id", "plan_id"}
    assert history[0]["edited_at"] == "2024-11-08T10:02:44.000000"
    assert history[0]["plan_id"] == history[1]["plan_id"]


async def test_history_is_empty_without_edits_or_plan(
    get: Get, loaded: list[dict[str, Any]]
) -> None:
    """No edits, or no plan at all, both give an empty list."""
    for query in ("coach=d&date=2024-11-08", "coach=n&date=2024-11-08"):
        reply = await get(f"/api/coach-plans/history?{query}")
        assert (reply.status, reply.json()) == (200, {"history": []})


async def test_history_rejects_unknown_coach(get: Get) -> None:
    """History validates the coach like the plan endpoint."""
    reply = await get("/api/coach-plans/history?coach=zz&date=2024-11-08")
    assert reply.status == 400
    assert reply.json()["error"].startswith("Invalid coach name 'zz'")


async def test_path_without_slash_redirects_308_with_html(get: Get) -> None:
    """The slashless path answers a 308 with an HTML body, keeping the query."""
    reply = await get("/api/coach-plans?coach=d&date=2024-11-08")
    assert reply.status == 308
    assert reply.headers["Location"] == "/api/coach-plans/?coach=d&date=2024-11-08"
    assert reply.headers["Content-Type"].startswith("text/html")
    assert b"Redirecting..." in reply.raw


async def test_redirect_can_be_followed(
    server: Any, http: aiohttp.ClientSession, loaded: list[dict[str, Any]]
) -> None:
    """A client that follows the 308 lands on the plan."""
    async with http.get(f"{server.url}/api/coach-plans?coach=d&date=2024-11-08") as response:
        assert response.status == 200
        assert (await response.json())["author"] == "coach_d_handle"


@pytest.mark.parametrize(
    "path", ["/x", "/api/coach-plans/all/", "/api/coach-plans/nope", "/charts/x.png"]
)
async def test_unknown_path_is_json_404(get: Get, path: str) -> None:
    """Unknown paths answer the contract's JSON 404 naming the path."""
    reply = await get(path + "?q=1")
    assert reply.status == 404
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.json() == {"error": "Not Found", "message": f"Endpoint {path} not found"}


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/coach-plans/"), ("DELETE", "/health"), ("PUT", "/api/coach-plans/all")],
)
async def test_wrong_method_is_500(get: Get, method: str, path: str) -> None:
    """Contract quirk: a wrong method answers 500, not 405."""
    reply = await get(path, method=method)
    assert reply.status == 500
    assert reply.json()["error"] == "Internal Server Error"


async def test_coaches_are_configuration(db_path: Path, http: aiohttp.ClientSession) -> None:
    """A server configured with other coaches validates and lists those."""
    load_plans(db_path, [plan_row("x"), plan_row("d")], coaches=("x", "d"))
    async with serve(db_path, coaches=("x", "y"), now=lambda: NOW) as server:
        async with http.get(f"{server.url}/api/coach-plans/?coach=d") as response:
            assert response.status == 400
            assert (await response.json())["error"].endswith("Valid coaches: x, y")
        async with http.get(f"{server.url}/api/coach-plans/all?date=2024-11-08") as response:
            assert list(await response.json()) == ["coach_x"]


async def test_keep_alive_when_asked(db_path: Path, http: aiohttp.ClientSession) -> None:
    """`close_connections=False` stands in for a proxy that keeps connections open."""
    async with (
        serve(db_path, close_connections=False) as server,
        http.get(f"{server.url}/health") as response,
    ):
        assert response.headers.get("Connection", "keep-alive").lower() != "close"
