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
