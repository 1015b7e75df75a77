"""When to try the API again, and how long to wait first.

Knob names follow stamina (`wait_initial`, `wait_max`, `wait_exp_base`); the
seed's `max_retries` keeps its meaning, the total number of attempts. Time is
injected (`sleep`, `clock`) so tests never wait on the wall clock.

Backoff is "full jitter" (AWS Architecture Blog, "Exponential Backoff and
Jitter"): before retry *n* (1-based) the client sleeps a uniform random time in
``[0, min(wait_max, wait_initial * wait_exp_base ** (n - 1))]``. Full jitter
spreads a crowd of clients that failed together, so they do not come back
together. A `Retry-After` header on 429/503 replaces the backoff when it fits
in the caller's deadline; when it does not, the client answers at once.
"""

from __future__ import annotations

import dataclasses
import email.utils
import math
import random
import re
import time
from collections.abc import Callable, Mapping
from typing import Final

RETRYABLE_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
RETRY_AFTER_STATUSES: Final = frozenset({429, 503})
_DELAY_SECONDS: Final = re.compile(r"[0-9]+")
#: What an HTTP-date (IMF-fixdate and the obsolete forms) can be made of, and no more.
_HTTP_DATE_CHARS: Final = re.compile(r"[A-Za-z0-9 ,:\-]{1,64}")
#: A Retry-After beyond this is treated as "not in this call's lifetime".
MAX_RETRY_AFTER_SECONDS: Final = 3600.0


@dataclasses.dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many attempts, and the backoff between them (seconds)."""

    attempts: int = 3
    wait_initial: float = 0.5
    wait_max: float = 5.0
    wait_exp_base: float = 2.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("max_retries is the total number of attempts and must be >= 1")
        if self.wait_initial < 0 or self.wait_max < 0 or self.wait_exp_base < 1:
            raise ValueError("waits must be >= 0 and wait_exp_base >= 1")

    def backoff(self, retry_number: int, rand: Callable[[], float] = random.random) -> float:
        """Full-jitter delay before retry `retry_number` (1 = the first retry)."""
        cap = min(self.wait_max, self.wait_initial * self.wait_exp_base ** (retry_number - 1))
        return cap * rand()


def is_retryable_status(status: int) -> bool:
    """Connection trouble, 5xx and 429 can pass; any other 4xx will fail the same way again."""
    return status in RETRYABLE_STATUSES or status >= 500


def parse_retry_after(
    headers: Mapping[str, str], now: Callable[[], float] = time.time
) -> float | None:
    """Seconds to wait from a `Retry-After` header (RFC 9110 §10.2.3), or None.

    Both forms are accepted: delay-seconds and an HTTP-date. A date in the past
    means "now" (0); an unreadable value is ignored rather than trusted.
    """
    raw = headers.get("Retry-After")
    if raw is None:
        return None
    raw = raw.strip()
    # ASCII digits only: str.isdigit() also takes "²" and "٣", which float() may refuse.
    if _DELAY_SECONDS.fullmatch(raw):
        # Ten digits already exceed the cap: a longer number is not worth converting.
        return min(float(raw[:11]), MAX_RETRY_AFTER_SECONDS)
    if not _HTTP_DATE_CHARS.fullmatch(raw):
        return None
    try:
        when = email.utils.parsedate_to_datetime(raw)
        seconds = when.timestamp() - now()
    except (TypeError, ValueError, IndexError, OverflowError, AttributeError):
        return None
    if when.tzinfo is None or not math.isfinite(seconds):
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER_SECONDS)
