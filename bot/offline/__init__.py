"""`python -m bot --offline`: the real bot in a simulated Discord, no token, no network.

A reference Coach Plan API with demo plans starts on a free loopback port
(`--api URL` uses another API instead; `PLANS_API_URL` is not used here, so a
`.env` made for a real run cannot point the demo elsewhere unnoticed: the first
line printed says which API answers), the bot runs inside SimCord's simulated
guild, and two views show the same world: SimCord's Preview page in a browser
and a console in this terminal.

    python -m bot --offline                      page + console
    python -m bot --offline --no-web             console only
    python -m bot --offline --run "/plan d" ...  run commands, print, exit 1 if any
                                                 failed or answered with a fallback
    python -m bot --offline --now 2026-11-26T10:00  ... as on Thanksgiving (New York time)

"Today" is the current NYSE session: on a weekend or a holiday the bot opens
on the latest session's plans and says the markets are closed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import signal
import sys
import webbrowser
from collections.abc import Sequence
from typing import Final
from zoneinfo import ZoneInfo

from simcord import SetupError

from bot.logs import log_warnings, setup_logging
from bot.offline.console import Console, run_script, stdin_lines
from bot.offline.world import OfflineWorld
from bot.plans.envconfig import argument_type, http_url
from bot.plans.redact import mask_url_credentials
from bot.settings import Settings, SettingsError

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
NEW_YORK: Final = ZoneInfo("America/New_York")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot --offline",
        description="Run the bot in a simulated Discord with demo plans: no token, no network.",
    )
    parser.add_argument(
        "--run",
        action="append",
        metavar="COMMAND",
        default=[],
        help='run a command (repeatable), e.g. --run "/plan d"; no page, no console; exit 1 '
        "if any command failed or the API failed (a fallback or an old copy answered)",
    )
    parser.add_argument("--no-web", action="store_true", help="console only, no browser page")
    parser.add_argument("--no-browser", action="store_true", help="serve the page, open no browser")
    parser.add_argument("--port", type=int, default=None, help="page port (default: a free one)")
    parser.add_argument(
        "--api",
        type=argument_type(http_url),
        default=None,
        metavar="URL",
        help="use this Coach Plan API instead of the local demo one (PLANS_API_URL is not "
        "used offline)",
    )
    parser.add_argument(
        "--now",
        type=_instant,
        default=None,
        metavar="WHEN",
        help="start the simulated clock at WHEN (ISO 8601; without an offset, New York "
        "time), e.g. 2026-11-29T15:00 to see a Sunday",
    )
    parser.add_argument(
        "--log-level", default="WARNING", choices=("DEBUG", "INFO", "WARNING", "ERROR")
    )
    return parser


def _instant(raw: str) -> dt.datetime:
    """An ISO 8601 instant; a naive one is New York wall time, the market's clock."""
    try:
        moment = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO 8601 time such as 2026-11-29T15:00, got {raw[:40]!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=NEW_YORK)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"python -m bot --offline: {exc}", file=sys.stderr)
        return EXIT_USAGE
    setup_logging(args.log_level, secrets=settings.secrets())
    log_warnings(settings.warnings)
    try:
        return asyncio.run(_run(args, settings))
    except KeyboardInterrupt:
        print("\nStopped.", flush=True)
        return EXIT_OK


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    main_task = asyncio.current_task()
    assert main_task is not None
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):  # SIGTERM ends us like Ctrl-C does
        loop.add_signal_handler(signal.SIGTERM, main_task.cancel)
    try:
        world = OfflineWorld(
            settings, api_url=args.api, now=args.now, follow_wall_clock=not args.run
        )
        async with world:
            print(_which_api(world, settings), flush=True)
            if args.run:
                failures = await run_script(world, args.run)
                return EXIT_FAILED if failures else EXIT_OK
            console = Console(world)
            if args.no_web:
                await console.interact(stdin_lines())
                return EXIT_OK
            async with contextlib.AsyncExitStack() as stack:
                try:
                    page = await stack.enter_async_context(world.page(port=args.port))
                except SetupError as exc:  # e.g. --port already taken
                    print(f"python -m bot --offline: the page could not start ({exc}); "
                          "pick another --port, or leave it out for a free one",
                          file=sys.stderr)  # fmt: skip
                    return EXIT_USAGE
                _announce(page.url, open_browser=not args.no_browser)
                await _console_and_page(console, page)
            return EXIT_OK
    except asyncio.CancelledError:
        print("\nStopped.", flush=True)
        return EXIT_OK


async def _console_and_page(console: Console, preview: object) -> None:
    """Run until /quit, or the page's "End preview session"; stdin closing leaves the page up."""
    page_closed = asyncio.ensure_future(preview.wait_closed())  # type: ignore[attr-defined]
    console_done = asyncio.ensure_future(console.interact(stdin_lines()))
    try:
        done, _ = await asyncio.wait({page_closed, console_done}, return_when="FIRST_COMPLETED")
        if console_done in done and not console.quit_requested:
            console.say("(console input ended; the page stays up until Ctrl-C)")
            await page_closed
    finally:
        for task in (page_closed, console_done):
            task.cancel()
        await asyncio.gather(page_closed, console_done, return_exceptions=True)


def _which_api(world: OfflineWorld, settings: Settings) -> str:
    """The line that says where plans come from; a URL's password is masked."""
    if not world.demo:
        url = mask_url_credentials(world.api_url)
        return f"Plans come from the Coach Plan API at {url} (--api)."
    line = f"Plans come from a demo Coach Plan API at {world.api_url} (--api URL picks another)."
    if settings.plans_api_url != Settings().plans_api_url:
        line += " PLANS_API_URL is not used offline."
    return line


def _announce(url: str, *, open_browser: bool) -> None:
    """The page address goes to this terminal only: it carries the page's secret."""
    print(f"\nThe simulated Discord is at:\n  {url}\n", flush=True)
    if open_browser and _has_graphical_browser():
        with contextlib.suppress(webbrowser.Error):
            webbrowser.open(url)


def _has_graphical_browser() -> bool:
    """Only on a desktop: a text browser would take over this console."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
