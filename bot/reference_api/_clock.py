"""The server's clock: naive wall time in its configured zone, never the machine's.

The contract's timestamps are naive and its "today" is the service's own. Reading
the machine's zone would make the same server answer differently on a laptop, in
CI (UTC) and in a container, so every stamp and every default "today" goes through
the zone chosen with `--timezone` (default `America/New_York`, the market's clock).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE: Final = "America/New_York"
# Resolves to whatever zone the machine is set to: exactly what the option exists to avoid.
_MACHINE_ZONE_NAMES: Final = frozenset({"localtime"})


def server_zone(name: str) -> ZoneInfo:
    """The zone called `name`, or a `ValueError` whose message is fit for a user.

    A typo must be refused: falling back to UTC or the machine's zone would shift
    every stamp and the default day without a word.
    """
    if name in _MACHINE_ZONE_NAMES:
        raise ValueError(f"time zone {name!r} is the machine's zone; name one, such as UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}; expected an IANA name such as {DEFAULT_TIMEZONE}"
        ) from None


def wall_time(moment: datetime, zone: ZoneInfo) -> datetime:
    """`moment` (aware) as naive wall time in `zone`: the contract's timestamp form."""
    return moment.astimezone(zone).replace(tzinfo=None)


def wall_clock(zone: ZoneInfo) -> Callable[[], datetime]:
    """A `now` for the app: the current naive wall time in `zone`."""

    def now() -> datetime:
        return datetime.now(zone).replace(tzinfo=None)

    return now
