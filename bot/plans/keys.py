"""Cache keys from what callers pass: coach ids and trading days, checked before any request.

"Today" is the current session of the client's market calendar (see
`market.py`), never the machine's date, and never the server's: a missing
date on the wire means the server's own local day (contract, "Observed on the
deployed service"). Coach ids travel as a query parameter, so only configured
ids are ever sent. The spellings accepted are `inputs.py`'s, shared with the
bot, the tools and the command line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Final, final

from . import inputs
from .cache import Key
from .market import MarketCalendar

_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
#: Distinct date strings remembered as valid before the memo starts over.
MAX_MEMO_DAYS: Final = 4096


@final
class PlanKeys:
    """Turns (coach, date) as callers write them into the cache's (id, YYYY-MM-DD) key.

    The hot path (a hit) only does dict look-ups: accepted spellings of coach
    ids and date strings are memoized, and the current session is recomputed
    only when a midnight in the market's zone passes, so the calendar is
    consulted once a day, not once a call.
    """

    def __init__(
        self, coaches: Iterable[str], calendar: MarketCalendar, now: Callable[[], dt.datetime]
    ) -> None:
        self.calendar = calendar
        self.coaches: tuple[str, ...] = tuple(c.strip().lower() for c in coaches)
        if not self.coaches or not all(c.isalnum() for c in self.coaches):
            raise ValueError("coaches must be a non-empty list of letter/digit ids")
        if len(set(self.coaches)) != len(self.coaches):
            raise ValueError("coaches must not repeat an id")
        self._names = {c: c for c in self.coaches}
        self._now = now
        self._coach_ids = {c: c for c in self.coaches} | {c.upper(): c for c in self.coaches}
        self._iso_days: dict[str, str] = {}
        self._session_span: tuple[dt.datetime, dt.datetime, str] = (_EPOCH, _EPOCH, "")

    def key(self, coach: object, date: object) -> Key:
        cid = self._coach_ids.get(coach) if isinstance(coach, str) else None
        return (cid or self.normalize_coach(coach), self.day_iso(date))

    def now(self) -> dt.datetime:
        return self._now()

    def today(self) -> dt.date:
        """The current session."""
        return dt.date.fromisoformat(self.today_iso())

    def today_iso(self) -> str:
        """The current session as YYYY-MM-DD, recomputed only when a market midnight passes."""
        now = self._now()
        start, end, iso = self._session_span
        if start <= now < end:
            return iso
        local = now.astimezone(self.calendar.zone)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
        zone = self.calendar.zone
        # Bounds in UTC: comparing datetimes that share a tzinfo skips utcoffset().
        # One tuple, replaced whole, so a reader in another thread never sees a mix.
        start = midnight.replace(tzinfo=zone).astimezone(dt.UTC)
        end = (midnight + dt.timedelta(days=1)).replace(tzinfo=zone).astimezone(dt.UTC)
        session = self.calendar.session_on_or_before(local.date())
        self._session_span = (start, end, session.isoformat())
        return self._session_span[2]

    def day_iso(self, date: object) -> str:
        """normalize_date(date).isoformat(), memoized for YYYY-MM-DD strings."""
        if date is None:
            return self.today_iso()
        if isinstance(date, str):
            iso = self._iso_days.get(date)
            if iso is None:
                day = self.normalize_date(date)
                iso = day.isoformat()
                if date.strip() == iso:  # day words change meaning daily: never memoized
                    if len(self._iso_days) >= MAX_MEMO_DAYS:
                        self._iso_days.clear()
                    self._iso_days[date] = iso
            return iso
        return self.normalize_date(date).isoformat()

    def normalize_coach(self, coach: object) -> str:
        return inputs.parse_coach(coach, self._names)

    def normalize_date(self, date: object) -> dt.date:
        return inputs.parse_day(date, calendar=self.calendar, current=self.today())
