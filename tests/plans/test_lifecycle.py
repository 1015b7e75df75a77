"""Who creates the session closes it; the client is an async context manager."""

from __future__ import annotations

import functools

import aiohttp
import pytest

from bot.plans import CoachPlanClient
from tests.conftest import TODAY
from tests.contract_server import ContractServer


async def test_client_closes_the_session_it_made(plan_server: ContractServer) -> None:
    """The session is made lazily inside the loop and closed by close()."""
    client = CoachPlanClient(plan_server.url)
    async with client:
        await client.fetch_coach_plan("d", TODAY)
        session = client._upstream._session
        assert session is not None and not session.closed
    assert session.closed
    with pytest.raises(RuntimeError, match="closed"):
        await client.fetch_coach_plan("d", TODAY)


async def test_client_leaves_a_handed_session_open(plan_server: ContractServer) -> None:
    """A session handed in belongs to its owner, who closes it."""
    async with aiohttp.ClientSession() as session:
        async with CoachPlanClient(plan_server.url, session=session) as client:
            assert (await client.fetch_coach_plan("d", TODAY))["error"] is None
        assert not session.closed


async def test_a_connector_factory_makes_the_sessions_connector(
    plan_server: ContractServer,
) -> None:
    """The configuration's connector_factory (the offline mode closes each connection)."""
    factory = functools.partial(aiohttp.TCPConnector, force_close=True)
    async with CoachPlanClient(plan_server.url, connector_factory=factory) as client:
        await client.fetch_coach_plan("d", TODAY)
        connector = client._upstream._session.connector  # type: ignore[union-attr]
        assert connector is not None and connector.force_close
