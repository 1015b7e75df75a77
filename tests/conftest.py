"""Shared fixtures: the loopback contract server, a fake clock, and a client on both.

No mocks of aiohttp: every test talks to a real server on 127.0.0.1 through
real sockets. Time is ours to drive: `fake_time.sleep` records each backoff and
moves `fake_time.clock` forward instead of waiting.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from bot.plans import CoachPlanClient
from tests.contract_server import ContractServer

#: A fixed "now": Saturday 2024-11-09 14:00 UTC, 09:00 in New York.
NOW = dt.datetime(2024, 11, 9, 14, 0, tzinfo=dt.UTC)
TODAY = "2024-11-09"


@dataclasses.dataclass
class FakeTime:
    """A monotonic clock and a sleep that advances it; wall `now` moves with it."""

    t: float = 1000.0
    sleeps: list[float] = dataclasses.field(default_factory=list)

    def clock(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds

    def advance(self, seconds: float) -> None:
        self.t += seconds

    def now(self) -> dt.datetime:
        return NOW + dt.timedelta(seconds=self.t - 1000.0)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
async def plan_server() -> AsyncIterator[ContractServer]:
    server = ContractServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def make_client(
    plan_server: ContractServer, fake_time: FakeTime
) -> AsyncIterator[Callable[..., CoachPlanClient]]:
    """Build clients on the contract server and the fake clock; all closed at teardown."""
    made: list[CoachPlanClient] = []

    def make(**overrides: Any) -> CoachPlanClient:
        options: dict[str, Any] = {
            "sleep": fake_time.sleep,
            "clock": fake_time.clock,
            "now": fake_time.now,
            "timeout": 2,
        }
        options.update(overrides)
        client = CoachPlanClient(options.pop("api_base_url", plan_server.url), **options)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


@pytest.fixture
async def plan_client(
    make_client: Callable[..., CoachPlanClient],
) -> AsyncIterator[CoachPlanClient]:
    client = make_client()
    async with client:
        yield client


@pytest.fixture
def unused_port() -> int:
    """A loopback port with nothing listening: connections to it are refused."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def threaded_plan_server() -> Iterator[ContractServer]:
    """The contract server on its own loop in a thread, for tests that block the main one."""
    loop = asyncio.new_event_loop()
    server = ContractServer()
    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
