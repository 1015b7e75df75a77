"""Run the reference server inside an event loop, for tests, the offline mode and the CLI."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Final, final

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from ._clock import DEFAULT_TIMEZONE
from .app import STATE, create_app
from .demo import fill_demo
from .loader import DEFAULT_COACHES

log = logging.getLogger(__name__)

DEFAULT_DB_PATH: Final = "coach_plans.db"
DEFAULT_HOST: Final = "127.0.0.1"
SHUTDOWN_TIMEOUT_SECONDS: Final = 5.0


@final
@dataclass(frozen=True, slots=True)
class RunningServer:
    """Where a started server listens; `url` has no trailing slash."""

    url: str
    host: str
    port: int
    db_path: Path


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the unauthenticated API on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@asynccontextmanager
async def serve(
    db_path: str | os.PathLike[str] = DEFAULT_DB_PATH,
    *,
    host: str = DEFAULT_HOST,
    port: int = 0,
    demo: bool = False,
    demo_today: date | None = None,
    coaches: Sequence[str] = DEFAULT_COACHES,
    now: Callable[[], datetime] | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    close_connections: bool = True,
) -> AsyncIterator[RunningServer]:
    """Serve the API until the block exits; port 0 picks a free port.

    `now` and `timezone` are the server's clock, as in `create_app`. With `demo`, the
    demo week is written once the port is known, because its chart URLs point back
    at this server; it ends at `demo_today`, default the server's today in New York,
    and replaces plans for the same coach and day.
    """
    app = create_app(
        db_path, coaches=coaches, now=now, timezone=timezone, close_connections=close_connections
    )
    runner = web.AppRunner(
        app, access_log_class=_AccessLogger, shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_port = int(runner.addresses[0][1])
        url_host = f"[{host}]" if ":" in host else host
        server = RunningServer(
            url=f"http://{url_host}:{bound_port}",
            host=host,
            port=bound_port,
            db_path=app[STATE].store.path,
        )
        if demo:
            count = await asyncio.to_thread(
                fill_demo,
                db_path,
                demo_today,
                base_url=server.url,
                timezone=timezone,
                now=app[STATE].now(),
            )
            log.info("demo: wrote %d plans", count)
        log.info("listening on %s", server.url)
        yield server
    finally:
        await runner.cleanup()


@final
class _AccessLogger(AbstractAccessLogger):
    """Path without the query string: chart links carry signatures that stay out of logs."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s -> %d (%.1f ms)", request.method, request.path, response.status, time * 1000
        )
