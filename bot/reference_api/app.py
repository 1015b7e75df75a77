"""Routes of the reference Coach Plan API, speaking the contract as deployed, quirks included.

See the contract, shared/coach-plan-api.md. The quirks are deliberate: a 200 for "no plan",
a 308 with an HTML body without the trailing slash, 500 for a wrong method, dates not
validated, naive timestamps (wall time in the server's zone, `--timezone`), and
`Connection: close` on every response. The client is tested against this server, so
smoothing any of them over here would hide client bugs.

It stays one module past ~300 lines so that every route and the two middlewares
around them (contract errors, request counts) read together: the quirks are
spread across them.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, TypeVar, final

from aiohttp import web

from ._clock import DEFAULT_TIMEZONE, server_zone, wall_clock
from .charts import DEMO_CHART_NAMES, chart_png
from .db import PlanStore, StoredPlan
from .loader import DEFAULT_COACHES

log = logging.getLogger(__name__)
T = TypeVar("T")

PLAN_PATH: Final = "/api/coach-plans/"
JSON_CONTENT_TYPE: Final = "application/json"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@final
@dataclass
class RequestCounters:
    """What `/metrics` reports; the request being answered is not counted yet."""

    total: int = 0
    success: int = 0
    error: int = 0


@final
@dataclass
class ServerState:
    store: PlanStore
    coaches: tuple[str, ...]
    now: Callable[[], datetime]
    close_connections: bool
    counters: RequestCounters = field(default_factory=RequestCounters)
    started: float = field(default_factory=time.monotonic)


STATE: Final = web.AppKey("coach_plan_state", ServerState)


def create_app(
    db_path: str | os.PathLike[str],
    *,
    coaches: Sequence[str] = DEFAULT_COACHES,
    now: Callable[[], datetime] | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    close_connections: bool = True,
    read_only: bool = False,
) -> web.Application:
    """Build the app; the database file and schema are created when it starts.

    The deployed service's "today" and timestamps are its own naive wall clock; here
    that clock is read in `timezone` (an IANA name; `ValueError` if unknown), never
    the machine's zone, so a server answers the same on a laptop, in CI and in a
    container. A `now` returning naive wall time replaces it: tests pin it.
    `close_connections=False` stands in for a proxy that keeps connections open.
    `read_only` opens the database without ever writing it (the schema must exist);
    a database that cannot be written is served read-only anyway (see `PlanStore`).
    """
    if not coaches:
        raise ValueError("at least one coach id is required")
    clock = wall_clock(server_zone(timezone)) if now is None else now
    store = PlanStore(db_path, read_only=read_only)
    state = ServerState(store, tuple(coaches), clock, close_connections)
    app = web.Application(middlewares=[_count_requests, _contract_errors])
    app[STATE] = state
    app.on_startup.append(_initialize)
    app.router.add_get(PLAN_PATH, _plan)
    app.router.add_get("/api/coach-plans", _slash_redirect)
    app.router.add_get("/api/coach-plans/all", _all_plans)
    app.router.add_get("/api/coach-plans/history", _history)
    app.router.add_get("/health", _health)
    app.router.add_get("/metrics", _metrics)
    app.router.add_get("/charts/{name}", _chart)
    return app


async def _initialize(app: web.Application) -> None:
    state = app[STATE]
    await asyncio.to_thread(state.store.initialize)
    state.started = time.monotonic()
    log.info("serving plans from %s for coaches %s", state.store.path, ", ".join(state.coaches))


def _json(data: Any, *, status: int = 200) -> web.Response:
    # Built by hand: json_response would add "; charset=utf-8", and the contract's
    # Content-Type is exactly application/json with non-ASCII escaped.
    return web.Response(
        body=json.dumps(data).encode("ascii"), status=status, content_type=JSON_CONTENT_TYPE
    )


def _timestamp(state: ServerState) -> str:
    return state.now().isoformat(timespec="microseconds")


def _coach_and_day(request: web.Request) -> tuple[str, str]:
    """The coach (400 if unknown or missing) and the day, unvalidated, as the service does."""
    state = request.app[STATE]
    coach = request.query.get("coach", "")
    if coach not in state.coaches:
        message = f"Invalid coach name '{coach}'. Valid coaches: {', '.join(state.coaches)}"
        raise _Reply(_json({"error": message}, status=400))
    return coach, request.query.get("date") or state.now().date().isoformat()


class _Reply(Exception):
    """Carries a finished response out of a helper."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def _plan_json(plan: StoredPlan, *, channel: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "plan": plan.plan,
        "charts": list(plan.charts),
        "author": plan.author,
        "created_at": plan.created_at,
        "edited_at": plan.edited_at,
    }
    if channel:
        body["channel"] = plan.channel
    return body


async def _read(what: str, read: Callable[..., T], *args: str) -> T | web.Response:
    """Run a store read off the loop; a failure becomes the contract's 500 answer."""
    try:
        return await asyncio.to_thread(read, *args)
    except Exception as exc:
        log.exception("reading the %s for %s failed", what, "/".join(args))
        return _json({"error": f"Failed to retrieve {what}", "message": str(exc)}, status=500)


async def _plan(request: web.Request) -> web.Response:
    coach, day = _coach_and_day(request)
    plan = await _read("plan", request.app[STATE].store.plan, coach, day)
    if isinstance(plan, web.Response):
        return plan
    if plan is None:
        # Contract quirk: "no plan" is a 200 without author/created_at, not a 404.
        return _json({"plan": f"No plan available for coach_{coach} on {day}", "charts": []})
    return _json(_plan_json(plan, channel=True))


async def _all_plans(request: web.Request) -> web.Response:
    state = request.app[STATE]
    day = request.query.get("date") or state.now().date().isoformat()
    plans = await _read("plans", state.store.plans_on, day)
    if isinstance(plans, web.Response):
        return plans
    return _json(
        {
            f"coach_{coach}": _plan_json(plans[coach], channel=False)
            for coach in state.coaches
            if coach in plans
        }
    )


async def _history(request: web.Request) -> web.Response:
    coach, day = _coach_and_day(request)
    edits = await _read("history", request.app[STATE].store.history, coach, day)
    if isinstance(edits, web.Response):
        return edits
    rows = [
        {
            "plan_text": edit.plan_text,
            "edited_by": edit.edited_by,
            "edited_at": edit.edited_at,
            "id": edit.id,
            "plan_id": edit.plan_id,
        }
        for edit in edits
    ]
    return _json({"history": rows})


async def _health(request: web.Request) -> web.Response:
    state = request.app[STATE]
    try:
        count = await asyncio.to_thread(state.store.plan_count)
    except Exception as exc:
        log.warning("health check: database unusable: %s", exc)
        database: dict[str, Any] = {"status": "down", "error": str(exc)}
        healthy = False
    else:
        database = {"status": "up", "plan_count": count}
        healthy = True
    body = {
        "status": "healthy" if healthy else "unhealthy",
        "timestamp": _timestamp(state),
        # This server has no Discord side; the deployed one reports "healthy" even when
        # its bot is disconnected, so saying so here keeps that quirk visible.
        "components": {"database": database, "discord_bot": {"status": "disconnected"}},
    }
    return _json(body, status=200 if healthy else 503)


async def _metrics(request: web.Request) -> web.Response:
    state = request.app[STATE]
    try:
        stats = await asyncio.to_thread(state.store.stats)
    except Exception as exc:
        log.exception("collecting metrics failed")
        return _json({"error": "Failed to collect metrics", "message": str(exc)}, status=500)
    counters = state.counters
    rate = round(counters.error / counters.total * 100, 2) if counters.total else 0.0
    return _json(
        {
            "timestamp": _timestamp(state),
            "uptime_seconds": round(time.monotonic() - state.started, 2),
            "requests": {
                "total": counters.total,
                "success": counters.success,
                "error": counters.error,
                "error_rate_percent": rate,
            },
            "database": {
                "total_plans": stats.total_plans,
                "total_charts": stats.total_charts,
                "total_edits": stats.total_edits,
                "latest_plan": stats.latest_plan,
            },
        }
    )


async def _chart(request: web.Request) -> web.Response:
    name = request.match_info["name"].removesuffix(".png")
    if not request.match_info["name"].endswith(".png") or name not in DEMO_CHART_NAMES:
        raise web.HTTPNotFound()
    return web.Response(body=chart_png(name), content_type="image/png")


async def _slash_redirect(request: web.Request) -> web.Response:
    """The 308 the deployed service (a Werkzeug-style router) sends, HTML body and all."""
    query = request.rel_url.raw_query_string
    target = PLAN_PATH + (f"?{query}" if query else "")
    link = html.escape(target)
    body = (
        "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n"
        "<h1>Redirecting...</h1>\n<p>You should be redirected automatically to the target URL: "
        f'<a href="{link}">{link}</a>. If not, click the link.\n'
    )
    return web.Response(
        status=308, text=body, content_type="text/html", headers={"Location": target}
    )


@web.middleware
async def _contract_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Map aiohttp's own errors to the contract: JSON 404, and 500 for a wrong method."""
    try:
        return await handler(request)
    except _Reply as reply:
        return reply.response
    except web.HTTPNotFound:
        return _json(
            {"error": "Not Found", "message": f"Endpoint {request.path} not found"}, status=404
        )
    except web.HTTPMethodNotAllowed as exc:
        # Contract quirk: the deployed service turns 405 into a 500.
        allowed = ", ".join(sorted(exc.allowed_methods))
        message = f"Method {request.method} not allowed; allowed: {allowed}"
        return _json({"error": "Internal Server Error", "message": message}, status=500)
    except web.HTTPException:
        raise
    except Exception as exc:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _json({"error": "Internal Server Error", "message": str(exc)}, status=500)


@web.middleware
async def _count_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = request.app[STATE]
    status = 500
    try:
        response = await handler(request)
        status = response.status
        if state.close_connections:
            response.force_close()
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        state.counters.total += 1
        if status >= 400:
            state.counters.error += 1
        else:
            state.counters.success += 1
