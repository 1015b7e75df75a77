"""Run the reference server inside an event loop, for tests, the offline mode and the CLI.

The server accepts its own connections (`_guard`), so that slow clients are dropped
and a flood cannot exhaust file descriptors, and its loggers repeat an identical
error once with a count (`_logs`), so a flood cannot fill the disk either.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
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
from ._guard import (
    DEFAULT_HEADER_TIMEOUT_SECONDS,
    Listener,
    default_max_connections,
    usable_max_connections,
)
from ._logs import RepeatFilter, filtering, log_suppressed
from .app import STATE, create_app
from .db import ForeignPlansError, PlanStore
from .demo import fill_demo
from .loader import DEFAULT_COACHES

log = logging.getLogger(__name__)

DEFAULT_DB_PATH: Final = "coach_plans.db"
# `--demo` without `--db` writes here, never into the database real plans are loaded into.
DEFAULT_DEMO_DB_PATH: Final = "coach_plans_demo.db"
DEFAULT_HOST: Final = "127.0.0.1"
SHUTDOWN_TIMEOUT_SECONDS: Final = 5.0
# How long aiohttp keeps reading a request body the handler did not read (ours never
# do: every route is a GET) before it closes the connection.
DEFAULT_BODY_TIMEOUT_SECONDS: Final = 10.0
# aiohttp's own per-connection errors ("Error handling request") go here rather than
# to aiohttp.server, so the repeat filter can sit on them without touching other apps.
HTTP_LOGGER: Final = f"{__package__}.http"
_FILTERED_LOGGERS: Final = tuple(
    f"{__package__}.{name}" for name in ("http", "runner", "app", "db", "_guard")
)


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
    read_only: bool = False,
    header_timeout: float = DEFAULT_HEADER_TIMEOUT_SECONDS,
    body_timeout: float = DEFAULT_BODY_TIMEOUT_SECONDS,
    max_connections: int | None = None,
) -> AsyncIterator[RunningServer]:
    """Serve the API until the block exits; port 0 picks a free port.

    `now` and `timezone` are the server's clock, and `read_only` opens the database
    without writing, as in `create_app`. With `demo`, the demo week is written once
    the port is known, because its chart URLs point back at this server; it ends at
    `demo_today`, default the server's today in New York. It replaces plans for the
    same coach and day, and raises `ForeignPlansError` instead when the database
    holds plans the demo did not write.

    Slow clients: a request head must arrive within `header_timeout` seconds of
    connecting (or of the previous response on a kept-alive connection), and a
    request body the server does not read is drained for at most `body_timeout`
    seconds. At most `max_connections` are open (default: 512 or half the open-file
    limit, whichever is lower; a larger number is lowered to leave 128 descriptors
    free); at the cap the oldest one still sending its head is closed. See `_guard`.
    """
    if demo and read_only:
        raise ValueError("the demo writes plans, so it cannot serve a read-only database")
    if not all(0 < seconds < math.inf for seconds in (header_timeout, body_timeout)):
        raise ValueError("header_timeout and body_timeout must be positive numbers of seconds")
    if max_connections is not None and max_connections < 1:
        raise ValueError("max_connections must be at least 1")
    if demo:
        # Refused before anything starts; the demo's own transaction checks again.
        store = PlanStore(db_path)
        foreign = await asyncio.to_thread(store.foreign_plan_count)
        if foreign:
            raise ForeignPlansError(store.path, foreign)
    if max_connections is None:
        limit = default_max_connections()
    else:
        limit = usable_max_connections(max_connections)
    app = create_app(
        db_path,
        coaches=coaches,
        now=now,
        timezone=timezone,
        close_connections=close_connections,
        read_only=read_only,
    )
    with filtering(RepeatFilter(), _FILTERED_LOGGERS) as repeats:
        runner = web.AppRunner(
            app,
            access_log_class=_AccessLogger,
            shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
            keepalive_timeout=header_timeout,
            lingering_time=body_timeout,
            logger=logging.getLogger(HTTP_LOGGER),
        )
        await runner.setup()
        try:
            assert runner.server is not None  # set by setup()
            listener = await Listener.open(
                runner.server, host, port, max_connections=limit, header_timeout=header_timeout
            )
            try:
                server = RunningServer(
                    url=f"http://{f'[{host}]' if ':' in host else host}:{listener.port}",
                    host=host,
                    port=listener.port,
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
                log.info("listening on %s (at most %d connections)", server.url, limit)
                yield server
            finally:
                await listener.close()
        finally:
            await runner.cleanup()
            log_suppressed(log, repeats.drain())


@final
class _AccessLogger(AbstractAccessLogger):
    """Path without the query string: chart links carry signatures that stay out of logs."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s -> %d (%.1f ms)", request.method, request.path, response.status, time * 1000
        )
