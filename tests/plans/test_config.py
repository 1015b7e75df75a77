"""The client's configuration: one frozen value, checked once, the keywords kept equal to it."""

from __future__ import annotations

import dataclasses
import typing

import pytest

from bot.plans import ClientArgs, ClientConfig, CoachPlanClient
from bot.plans.config import SEAM_NAMES


def test_the_keywords_are_the_config_fields_and_the_seams() -> None:
    """`ClientArgs` (what mypy checks at every call) lists exactly the config's fields."""
    fields = {f.name for f in dataclasses.fields(ClientConfig)}
    keywords = set(typing.get_type_hints(ClientArgs))
    assert keywords == (fields - {"api_base_url"}) | SEAM_NAMES


def test_a_config_is_frozen_validated_and_normalised() -> None:
    config = ClientConfig(coaches=["D", " s "], market_calendar="nyse")  # type: ignore[arg-type]
    assert config.coaches == ("d", "s") and config.market_calendar == "NYSE"
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.timeout = 1  # type: ignore[misc]
    with pytest.raises(ValueError, match=r"^timeout must be"):
        config.replace(timeout=float("nan"))


async def test_keywords_and_config_give_the_same_client() -> None:
    """The seed's keyword style is the config with those fields."""
    config = ClientConfig(api_base_url="http://127.0.0.1:9", timeout=5.0, max_retries=2)
    by_keywords = CoachPlanClient("http://127.0.0.1:9", timeout=5, max_retries=2)
    by_config = CoachPlanClient(config=config)
    on_top = CoachPlanClient(config=config, max_retries=4)
    assert by_keywords.config == by_config.config == config
    assert on_top.config == config.replace(max_retries=4)
    with pytest.raises(TypeError, match="unexpected keyword argument 'force_close'"):
        CoachPlanClient(config=config, force_close=True)  # type: ignore[call-arg]
    for client in (by_keywords, by_config, on_top):
        await client.close()


def test_the_shared_cache_is_off_unless_a_redis_url_is_given() -> None:
    config = ClientConfig()
    assert config.redis_url is None
    assert (config.redis_prefix, config.redis_timeout_seconds) == ("coachplans", 0.05)
    on = config.replace(redis_url="redis://:hunter2@cache:6379/0", redis_timeout_seconds=1)
    assert on.redis_timeout_seconds == 1.0 and "hunter2" not in repr(on)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"redis_url": "http://:hunter2@cache"}, r"^redis_url must be None or a redis://"),
        ({"redis_url": "unix://?password=hunter2"}, r"^redis_url must be None or a redis://"),
        ({"redis_url": b"redis://cache"}, r"^redis_url must be"),
        ({"redis_prefix": "coach*"}, r"^redis_prefix must be a key prefix"),
        ({"redis_timeout_seconds": 0}, r"^redis_timeout_seconds must be .* at most 5"),
        ({"redis_timeout_seconds": float("nan")}, r"^redis_timeout_seconds must be"),
    ],
)
def test_shared_cache_settings_are_checked_once_and_never_repeat_a_password(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        ClientConfig().replace(**changes)
    assert "hunter2" not in str(caught.value)
