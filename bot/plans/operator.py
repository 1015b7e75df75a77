"""What operators ask of the API beyond plans: its health and its own counters.

Kept apart from the plan path: no cache, no breaker (a health check must reach
the server even while the breaker keeps plan requests away), one attempt for
health. Both answer the server's trouble with data, never an exception.

Unlike the plan path's errors, the health answer names the URL asked (its
password masked): it goes to the operator who chose it, and "unreachable"
alone does not say whether the wrong address was configured.
"""

from __future__ import annotations

import time
from typing import Any

from .breaker import CircuitBreaker
from .models import PlanError
from .redact import mask_url_credentials
from .transport import Upstream


async def check_health(
    upstream: Upstream, breaker: CircuitBreaker, *, deadline_at: float
) -> dict[str, Any]:
    """The server's own health answer plus ours (breaker state, last error) and the URL."""
    ours = {"breaker": breaker.state, "last_error": upstream.last_error}
    url = mask_url_credentials(upstream.base_url + "health")
    started = time.perf_counter()
    try:
        reply = await upstream.get_json(
            "health",
            "health",
            deadline_at=deadline_at,
            ok_statuses=(200, 503),
            retry=False,
            use_breaker=False,
        )
    except PlanError as exc:
        return {
            "healthy": False,
            "status": "unreachable",
            "url": url,
            "error": getattr(exc, "category", "unavailable"),
            "server": None,
            "client": ours,
        }
    body = reply.body if isinstance(reply.body, dict) else {}
    return {
        "healthy": reply.status == 200 and body.get("status") == "healthy",
        "status": body.get("status", "unknown"),
        "url": url,
        "http_status": reply.status,
        "latency_ms": round((time.perf_counter() - started) * 1000, 2),
        "server": body,
        "client": ours,
    }


async def server_metrics(upstream: Upstream, *, deadline_at: float) -> dict[str, Any]:
    """The server's /metrics counters, or `{"error": category}`."""
    try:
        reply = await upstream.get_json(
            "metrics", "metrics", deadline_at=deadline_at, use_breaker=False
        )
    except PlanError as exc:
        return {"error": getattr(exc, "category", "unavailable")}
    return reply.body if isinstance(reply.body, dict) else {"error": "bad_response"}
