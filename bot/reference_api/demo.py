"""Realistic demo plans, so the offline mode and a hand-run server show something useful.

The week is the last five NYSE sessions (weekends and exchange holidays skipped) up
to today in New York, the market's clock, not the server's zone. The prose follows
the calendar: "yesterday's close" only when the previous session was yesterday, a
half day says so. Stamps are market times (08:05 ET and so on) written as naive
wall time in the server's zone. Chart URLs point at this server's `/charts/` images
and carry Discord-style signed query strings (`ex`, `is`, `hm`), because real chart
links do and the client must treat them as opaque data.
"""

from __future__ import annotations

import hashlib
import os
from datetime import date, datetime, time, timedelta
from typing import Any, Final
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from ._clock import DEFAULT_TIMEZONE, server_zone, wall_time
from ._sessions import (
    MARKET_ZONE,
    is_half_day,
    market_date,
    next_session,
    previous_session,
    sessions_up_to,
)
from .charts import DEMO_CHART_NAMES, chart_png
from .db import PlanStore
from .demo_text import DEMO_COACHES, HALF_DAY_NOTE, DemoPlan
from .loader import validate_rows

DEFAULT_BASE_URL: Final = "http://127.0.0.1:5000"
DEMO_TRADING_DAYS: Final = 5
CHART_LINK_LIFETIME_SECONDS: Final = 24 * 3600
# Fixed English names: strftime("%A") would follow the process locale.
_WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def market_today() -> date:
    """Today's calendar date in New York, which may be a weekend or a holiday."""
    return datetime.now(MARKET_ZONE).date()


def trading_days(today: date, count: int = DEMO_TRADING_DAYS) -> list[date]:
    """The `count` most recent NYSE sessions up to `today` (included if a session), oldest first.

    On a weekend or holiday the week ends at the latest session, so the demo always
    has plans for the day a client shows first.
    """
    return sessions_up_to(today, count)


def demo_rows(
    base_url: str = DEFAULT_BASE_URL,
    today: date | None = None,
    *,
    now: datetime | None = None,
    timezone: str = DEFAULT_TIMEZONE,
) -> list[dict[str, Any]]:
    """Demo plans in the load file format (see docs/reference-api.md).

    `now` is the server's naive wall time in `timezone` (default: the clock read in
    that zone); it keeps today's plans and edits out of the future and, without
    `today`, picks the week (by its date in New York).
    """
    zone = server_zone(timezone)
    aware_now = datetime.now(zone) if now is None else now.replace(tzinfo=zone)
    latest = aware_now.replace(tzinfo=None)
    base = base_url.rstrip("/")
    days = trading_days(today or market_date(aware_now))
    rows: list[dict[str, Any]] = []
    for coach_number, (coach, (author, channel, week)) in enumerate(DEMO_COACHES.items()):
        for day, entry in zip(days, week, strict=True):
            if entry is not None:
                posted = _posted(day, coach_number, latest - _last_edit(entry), zone)
                rows.append(_row(base, coach, author, channel, day, entry, posted))
    return rows


def fill_demo(
    db_path: str | os.PathLike[str],
    today: date | None = None,
    *,
    base_url: str = DEFAULT_BASE_URL,
    timezone: str = DEFAULT_TIMEZONE,
    now: datetime | None = None,
) -> int:
    """Write the demo week, replacing plans for the same coach and day; returns the count.

    Only into a new database or one holding nothing but demo plans: the demo never
    replaces real plans and their history. Anything else raises `ForeignPlansError`
    and writes nothing. `today` defaults to the New York date of `now` (the server's
    naive wall time in `timezone`, default the clock). Blocking: use
    `asyncio.to_thread` from a loop.
    """
    rows = demo_rows(base_url, today, now=now, timezone=timezone)
    plans = validate_rows(rows, timezone=timezone)
    store = PlanStore(db_path)
    store.initialize()
    return store.replace_plans(plans, demo=True)


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


def _row(
    base: str, coach: str, author: str, channel: str, day: date, entry: DemoPlan, posted: datetime
) -> dict[str, Any]:
    return {
        "coach": coach,
        "date": day.isoformat(),
        "plan": _prose(_text_on(entry, day), day),
        "charts": [_chart_url(base, name, day) for name in entry.charts],
        "author": author,
        "channel": channel,
        "created_at": _stamp(posted),
        "edits": [
            {
                "plan_text": _prose(earlier.text, day),
                "edited_by": earlier.edited_by,
                "edited_at": _stamp(posted + timedelta(minutes=earlier.minutes)),
            }
            for earlier in entry.earlier
        ],
    }


def _text_on(entry: DemoPlan, day: date) -> str:
    """The half-day version where the regular text schedules something after the close."""
    return entry.half_day if entry.half_day and is_half_day(day) else entry.text


def _prose(text: str, day: date) -> str:
    """The text as true on `day`: neighbouring sessions named, a half day announced."""
    previous, following = previous_session(day), next_session(day)
    text = text.format(
        previous=_relative_name(day, previous, "yesterday"),
        next=_relative_name(day, following, "tomorrow"),
    )
    return f"{HALF_DAY_NOTE} {text}" if is_half_day(day) else text


def _relative_name(day: date, other: date, adjacent: str) -> str:
    """'yesterday'/'tomorrow' only for the adjacent calendar day, else the weekday's name."""
    return adjacent if abs((other - day).days) == 1 else _WEEKDAYS[other.weekday()]


def _last_edit(entry: DemoPlan) -> timedelta:
    return timedelta(minutes=max((earlier.minutes for earlier in entry.earlier), default=0))


def _posted(day: date, coach_number: int, latest: datetime, zone: ZoneInfo) -> datetime:
    """When a coach posted: before the open in New York, as naive wall time in `zone`.

    Clamped to `latest` so a demo filled before the open has no plans from the future.
    """
    market_time = time(8, 5 + 7 * coach_number, 13, 250_000 + day.day, tzinfo=MARKET_ZONE)
    posted = wall_time(datetime.combine(day, market_time), zone)
    return min(posted, latest - timedelta(minutes=5 + 7 * coach_number))


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def _chart_url(base: str, name: str, day: date) -> str:
    """A link shaped like a Discord CDN attachment: expiry, issue time and a signature.

    Derived from the day only, so `demo_chart_assets` rebuilds the same URLs.
    """
    issued = int(datetime.combine(day, time(8, tzinfo=MARKET_ZONE)).timestamp())
    expires = issued + CHART_LINK_LIFETIME_SECONDS
    signature = hashlib.sha256(f"{name}:{issued}".encode()).hexdigest()
    return f"{base}/charts/{name}.png?ex={expires:08x}&is={issued:08x}&hm={signature}&"
