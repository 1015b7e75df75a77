"""The shared tier's counters: plain integers the tier bumps, read as one snapshot.

Kept apart from `ClientStats` so the client can run without the tier; the
client merges `snapshot()` into `get_metrics()` under its own key.
"""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(slots=True)
class TierStats:
    #: Answers read from Redis (`fresh:` keys), and lookups that found nothing usable.
    hits: int = 0
    misses: int = 0
    #: Answers a waiter took from another holder's publication instead of the API.
    peer_answers: int = 0
    #: Stale copies read for stale-on-error.
    stale_hits: int = 0
    #: Loads this process made upstream while holding the key's lock.
    lock_acquired: int = 0
    #: Callers that waited for another holder, and those whose deadline came first.
    lock_waits: int = 0
    lock_wait_timeouts: int = 0
    #: Waiters answered with the holder's upstream failure.
    peer_failures: int = 0
    #: Values written, and write-backs refused because a clear came after the load began.
    puts: int = 0
    puts_refused: int = 0
    #: Stored values (or messages) this version could not read: counted misses.
    decode_failures: int = 0
    invalidations_sent: int = 0
    invalidations_received: int = 0
    keys_dropped: int = 0
    breaker_opens_sent: int = 0
    breaker_news_received: int = 0
    #: Redis calls that failed or timed out, and calls not made while backing off.
    errors: int = 0
    skipped: int = 0
    #: Commands sent to Redis (scripts count one each), listener heartbeats included.
    commands: int = 0
    #: Times the pub/sub listener had to connect again after losing its connection.
    reconnects: int = 0

    def snapshot(self, **state: Any) -> dict[str, Any]:
        """A fresh dict of every counter, plus `invalidations` (sent and received: the
        figure the issue names) and `state` (availability, listener)."""
        counts = dataclasses.asdict(self)
        counts["invalidations"] = self.invalidations_sent + self.invalidations_received
        return counts | state
