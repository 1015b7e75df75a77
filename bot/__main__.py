"""`python -m bot`: read the settings, set up logging, run until stopped.

    python -m bot                 run against Discord (needs DISCORD_TOKEN)
    python -m bot --sync          ... and force a global command sync
    python -m bot --check-config  validate the settings and exit (0 ok, 2 bad)
    python -m bot --offline ...   run without Discord (bot.offline; the other arguments,
                                  --help included, go there)

Exit codes: 0 clean stop (including SIGINT/SIGTERM), 1 failure while running,
2 bad command line or settings.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Sequence
from typing import Final

import discord

from bot.app import CoachPlansBot, create_bot
from bot.logs import log_warnings, setup_logging
from bot.settings import Settings, SettingsError

log = logging.getLogger("bot")

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
STOP_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Coach Plans Discord bot.",
        epilog="The offline mode's own options: python -m bot --offline --help",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="run without Discord (simulated guild, demo plans); the other arguments go to it",
    )
    parser.add_argument(
        "--sync", action="store_true", help="sync slash commands globally even if unchanged"
    )
    parser.add_argument("--check-config", action="store_true",
                        help="validate the settings and exit without connecting")  # fmt: skip
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--offline" in argv:
        # Before our parser sees the rest: `--offline --help` is the offline mode's help.
        rest = argv.copy()
        rest.remove("--offline")
        return run_offline(rest)
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env(require_token=True)
    except SettingsError as exc:
        print(f"python -m bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.check_config:
        print("Configuration OK.\n" + settings.summary())
        for warning in settings.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        return EXIT_OK
    assert settings.discord_token is not None
    token = settings.discord_token.get_secret_value()
    setup_logging(settings.log_level, secrets=settings.secrets())
    log_warnings(settings.warnings)
    state = settings.sync_state_file(os.environ)
    bot = create_bot(settings, sync=args.sync, sync_state_path=state)
    try:
        asyncio.run(serve(bot, bot.start(token)))
    except discord.LoginFailure:
        log.error("Discord rejected DISCORD_TOKEN; copy a fresh one from the Developer Portal")
        return EXIT_FAILED
    except Exception:
        log.exception("the bot stopped on an unexpected error")
        return EXIT_FAILED
    return EXIT_OK


async def serve(bot: CoachPlansBot, runner: Awaitable[object]) -> None:
    """Await `runner` until it ends or SIGINT/SIGTERM arrives; close the bot either way.

    Closing runs `cog_unload`, which closes the plan client and its session.
    """
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(runner)

    def stop(name: str) -> None:
        log.info("%s received: shutting down", name)
        task.cancel()

    installed = []
    for sig in STOP_SIGNALS:
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows, non-main thread
            loop.add_signal_handler(sig, stop, sig.name)
            installed.append(sig)
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        await bot.close()


def run_offline(argv: list[str]) -> int:
    """Hand over to `bot.offline.main(argv)`, imported only now (it pulls in SimCord)."""
    try:
        offline = importlib.import_module("bot.offline")
    except ModuleNotFoundError as exc:
        if exc.name not in ("bot.offline", "simcord"):
            raise
        missing = (
            "SimCord (pip install -e '.[offline]')" if exc.name == "simcord" else "bot.offline"
        )
        print(f"python -m bot: offline mode is not available: {missing} is missing.",
              file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    return int(offline.main(argv) or 0)


if __name__ == "__main__":
    sys.exit(main())
