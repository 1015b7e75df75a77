"""The plan reply's gallery and buttons on the offline page, in headless Chromium.

Pinned to Tuesday 2026-11-24 (`--now`): the demo's Day Trading plan that day has two
charts, so the page shows two images, and "◀ previous session" leads to Monday.
Needs Debian's `chromium`, like `test_browser.py`, whose browser driver it uses.
"""

from __future__ import annotations

import pytest

from tests.offline.session import page_url, read_until, start_session, stop_session
from tests.offline.test_browser import CHROMIUM, browser_on

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")

IMAGES = "document.querySelectorAll('.embed-image img')"


async def test_the_page_shows_the_gallery_and_a_click_steps_to_the_previous_session() -> None:
    """/plan d from the console: both chart images and the two buttons show on the page, and
    clicking "◀ previous session" there turns the same message into Monday's plan."""
    proc = start_session("--now", "2026-11-24T10:00")
    try:
        assert proc.stdin is not None and proc.stdout is not None
        url = page_url(read_until(proc.stdout, "member> "))
        proc.stdin.write("/plan d\n")
        proc.stdin.flush()
        reply = read_until(proc.stdout, "[◀ previous session] [next session ▶ (disabled)]")
        assert "== Day Trading · Tuesday 2026-11-24 ==" in reply
        async with browser_on(url) as page:
            await page.until("document.body.innerText.includes('Tuesday 2026-11-24')", "/plan")
            await page.until(
                f"[...{IMAGES}].filter(i => i.complete && i.naturalWidth > 0).length === 2",
                "both chart images",
            )
            next_disabled = (
                "[...document.querySelectorAll('.component-button')]"
                ".find(b => b.textContent.includes('next session'))?.disabled"
            )
            assert await page.js(next_disabled) is True

            # The message is taller than the window: bring the button into view to click it.
            await page.js(
                "[...document.querySelectorAll('.component-button')]"
                ".find(b => b.textContent.includes('previous session'))"
                ".scrollIntoView({block: 'center'})"
            )
            await page.click(".component-button", "previous session")

            await page.until("document.body.innerText.includes('Monday 2026-11-23')", "Monday")
            assert "Tuesday 2026-11-24" not in await page.js("document.body.innerText")
            assert await page.js(next_disabled) is False
    finally:
        stop_session(proc)
