"""Realistic demo plans, so the offline mode and a hand-run server show something useful.

The week is computed from today in New York, the market's clock, not from the
server's own zone. Chart URLs point at this server's `/charts/` images and carry
Discord-style signed query strings (`ex`, `is`, `hm`), because real chart links do and
the client must treat them as opaque data.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, Final
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from .charts import DEMO_CHART_NAMES, chart_png
from .db import NewPlan, PlanStore
from .demo_text import DEMO_COACHES
from .loader import validate_rows

MARKET_ZONE: Final = ZoneInfo("America/New_York")
DEFAULT_BASE_URL: Final = "http://127.0.0.1:5000"
DEMO_TRADING_DAYS: Final = 5
CHART_LINK_LIFETIME_SECONDS: Final = 24 * 3600


def market_today() -> date:
    return datetime.now(MARKET_ZONE).date()


def trading_days(today: date, count: int = DEMO_TRADING_DAYS) -> list[date]:
    """The `count` most recent weekdays up to and including `today`, oldest first.

    Market holidays are not skipped: demo data only needs to look like a trading week.
    """
    days: list[date] = []
    day = today
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    return days[::-1]


def demo_rows(
    base_url: str = DEFAULT_BASE_URL, today: date | None = None, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Demo plans in the load file format (see docs/reference-api.md).

    `now` is the server's naive local time (default: the clock), used to keep today's
    plans and edits out of the future.
    """
    base = base_url.rstrip("/")
    days = trading_days(today or market_today())
    local_now = now or datetime.now()
    rows: list[dict[str, Any]] = []
    for coach_number, (coach, (author, channel, entries)) in enumerate(DEMO_COACHES.items()):
        for day, entry in zip(days, entries, strict=True):
            if entry is None:
                continue
            text, charts, earlier = entry
            last_edit = timedelta(minutes=max((minutes for _, _, minutes in earlier), default=0))
            posted = _posted(day, coach_number, local_now - last_edit)
            rows.append(
                {
                    "coach": coach,
                    "date": day.isoformat(),
                    "plan": text,
                    "charts": [_chart_url(base, name, day) for name in charts],
                    "author": author,
                    "channel": channel,
                    "created_at": posted.isoformat(timespec="microseconds"),
                    "edits": [
                        {
                            "plan_text": old_text,
                            "edited_by": editor,
                            "edited_at": (posted + timedelta(minutes=minutes)).isoformat(
                                timespec="microseconds"
                            ),
                        }
                        for old_text, editor, minutes in earlier
                    ],
                }
            )
    return rows


def fill_demo(
    db_path: str | os.PathLike[str],
    today: date | None = None,
    *,
    base_url: str = DEFAULT_BASE_URL,
) -> int:
    """Write the demo week, replacing plans for the same coach and day; returns the count.

    `today` defaults to today in New York. Blocking: use `asyncio.to_thread` from a loop.
    """
    plans: Sequence[NewPlan] = validate_rows(demo_rows(base_url, today))
    store = PlanStore(db_path)
    store.initialize()
    return store.replace_plans(plans)


def demo_chart_assets(
    base_url: str = DEFAULT_BASE_URL, *, today: date | None = None
) -> dict[str, tuple[str, bytes]]:
    """Every chart URL the demo writes (and each bare `/charts/<name>.png`) with its PNG.

    Keys match the stored URLs exactly, query string included, so a preview that
    renders images offline can look them up without fetching.
    """
    base = base_url.rstrip("/")
    urls = [url for row in demo_rows(base, today) for url in row["charts"]]
    urls += [f"{base}/charts/{name}.png" for name in DEMO_CHART_NAMES]
    assets: dict[str, tuple[str, bytes]] = {}
    for url in urls:
        filename = urlsplit(url).path.rsplit("/", 1)[-1]
        assets[url] = (filename, chart_png(filename.removesuffix(".png")))
    return assets


def _posted(day: date, coach_number: int, latest: datetime) -> datetime:
    """When a coach posted: before the open in New York, as the server's naive local time.

    Clamped to `latest` so a demo filled before the open has no plans from the future.
    """
    market_time = time(8, 5 + 7 * coach_number, 13, 250_000 + day.day, tzinfo=MARKET_ZONE)
    local = datetime.combine(day, market_time).astimezone().replace(tzinfo=None)
    return min(local, latest - timedelta(minutes=5 + 7 * coach_number))


def _chart_url(base: str, name: str, day: date) -> str:
    """A link shaped like a Discord CDN attachment: expiry, issue time and a signature.

    Derived from the day only, so `demo_chart_assets` rebuilds the same URLs.
    """
    issued = int(datetime.combine(day, time(8, tzinfo=MARKET_ZONE)).timestamp())
    expires = issued + CHART_LINK_LIFETIME_SECONDS
    signature = hashlib.sha256(f"{name}:{issued}".encode()).hexdigest()
    return f"{base}/charts/{name}.png?ex={expires:08x}&is={issued:08x}&hm={signature}&"
