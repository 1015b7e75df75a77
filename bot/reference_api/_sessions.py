"""NYSE sessions, from the `holidays` package: which days the demo fills and how it names them.

A session is a weekday the exchange is open; a half day closes at 13:00 ET. The
client has a calendar of its own, but the server will become its own package and
must not import the client, so this small copy lives here.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Final
from zoneinfo import ZoneInfo

import holidays

MARKET_ZONE: Final = ZoneInfo("America/New_York")
EARLY_CLOSE: Final = time(13, 0)
_ONE_DAY: Final = timedelta(days=1)
_EXCHANGE: Final = "NYSE"


@cache
def _closed_days(year: int) -> frozenset[date]:
    return frozenset(holidays.financial_holidays(_EXCHANGE, years=year))


@cache
def _half_days(year: int) -> frozenset[date]:
    return frozenset(holidays.financial_holidays(_EXCHANGE, years=year, categories=("half_day",)))


def market_date(moment: datetime) -> date:
    """The calendar date in New York at `moment` (aware), whatever zone it is given in."""
    return moment.astimezone(MARKET_ZONE).date()


def is_session(day: date) -> bool:
    return day.weekday() < 5 and day not in _closed_days(day.year)


def is_half_day(day: date) -> bool:
    """Whether `day` is a session that closes early, at `EARLY_CLOSE`."""
    return is_session(day) and day in _half_days(day.year)


def previous_session(day: date) -> date:
    """The last session strictly before `day`."""
    day -= _ONE_DAY
    while not is_session(day):
        day -= _ONE_DAY
    return day


def next_session(day: date) -> date:
    """The first session strictly after `day`."""
    day += _ONE_DAY
    while not is_session(day):
        day += _ONE_DAY
    return day


def sessions_up_to(day: date, count: int) -> list[date]:
    """The `count` latest sessions up to `day` (included when it is one), oldest first."""
    latest = day if is_session(day) else previous_session(day)
    days: list[date] = []
    while len(days) < count:
        days.append(latest)
        latest = previous_session(latest)
    return days[::-1]
