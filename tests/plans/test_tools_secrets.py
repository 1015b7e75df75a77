"""Agent tools keep secrets out of their logs and errors, which may end up with an LLM.

Categories: the shared client's INFO line masks the URL password; a
`ToolConfigError` repeats no URL credentials, no token-shaped value and no
part of the bot's `DISCORD_TOKEN`, yet still repeats a harmless typo.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.plans import envconfig, tools
from bot.plans.tools._env import ToolConfigError, read_env

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GAbCdE.s3cr3t-t0k3n_value_ABCDEFGHIJKLMNOPQRSTUV"


@pytest.fixture(autouse=True)
def clean_shared_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No settings from the developer's shell; no shared client before or after."""
    for variable in envconfig.CLIENT_VARIABLES:
        monkeypatch.delenv(variable.name, raising=False)
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    tools.reset()
    yield
    tools.reset()


def test_the_shared_client_is_logged_without_the_url_password(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Building the client does no I/O, so a port nothing listens on will do."""
    monkeypatch.setenv("PLANS_API_URL", "http://agent:hunter2-pass@127.0.0.1:9/base")

    with caplog.at_level(logging.INFO, logger="bot.plans.tools"):
        tools.get_client()

    assert "shared client for http://agent:***@127.0.0.1:9/base" in caplog.text
    assert "hunter2" not in caplog.text


@pytest.mark.parametrize(
    "value",
    [
        "http://agent:hunter2-pass@127.0.0.1:9",
        TOKEN,
        TOKEN[12:40],
        f"x{TOKEN.split('.')[1]}",
    ],
    ids=["url with password", "token", "token fragment", "token part"],
)
def test_a_config_error_repeats_no_secret(value: str) -> None:
    """The variable is named and what it expects said, but the value is withheld."""
    with pytest.raises(ToolConfigError, match="PLANS_TIMEZONE must be") as caught:
        read_env({"DISCORD_TOKEN": TOKEN, "PLANS_TIMEZONE": value})
    message = str(caught.value)
    assert "(got" not in message and "hunter2" not in message
    assert not any(TOKEN[i : i + 8] in message for i in range(len(TOKEN) - 7))
    assert TOKEN.split(".")[1] not in message


def test_a_harmless_typo_is_still_repeated() -> None:
    with pytest.raises(ToolConfigError, match="got 'Mars/Olympus'"):
        read_env({"DISCORD_TOKEN": TOKEN, "PLANS_TIMEZONE": "Mars/Olympus"})
