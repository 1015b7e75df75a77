"""/clearcache in one bot process clears the others: the bot in SimCord on a shared Redis,
and another process's client (its own process cache and its own Redis connections)."""

from __future__ import annotations

from collections.abc import Callable

from bot.plans import CoachPlanClient
from tests.cogs.conftest import MakeWorld, make_world  # noqa: F401  (the fixture)
from tests.contract_server import ContractServer

from .helpers import subscribed
from .server import RedisServer


async def test_clearcache_in_the_bot_sends_another_process_to_the_api(
    make_world: MakeWorld,  # noqa: F811
    make_shared_client: Callable[..., CoachPlanClient],
    plan_server: ContractServer,
    redis_server: RedisServer,
    prefix: str,
) -> None:
    world = await make_world(
        PLANS_REDIS_URL=redis_server.url,
        PLANS_REDIS_PREFIX=prefix,
        PLANS_REDIS_TIMEOUT_SECONDS="2",  # a loaded test machine, not the 50 ms default
    )
    # The bot's tier starts listening here, from the test, as it would at the bot's first
    # use: SimCord waits for every task the bot owns, and a pub/sub listener never ends.
    await subscribed(world.client)
    day = world.today
    plan_server.add_plan("d", day, "old")
    other = await subscribed(make_shared_client(now=world.client.now))  # the same "today"
    await world.alice.slash(world.channel, "plan", coach="d")  # the bot fetches: 1 request
    assert (await other.fetch_coach_plan("d", day)).plan == "old"  # a Redis hit for the other
    assert plan_server.requests_to("plan") == 1

    plan_server.add_plan("d", day, "new")
    result = await world.mod.slash(world.channel, "clearcache")
    assert result.response is not None
    assert "The shared cache and every process's own copies were cleared too." in (
        result.response.content
    )
    answer = await other.fetch_coach_plan("d", day)  # its own copy is gone, Redis's too
    assert (answer.plan, answer.from_cache) == ("new", False)
    assert plan_server.requests_to("plan") == 2
