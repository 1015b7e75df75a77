"""Trading sessions: which days a market trades, when it opens and closes.

Coaches post one plan per trading session, so "today" in this project is the
current session of a market calendar, not the calendar day: on a weekend or a
holiday it is the latest session before it. The NYSE calendar is the
`holidays` package's NYSE financial calendar (closures, special closures
such as 2012's Hurricane Sandy, and its `half_day` category for the 13:00
early closes); `tests/plans/test_market.py` checks it against
`exchange_calendars` for every day of 2000-2030. Another market is one more
entry in `CALENDARS`; callers only ever name it (`PLANS_MARKET_CALENDAR`).

Nothing here does I/O; a calendar is immutable once built and safe to share
between threads (each year's holidays are computed once, under a lock).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Callable, Mapping
from typing import Final, final
from zoneinfo import ZoneInfo

import holidays

DEFAULT_CALENDAR: Final = "NYSE"
_DAY: Final = dt.timedelta(days=1)
#: Longest run of closed days any calendar has had (NYSE, September 2001: 4 weekdays).
_MAX_CLOSED_RUN_DAYS: Final = 31

#: A market's closed days for one year: day -> name (holidays' financial calendars).
HolidayTable = Callable[[int], Mapping[dt.date, str]]


@final
@dataclasses.dataclass(frozen=True, slots=True)
class MarketDay:
    """What one calendar day is to a market: a (maybe half) session, or closed and why."""

    day: dt.date
    is_session: bool
    early_close: bool
    #: Why there is no session: "Saturday", "Thanksgiving Day", ...; None on a session.
    closed_reason: str | None


@final
class MarketCalendar:
    """Sessions of one market: weekdays that are not its holidays, some closing early."""

    def __init__(
        self,
        name: str,
        *,
        zone: str,
        opens: dt.time,
        closes: dt.time,
        early_closes: dt.time,
        closed_days: HolidayTable,
        half_days: HolidayTable,
    ) -> None:
        self.name = name
        self.zone = ZoneInfo(zone)
        self.opens = opens
        self.closes = closes
        self.early_closes = early_closes
        self._closed_days = closed_days
        self._half_days = half_days
        self._years: dict[int, tuple[Mapping[dt.date, str], Mapping[dt.date, str]]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MarketCalendar({self.name!r})"

    # -- one day -------------------------------------------------------------------
    def is_session(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self._year(day.year)[0]

    def is_early_close(self, day: dt.date) -> bool:
        return self.is_session(day) and day in self._year(day.year)[1]

    def market_day(self, day: dt.date) -> MarketDay:
        closed, half = self._year(day.year)
        if day.weekday() >= 5:
            return MarketDay(day, False, False, f"{day:%A}")
        if day in closed:
            return MarketDay(day, False, False, closed[day])
        return MarketDay(day, True, day in half, None)

    def open_time(self, day: dt.date) -> dt.datetime:
        """When the session of `day` opens, aware in the market's zone."""
        self._require_session(day)
        return dt.datetime.combine(day, self.opens, tzinfo=self.zone)

    def close_time(self, day: dt.date) -> dt.datetime:
        """When the session of `day` closes (early on a half day), aware in the market's zone."""
        self._require_session(day)
        closes = self.early_closes if self.is_early_close(day) else self.closes
        return dt.datetime.combine(day, closes, tzinfo=self.zone)

    # -- moving between sessions -----------------------------------------------------
    def local_date(self, now: dt.datetime) -> dt.date:
        """The calendar day it is in the market's zone at the aware instant `now`."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        return now.astimezone(self.zone).date()

    def current_session(self, now: dt.datetime) -> dt.date:
        """The session of the market's day at `now`, or the latest session before it.

        A session day counts from midnight, before the open: a 07:00 plan is for
        that day's session.
        """
        return self.session_on_or_before(self.local_date(now))

    def session_on_or_before(self, day: dt.date) -> dt.date:
        return day if self.is_session(day) else self.previous_session(day)

    def previous_session(self, day: dt.date) -> dt.date:
        """The latest session strictly before `day`."""
        return self._step(day, -_DAY)

    def next_session(self, day: dt.date) -> dt.date:
        """The earliest session strictly after `day`."""
        return self._step(day, _DAY)

    def sessions_back(self, day: dt.date, count: int) -> list[dt.date]:
        """`count` sessions up to and including `day` (if a session), newest first."""
        out: list[dt.date] = []
        current = self.session_on_or_before(day)
        while len(out) < count:
            out.append(current)
            current = self.previous_session(current)
        return out

    # -- internals -----------------------------------------------------------------
    def _step(self, day: dt.date, step: dt.timedelta) -> dt.date:
        current = day + step
        for _ in range(_MAX_CLOSED_RUN_DAYS):
            if self.is_session(current):
                return current
            current += step
        raise ValueError(f"{self.name} has no session within a month of {day.isoformat()}")

    def _require_session(self, day: dt.date) -> None:
        if not self.is_session(day):
            raise ValueError(f"{day.isoformat()} is not a {self.name} session")

    def _year(self, year: int) -> tuple[Mapping[dt.date, str], Mapping[dt.date, str]]:
        tables = self._years.get(year)
        if tables is None:
            with self._lock:
                tables = self._years.get(year)
                if tables is None:
                    # Plain dicts: holidays' own objects compute years lazily on lookup,
                    # which is not safe from several threads.
                    tables = (dict(self._closed_days(year)), dict(self._half_days(year)))
                    self._years[year] = tables
        return tables


def _nyse_closed(year: int) -> Mapping[dt.date, str]:
    return holidays.financial_holidays("NYSE", years=year)


def _nyse_half_days(year: int) -> Mapping[dt.date, str]:
    return holidays.financial_holidays("NYSE", years=year, categories=("half_day",))


def _nyse() -> MarketCalendar:
    return MarketCalendar(
        "NYSE",
        zone="America/New_York",
        opens=dt.time(9, 30),
        closes=dt.time(16, 0),
        early_closes=dt.time(13, 0),
        closed_days=_nyse_closed,
        half_days=_nyse_half_days,
    )


#: Calendars by the name `PLANS_MARKET_CALENDAR` (and `market_calendar=`) takes.
CALENDARS: Final[Mapping[str, Callable[[], MarketCalendar]]] = {"NYSE": _nyse}
_built: dict[str, MarketCalendar] = {}
_built_lock = threading.Lock()


def market_calendar(name: str = DEFAULT_CALENDAR) -> MarketCalendar:
    """The calendar called `name` (any case), built once per process and shared."""
    key = name.strip().upper() if isinstance(name, str) else ""
    if key not in CALENDARS:
        raise ValueError(
            f"unknown market calendar {str(name)[:20]!r}; known: {', '.join(CALENDARS)}"
        )
    with _built_lock:
        calendar = _built.get(key)
        if calendar is None:
            calendar = _built[key] = CALENDARS[key]()
    return calendar


# -- plain words, shared by the bot, the agent tools and the command line -------------
def day_label(calendar: MarketCalendar, day: dt.date) -> str:
    """`Friday 2026-11-27`, plus `(half day)` on an early close."""
    label = f"{day:%A} {day.isoformat()}"
    return f"{label} (half day)" if calendar.is_early_close(day) else label


def closed_today_note(calendar: MarketCalendar, now: dt.datetime) -> str | None:
    """On a day without a session, the sentence that says which session "today" means."""
    local = calendar.local_date(now)
    market_day = calendar.market_day(local)
    if market_day.is_session:
        return None
    latest = calendar.previous_session(local)
    return (
        f"Markets are closed today ({market_day.closed_reason}); "
        f"latest session: {day_label(calendar, latest)}."
    )


def closed_day_note(calendar: MarketCalendar, day: dt.date) -> str | None:
    """For a day that had no session, the sentence that says so; None for a session."""
    market_day = calendar.market_day(day)
    if market_day.is_session:
        return None
    why = market_day.closed_reason
    weekend = why in ("Saturday", "Sunday")
    return f"Markets were closed on {day:%A} {day.isoformat()}" + (
        " (weekend)." if weekend else f" ({why})."
    )
