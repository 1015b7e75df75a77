"""Cache keys from what callers pass: coach ids and trading days, checked before any request.

"Today" is the US trading day (the client's timezone), never the machine's
date, and never the server's: a missing date on the wire means the server's
own local day (contract, "Observed on the deployed service"). Coach ids travel
as a query parameter, so only configured ids are ever sent.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import Final, final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .cache import Key
from .models import InvalidInput

_ISO_DAY: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
#: Distinct date strings remembered as valid before the memo starts over.
MAX_MEMO_DAYS: Final = 4096


@final
class PlanKeys:
    """Turns (coach, date) as callers write them into the cache's (id, YYYY-MM-DD) key.

    The hot path (a hit) only does dict look-ups: accepted spellings of coach
    ids and date strings are memoized, and today's date is recomputed only
    when a midnight in the timezone passes.
    """

    def __init__(
        self, coaches: Iterable[str], timezone: str, now: Callable[[], dt.datetime]
    ) -> None:
        try:
            self.tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: a folder name
            raise ValueError(f"unknown timezone {timezone!r}; use an IANA name") from exc
        self.coaches: tuple[str, ...] = tuple(c.strip().lower() for c in coaches)
        if not self.coaches or not all(c.isalnum() for c in self.coaches):
            raise ValueError("coaches must be a non-empty list of letter/digit ids")
        self._now = now
        self._coach_ids = {c: c for c in self.coaches} | {c.upper(): c for c in self.coaches}
        self._iso_days: dict[str, str] = {}
        self._today_span: tuple[dt.datetime, dt.datetime, str] = (_EPOCH, _EPOCH, "")

    def key(self, coach: object, date: object) -> Key:
        cid = self._coach_ids.get(coach) if isinstance(coach, str) else None
        return (cid or self.normalize_coach(coach), self.day_iso(date))

    def today(self) -> dt.date:
        return self._now().astimezone(self.tz).date()

    def today_iso(self) -> str:
        """today() as YYYY-MM-DD, recomputed only when a midnight in our timezone passes."""
        now = self._now()
        start, end, iso = self._today_span
        if start <= now < end:
            return iso
        local = now.astimezone(self.tz)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        # Bounds in UTC: comparing datetimes that share a tzinfo skips utcoffset().
        # One tuple, replaced whole, so a reader in another thread never sees a mix.
        start = midnight.astimezone(dt.UTC)
        end = (midnight + dt.timedelta(days=1)).astimezone(dt.UTC)
        self._today_span = (start, end, local.date().isoformat())
        return self._today_span[2]

    def day_iso(self, date: object) -> str:
        """normalize_date(date).isoformat(), memoized for strings."""
        if date is None:
            return self.today_iso()
        if isinstance(date, str):
            iso = self._iso_days.get(date)
            if iso is None:
                if len(self._iso_days) >= MAX_MEMO_DAYS:
                    self._iso_days.clear()
                iso = self._iso_days[date] = self.normalize_date(date).isoformat()
            return iso
        return self.normalize_date(date).isoformat()

    def normalize_coach(self, coach: object) -> str:
        if isinstance(coach, str):
            cid = coach.strip().lower()
            if cid in self.coaches:
                return cid
        raise InvalidInput(
            f"Unknown coach {str(coach)[:20]!r}. Valid coaches: {', '.join(self.coaches)}."
        )

    def normalize_date(self, date: object) -> dt.date:
        if date is None:
            return self.today()
        if isinstance(date, dt.datetime):
            return date.astimezone(self.tz).date() if date.tzinfo else date.date()
        if isinstance(date, dt.date):
            return date
        if isinstance(date, str) and _ISO_DAY.fullmatch(date.strip()):
            try:
                return dt.date.fromisoformat(date.strip())
            except ValueError:
                pass
        raise InvalidInput(
            f"Invalid date {str(date)[:30]!r}: use a real calendar day as YYYY-MM-DD."
        )
