"""The bot's `/metrics` page for Prometheus, served on the bot's own event loop.

Off unless `METRICS_ADDR` is set. Served by aiohttp (already ours) on the loop
that owns the plan client, so every scrape reads `get_metrics()` on the thread
the client lives on; prometheus-client's own threaded server would read it from
another thread.
"""

from __future__ import annotations

import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from bot.fleet import parse_metrics_addr

log = logging.getLogger(__name__)


class MetricsServer:
    """`GET /metrics` in the Prometheus text format; `start()` then `close()`."""

    def __init__(self, registry: CollectorRegistry, addr: str) -> None:
        self._registry = registry
        self.host, self.port = parse_metrics_addr(addr)
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:  # a free port, for tests
            self.port = self._runner.addresses[0][1]
        log.info("serving metrics on http://%s:%d/metrics", self.host, self.port)

    async def close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _metrics(self, request: web.Request) -> web.Response:
        body = generate_latest(self._registry)
        response = web.Response(body=body)
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response
