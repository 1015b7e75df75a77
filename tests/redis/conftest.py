"""Fixtures for the shared tier: one real redis-server per session, fresh state per test.

Without `redis-server` these tests skip, saying how to install it, except
under CI=true, where a missing server is a failure: CI must not go green by
skipping them.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from bot.plans import CoachPlanClient
from bot.plans.shared.tier import RedisTier
from tests.contract_server import ContractServer

from .server import INSTALL_HINT, RedisServer, find_redis_server

_prefixes = itertools.count()


@pytest.fixture(scope="session")
def redis_server_session() -> Iterator[RedisServer]:
    binary = find_redis_server()
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail(INSTALL_HINT + " (CI=true: these tests must run)")
        pytest.skip(INSTALL_HINT)
    server = RedisServer(binary)
    server.start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
def redis_server(redis_server_session: RedisServer) -> RedisServer:
    """The session's server, running and empty (a test before may have killed it)."""
    redis_server_session.ensure_running()
    with redis_server_session.client() as client:
        client.execute_command("CLIENT", "UNPAUSE")
        client.flushall()
        client.config_resetstat()
    return redis_server_session


@pytest.fixture
def prefix() -> str:
    """A namespace of the test's own, so no key or channel leaks between tests."""
    return f"coachplans-test{next(_prefixes)}"


@pytest.fixture
async def make_tier(
    redis_server: RedisServer, prefix: str
) -> AsyncIterator[Callable[..., RedisTier]]:
    """Build tiers on the test's server and prefix; all closed at teardown."""
    made: list[RedisTier] = []

    def make(**options: Any) -> RedisTier:
        options.setdefault("prefix", prefix)
        options.setdefault("timeout_seconds", 2.0)  # a loaded test machine, not the 50 ms default
        tier = RedisTier(options.pop("url", redis_server.url), **options)
        made.append(tier)
        return tier

    yield make
    for tier in made:
        await tier.close()


@pytest.fixture
async def start_peer(redis_server: RedisServer, prefix: str) -> AsyncIterator[Callable[..., Any]]:
    """Start worker processes on the test's server and prefix; all stopped at teardown."""
    from .peers import Peer

    started: list[Peer] = []

    async def start(**config: Any) -> Peer:
        peer = await Peer.start(redis_server.url, prefix, **config)
        started.append(peer)
        return peer

    yield start
    for peer in started:
        await peer.close()


@pytest.fixture
def make_shared_client(
    make_client: Callable[..., CoachPlanClient], redis_server: RedisServer, prefix: str
) -> Callable[..., CoachPlanClient]:
    """Clients on the contract server and the test's Redis namespace, as separate processes
    would be (each its own tier); `make_client`'s, so on the fake clock and closed at
    teardown: the tier's back-off after a Redis failure ends when the test advances it."""

    def make(**overrides: Any) -> CoachPlanClient:
        options: dict[str, Any] = {
            "redis_url": redis_server.url,
            "redis_prefix": prefix,
            "redis_timeout_seconds": 2.0,  # a loaded test machine, not the 50 ms default
        }
        return make_client(**(options | overrides))

    return make


@pytest.fixture
async def start_client_peer(
    redis_server: RedisServer, prefix: str, plan_server: ContractServer
) -> AsyncIterator[Callable[..., Any]]:
    """Start processes each running a real CoachPlanClient on the contract server and the
    test's Redis namespace ("now" pinned to the tests' NOW); all stopped at teardown."""
    from tests.conftest import NOW

    from .peers import Peer

    started: list[Peer] = []

    async def start(**config: Any) -> Peer:
        config = {"api_url": plan_server.url, "now": NOW.isoformat(), **config}
        peer = await Peer.start(
            redis_server.url, prefix, module="tests.redis.client_worker", **config
        )
        started.append(peer)
        return peer

    yield start
    for peer in started:
        await peer.close()
