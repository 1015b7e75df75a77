"""The bot's /metrics page: served on loopback, parsed by prometheus-client's parser."""

from __future__ import annotations

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.fleet import parse_metrics_addr
from bot.metrics_http import MetricsServer
from bot.plans import CoachPlanClient
from bot.plans.prometheus import registry_for
from tests.contract_server import ContractServer


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("9108", ("127.0.0.1", 9108)),
        (":9108", ("127.0.0.1", 9108)),
        ("127.0.0.1:9108", ("127.0.0.1", 9108)),
        ("[::1]:9108", ("::1", 9108)),
        ("0.0.0.0:9108", ("0.0.0.0", 9108)),
        ("localhost:9108", ("localhost", 9108)),
    ],
)
def test_addresses_default_to_loopback(value: str, expected: tuple[str, int]) -> None:
    assert parse_metrics_addr(value) == expected


@pytest.mark.parametrize(
    "value", ["", "http://x:9108", "host:port", "1.2.3.4:99999", "example.com:9"]
)
def test_bad_addresses_say_what_is_expected(value: str) -> None:
    with pytest.raises(ValueError, match=r"PORT or HOST:PORT|an IP address"):
        parse_metrics_addr(value)


async def test_the_page_serves_the_clients_numbers(plan_server: ContractServer) -> None:
    plan_server.add_plan("d", "2024-11-08")
    async with CoachPlanClient(plan_server.url) as client:
        await client.fetch_coach_plan("d", "2024-11-08")
        server = MetricsServer(registry_for(client.get_metrics, process="bot-0"), "127.0.0.1:0")
        await server.start()
        try:
            async with aiohttp.ClientSession() as session:
                url = f"http://127.0.0.1:{server.port}/metrics"
                async with session.get(url) as response:
                    assert response.status == 200
                    assert response.content_type == "text/plain"
                    text = await response.text()
        finally:
            await server.close()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    (requests,) = families["coachplans_requests"].samples
    assert requests.value == 1 and requests.labels == {"process": "bot-0"}
