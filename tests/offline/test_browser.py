"""A real browser on the offline page: headless Chromium shows what the bot answered,
and a slash command sent from the page's composer as the README says.

Needs Debian's `chromium` (.ci/run installs it); skipped where it is missing.
Makes docs/offline-preview.png, the screenshot under the README's commands: written
there when missing or with UPDATE_SCREENSHOT=1, otherwise to a temporary folder (so a
test run leaves the tree clean).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from tests.offline.session import ROOT, page_url, read_until, start_session, stop_session

SCREENSHOT = ROOT / "docs" / "offline-preview.png"
#: Sunday after Thanksgiving, 15:00 in New York.
SUNDAY = dt.datetime(2026, 11, 29, 15, 0, tzinfo=ZoneInfo("America/New_York"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# The flags this machine needs: no sandbox as root, and no background traffic off loopback.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--window-size=1280,1240", "--virtual-time-budget=8000"]  # fmt: skip

#: How long the page may take to show the next step (it usually takes a fraction of a second).
PAGE_WAIT_SECONDS = 30.0
POLL_SECONDS = 0.05

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")


def chromium(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, url],
            capture_output=True,
            text=True,
            timeout=120,
        )


def test_page_shows_the_plan_run_from_the_console(tmp_path: Path) -> None:
    """/plan d typed in the console shows up, with its text, on the page in Chromium.

    Pinned to a Sunday (`--now`): the page shows Friday's half-day plan under the
    "markets are closed today" note, whatever day the test runs.
    """
    from bot.reference_api.demo import demo_rows

    proc = start_session("--now", SUNDAY.isoformat())
    try:
        assert proc.stdin is not None and proc.stdout is not None
        url = page_url(read_until(proc.stdout, "member> "))
        proc.stdin.write("/plan d\n")
        proc.stdin.flush()
        reply = read_until(proc.stdout, "-- Live")
        assert "== Day Trading · Friday 2026-11-27 (half day) ==" in reply
        rows = demo_rows(today=SUNDAY.date())
        texts = [r["plan"] for r in rows if (r["coach"], r["date"]) == ("d", "2026-11-27")]
        assert texts, "no demo plan of coach d on the half day"

        dom = chromium(url, "--dump-dom").stdout
        assert texts[0][:60] in dom, "the page does not show the plan"
        assert "Day Trading" in dom and "Markets are closed today (Sunday)" in dom

        update = os.environ.get("UPDATE_SCREENSHOT") or not SCREENSHOT.is_file()
        target = SCREENSHOT if update else tmp_path / SCREENSHOT.name
        target.parent.mkdir(exist_ok=True)
        shot = chromium(url, f"--screenshot={target}")
        assert target.is_file() and target.stat().st_size > 10_000, shot.stderr
    finally:
        code = stop_session(proc)
    assert code == 0


class Page:
    """One Chromium tab driven over the DevTools protocol (aiohttp's websocket client)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._ids = itertools.count(1)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        ident = next(self._ids)
        await self._ws.send_json({"id": ident, "method": method, "params": params})
        while True:
            message = await self._ws.receive_json()
            if message.get("id") == ident:
                result: dict[str, Any] = message.get("result", {})
                return result

    async def js(self, expression: str) -> Any:
        reply = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return reply.get("result", {}).get("value")

    async def until(self, expression: str, what: str) -> None:
        """Poll the page until `expression` is true: it updates on its own, in another process,
        so there is no event to wait on. `what` names the wait in a failure."""
        async with asyncio.timeout(PAGE_WAIT_SECONDS):
            for _ in itertools.count():
                if await self.js(expression):
                    return
                await asyncio.sleep(POLL_SECONDS)
        pytest.fail(f"the page never showed {what}")

    async def type(self, text: str) -> None:
        await self.send("Input.insertText", text=text)

    async def press(self, key: str) -> None:
        codes = {"Enter": 13, "Escape": 27}
        extra = {"text": "\r"} if key == "Enter" else {}
        await self.send("Input.dispatchKeyEvent", type="keyDown", key=key, code=key,
                        windowsVirtualKeyCode=codes[key], **extra)  # fmt: skip
        await self.send("Input.dispatchKeyEvent", type="keyUp", key=key, code=key,
                        windowsVirtualKeyCode=codes[key])  # fmt: skip

    async def close_suggestions(self, typed: str) -> None:
        """Escape once the bot's suggestions for `typed` arrived: a late answer reopens them,
        and Enter with suggestions open neither picks one nor sends."""
        await self.until(f"/MATCHING {typed}/i.test(document.body.innerText)", "suggestions")
        closed = "!document.querySelector('#command-suggestion-listbox')"
        async with asyncio.timeout(PAGE_WAIT_SECONDS):
            while True:  # a later answer for an earlier keystroke may reopen them: again
                await self.press("Escape")
                if await self.js(closed):
                    return
                await asyncio.sleep(POLL_SECONDS)

    async def open_more_options(self) -> None:
        """Click "+1" until the optional options are listed: a click that lands while a late
        answer redraws the composer is lost, as a person would see and click again."""
        listed = (
            "[...document.querySelectorAll('.command-suggestion')]"
            ".some(e => e.textContent.includes('date'))"
        )
        async with asyncio.timeout(PAGE_WAIT_SECONDS):
            while True:
                await self.click(".command-ghost", "+1")
                for _ in range(20):  # about a second for the list to open
                    if await self.js(listed):
                        return
                    await asyncio.sleep(POLL_SECONDS)

    async def send_command(self) -> None:
        """Enter, until the composer lets go of the command (it is sent). Enter does nothing
        while suggestions are open, and a late answer for an earlier keystroke can reopen
        them after they were closed: then close them and press again."""
        sent = "!document.querySelector('[data-option]')"
        async with asyncio.timeout(PAGE_WAIT_SECONDS):
            while True:
                await self.press("Enter")
                for _ in range(20):  # about a second to let go before Enter again
                    if await self.js(sent):
                        return
                    await asyncio.sleep(POLL_SECONDS)
                await self.press("Escape")

    async def click(self, selector: str, text: str = "") -> None:
        """A real mouse click in the middle of the first `selector` holding `text`, once the
        page shows one (it may still be drawing it after the previous step)."""
        find = (
            f"[...document.querySelectorAll({selector!r})]"
            f".some(e => e.textContent.includes({text!r}))"
        )
        await self.until(find, f"{selector} holding {text!r}")
        where = await self.js(
            f"(() => {{ const e = [...document.querySelectorAll({selector!r})]"
            f".find(e => e.textContent.includes({text!r})); if (!e) return null;"
            " const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2];"
            " })()"
        )
        assert where, f"nothing matches {selector} with {text!r}"
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            await self.send("Input.dispatchMouseEvent", type=kind, x=where[0], y=where[1],
                            button="left", clickCount=1)  # fmt: skip


@contextlib.asynccontextmanager
async def browser_on(url: str) -> AsyncIterator[Page]:
    """Headless Chromium showing `url`, with its DevTools port on a free loopback port."""
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        proc = await asyncio.create_subprocess_exec(
            CHROMIUM, *FLAGS[:-1], "--remote-debugging-port=0", f"--user-data-dir={profile}",
            url, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            assert proc.stderr is not None
            port = await _devtools_port(proc.stderr)
            async with aiohttp.ClientSession() as http:
                listing = await http.get(f"http://127.0.0.1:{port}/json/list")
                page = next(t for t in await listing.json() if t["type"] == "page")
                async with http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                    yield Page(ws)
        finally:
            proc.terminate()
            await proc.communicate()


async def _devtools_port(stderr: asyncio.StreamReader) -> int:
    """The port Chromium's "DevTools listening on ws://127.0.0.1:PORT/..." line names."""
    async with asyncio.timeout(PAGE_WAIT_SECONDS):
        async for line in stderr:
            found = re.search(rb"DevTools listening on ws://[\d.]+:(\d+)/", line)
            if found:
                return int(found[1])
    pytest.fail("Chromium stopped before it listened")


async def test_the_readmes_composer_steps_send_a_slash_command() -> None:
    """The README's four steps, in a real browser: pick /plan, fill coach, add date, send.

    Each step waits for what the page shows next (it updates on its own), never a fixed
    time; the whole test takes about two seconds.
    """
    proc = start_session("--now", "2026-11-24T10:00")  # a Tuesday: "previous" is Monday
    try:
        assert proc.stdout is not None
        url = page_url(read_until(proc.stdout, "member> "))
        async with browser_on(url) as page:
            focus = "(t => { t?.focus(); return !!t && document.activeElement === t; })"
            await page.until(f"{focus}(document.querySelector('textarea'))", "the composer")
            await page.type("/pl")  # 1. type /, pick /plan with Enter
            await page.until("document.body.innerText.includes('/plans')", "the command list")
            await page.press("Enter")
            await page.until("!!document.querySelector('[data-option=coach]')", "the coach box")
            await page.type("d")  # 2. the coach, then Escape
            await page.close_suggestions("D")
            await page.open_more_options()  # 3. +1 more: date
            await page.click(".command-suggestion", "date")
            await page.until("document.activeElement.dataset.option === 'date'", "the date box")
            await page.type("previous")
            await page.close_suggestions("PREVIOUS")
            await page.send_command()  # 4. send
            await page.until("document.body.innerText.includes('used /plan')", "the reply")
            await page.until("document.body.innerText.includes('Monday 2026-11-23')", "Monday")
    finally:
        stop_session(proc)
