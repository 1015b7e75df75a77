"""One process of a fleet: the bot over a subset of shards, and its /metrics page."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.app import ShardedCoachPlansBot
from tests.cogs.conftest import MakeWorld


async def test_shard_settings_run_the_bot_on_those_shards(make_world: MakeWorld) -> None:
    world = await make_world(SHARD_COUNT="2", SHARD_IDS="0-1")
    assert isinstance(world.bot, ShardedCoachPlansBot)
    assert (world.bot.shard_count, world.bot.shard_ids) == (2, [0, 1])
    world.server.add_plan("d", world.today, "Sharded and well.")
    result = await world.alice.slash(world.channel, "plan", coach="d")
    assert result.response is not None
    assert result.response.embeds[0].description == "Sharded and well."


async def test_an_unsharded_bot_is_a_plain_bot(make_world: MakeWorld) -> None:
    world = await make_world()
    assert not isinstance(world.bot, ShardedCoachPlansBot)
    assert world.bot.metrics_server is None  # METRICS_ADDR unset: nothing served


async def test_metrics_addr_serves_the_clients_figures_with_the_process_label(
    make_world: MakeWorld,
) -> None:
    world = await make_world(SHARD_COUNT="2", METRICS_ADDR="127.0.0.1:0")
    world.server.add_plan("d", world.today)
    await world.alice.slash(world.channel, "plan", coach="d")
    server = world.bot.metrics_server
    assert server is not None and server.host == "127.0.0.1"
    url = f"http://127.0.0.1:{server.port}/metrics"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        text = await response.text()
    families = {family.name: family for family in text_string_to_metric_families(text)}
    (sample,) = families["coachplans_requests"].samples
    assert sample.labels == {"process": "bot-shards-0,1-of-2"}
    assert sample.value == world.client.get_metrics()["requests"]["total"] == 1
    await world.bot.close()
    assert world.bot.metrics_server is None  # closed with the bot
