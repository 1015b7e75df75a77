"""`python -m bot`: arguments, exit codes, the offline hand-over, clean shutdown, no token leaks.

Nothing here connects to Discord: the real run is exercised up to the point of
connecting (settings, logging, the bot factory) and `serve()` is driven with a
stand-in for `bot.start()`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import types
from pathlib import Path

import pytest

import bot.__main__ as entry
from bot.app import create_bot
from bot.logs import REDACTED, RedactSecrets
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GAbCdE.s3cr3t-t0k3n_value_ABCDEFGHIJKLMNOPQRSTUV"
SETTING_NAMES = [
    line.split("=", 1)[0]
    for line in (ROOT / ".env.example").read_text().splitlines()
    if line and not line.startswith("#")
]


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No settings from the developer's shell or `.env` leak into these tests."""
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_check_config_accepts_valid_settings_without_showing_the_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)

    assert entry.main(["--check-config"]) == 0

    out, err = capsys.readouterr()
    assert out.startswith("Configuration OK.") and "DISCORD_TOKEN: set" in out
    assert TOKEN.split(".")[0] not in out + err


def test_check_config_reads_dotenv(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A `.env` in the working directory is enough."""
    (clean_env / ".env").write_text(f"DISCORD_TOKEN={TOKEN}\nDEV_GUILD_ID=123456789012345678\n")

    assert entry.main(["--check-config"]) == 0
    assert "DEV_GUILD_ID: 123456789012345678" in capsys.readouterr().out


def test_missing_or_invalid_settings_exit_2_naming_each(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """One message names every bad setting and what it expects; the token stays hidden."""
    monkeypatch.setenv("DISCORD_TOKEN", "Bot " + TOKEN)
    monkeypatch.setenv("REPLY_DEADLINE_SECONDS", "soon")
    monkeypatch.setenv("COACHES", "d")

    assert entry.main([]) == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert "3 settings are missing or invalid" in err
    for name in ("DISCORD_TOKEN", "REPLY_DEADLINE_SECONDS", "COACHES"):
        assert f"  {name}: expected" in err
    for part in TOKEN.split("."):
        assert part not in err


def test_missing_token_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert entry.main(["--check-config"]) == 2
    assert "DISCORD_TOKEN: required for a real run" in capsys.readouterr().err


def test_unknown_argument_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        entry.main(["--run"])
    assert caught.value.code == 2
    assert "unrecognized arguments: --run" in capsys.readouterr().err


@pytest.fixture
def offline_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """A stand-in `bot.offline` whose `main` records the arguments it is handed."""
    seen: list[list[str]] = []

    def fake_main(argv: list[str]) -> int:
        seen.append(argv)
        return 0

    fake = types.ModuleType("bot.offline")
    fake.main = fake_main  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bot.offline", fake)
    return seen


def test_offline_hands_remaining_arguments_to_bot_offline(offline_calls: list[list[str]]) -> None:
    """`--offline` imports bot.offline only then and passes the other arguments through."""
    assert entry.main(["--offline", "--run", "--no-web", "--no-browser"]) == 0
    assert offline_calls == [["--run", "--no-web", "--no-browser"]]


def test_offline_takes_every_other_argument_wherever_it_stands(
    offline_calls: list[list[str]],
) -> None:
    """`--help` and options before `--offline` are the offline mode's, not ours."""
    seen = offline_calls
    assert entry.main(["--help", "--offline"]) == 0
    assert entry.main(["--run", "/plan d", "--offline", "--no-web"]) == 0
    assert seen == [["--help"], ["--run", "/plan d", "--no-web"]]


def test_help_points_to_the_offline_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        entry.main(["--help"])
    assert stopped.value.code == 0
    assert "python -m bot --offline --help" in capsys.readouterr().out


def test_a_misspelt_plans_name_gets_one_warning_naming_the_setting(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In `.env` and in the environment alike: one warning per name, with the right one."""
    (clean_env / ".env").write_text(f"DISCORD_TOKEN={TOKEN}\nPLANS_CACHE_TTL=60\n")
    monkeypatch.setenv("PLANS_CACHE_TTL", "60")
    monkeypatch.setenv("PLANS_RETRIES", "2")

    assert entry.main(["--check-config"]) == 0

    assert capsys.readouterr().err.splitlines() == [
        "warning: PLANS_CACHE_TTL is not a setting; did you mean PLANS_CACHE_TTL_SECONDS?",
        "warning: PLANS_RETRIES is not a setting; did you mean PLANS_MAX_RETRIES?",
    ]


def test_offline_without_the_module_says_so_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "bot.offline", None)

    assert entry.main(["--offline"]) == 2
    assert "offline mode is not available: bot.offline is missing" in capsys.readouterr().err


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_a_stop_signal_closes_the_bot_cleanly(sig: signal.Signals) -> None:
    """SIGINT/SIGTERM end the run and close the bot; the handlers are removed afterwards."""
    bot = create_bot(Settings())
    loop = asyncio.get_running_loop()
    loop.call_later(0.01, os.kill, os.getpid(), sig)

    await asyncio.wait_for(entry.serve(bot, asyncio.Event().wait()), timeout=5)

    assert bot.is_closed()
    assert not loop.remove_signal_handler(sig)


async def test_serve_closes_the_bot_when_the_run_fails() -> None:
    bot = create_bot(Settings())

    async def boom() -> None:
        raise RuntimeError("gateway went away")

    with pytest.raises(RuntimeError):
        await entry.serve(bot, boom())
    assert bot.is_closed()


def test_redaction_filter_hides_the_token_in_messages_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Insurance: whatever logs the token, the handler prints `[redacted]`."""
    log = logging.getLogger("tests.redaction")
    caplog.handler.addFilter(RedactSecrets([TOKEN]))
    try:
        with caplog.at_level(logging.DEBUG, logger="tests.redaction"):
            log.debug("sending %s", TOKEN)
            try:
                raise ValueError(f"bad token {TOKEN}")
            except ValueError:
                log.exception("login failed")
    finally:
        caplog.handler.filters.clear()
    assert TOKEN not in caplog.text
    assert f"sending {REDACTED}" in caplog.text and f"bad token {REDACTED}" in caplog.text


def test_python_dash_m_bot_exits_2_on_bad_settings_without_printing_the_token(
    tmp_path: Path,
) -> None:
    """The real entry point, in a process of its own: exit code 2, a message, no token."""
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    env.update(PYTHONPATH=str(ROOT), DISCORD_TOKEN=TOKEN, PLANS_API_URL="localhost")

    done = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip

    assert done.returncode == 2
    assert "PLANS_API_URL: expected an http:// or https:// base URL" in done.stderr
    for part in TOKEN.split("."):
        assert part not in done.stdout + done.stderr


# -- secrets pasted into other settings ----------------------------------------------------
MISPLACED = {
    "DISCORD_TOKEN": TOKEN,
    "MODERATOR_ROLE": f"Mods {TOKEN}",
    "COACHES": f"d=Day,x={TOKEN[8:40]},y=Desk {TOKEN.split('.')[1]}",
    "PLANS_API_URL": "http://user:pw@127.0.0.1:5000",
}


def secrets_in(text: str) -> list[str]:
    """Pieces of the token (dot parts, 8-character runs) or the URL password `pw` in `text`."""
    pieces = [*TOKEN.split("."), *(TOKEN[i : i + 8] for i in range(len(TOKEN) - 7)), "pw"]
    return [piece for piece in pieces if piece in text]


def test_check_config_hides_a_pasted_token_and_the_url_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--check-config` passes, and shows no part of the token nor the API password."""
    for name, value in MISPLACED.items():
        monkeypatch.setenv(name, value)

    assert entry.main(["--check-config"]) == 0

    out, err = capsys.readouterr()
    assert out.startswith("Configuration OK.")
    assert "PLANS_API_URL: http://user:***@127.0.0.1:5000" in out
    assert secrets_in(out + err) == []


@pytest.mark.parametrize(
    ("name", "value"),
    [("LOG_LEVEL", TOKEN[3:40]), ("PLANS_TIMEOUT_SECONDS", "http://user:pw@x"), ("COACHES", "d")],
)
def test_a_bad_setting_beside_pasted_secrets_is_named_without_them(
    name: str, value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The SettingsError names the bad variable and repeats no secret."""
    for var, setting in {**MISPLACED, name: value}.items():
        monkeypatch.setenv(var, setting)

    assert entry.main(["--check-config"]) == 2

    out, err = capsys.readouterr()
    assert f"  {name}: expected" in err
    assert secrets_in(out + err) == []


def test_python_dash_m_bot_check_config_prints_no_secret(tmp_path: Path) -> None:
    """The whole path in a process of its own, valid and with one bad variable."""
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES} | MISPLACED
    env["PYTHONPATH"] = str(ROOT)
    outputs = []
    for extra in ({}, {"PLANS_MAX_RETRIES": TOKEN[20:50]}):
        done = subprocess.run(
            [sys.executable, "-m", "bot", "--check-config"], cwd=tmp_path, env=env | extra,
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        outputs.append((done.returncode, done.stdout + done.stderr))

    assert [code for code, _ in outputs] == [0, 2]
    assert "PLANS_MAX_RETRIES: expected a whole number" in outputs[1][1]
    for _, text in outputs:
        assert secrets_in(text) == []
