"""HTTP to the Coach Plan API: one session, checked bodies, retries inside a deadline.

Everything that touches the network is here, so the cache and the public
client above it only ever see parsed JSON or one of the `PlanError` family.
What makes a body usable (size, type, JSON, encodable text) is `body.py`'s.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import random
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any, Final, final

import aiohttp

from .body import MAX_BODY_BYTES, read_json
from .breaker import CircuitBreaker
from .config import ConnectorFactory, Sleep
from .metrics import ClientStats
from .models import BadResponse, ErrorCategory, PlanUnavailable, Rejected
from .retry import (
    RETRY_AFTER_STATUSES,
    RetryPolicy,
    is_retryable_status,
    parse_retry_after,
)

log = logging.getLogger(__name__)

USER_AGENT: Final = "coach-plans-client/0.1 (+aiohttp)"


@dataclasses.dataclass(frozen=True, slots=True)
class Reply:
    """A usable answer: its status (an accepted one, or 404 where "no plan" is allowed)."""

    status: int
    body: object
    attempts: int


class _Transient(Exception):
    """A failure another attempt may fix."""

    def __init__(
        self,
        category: ErrorCategory,
        reason: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        by_deadline: bool = False,
    ) -> None:
        super().__init__(reason)
        self.category: ErrorCategory = category
        self.status = status
        self.retry_after = retry_after
        self.by_deadline = by_deadline


@final
class Upstream:
    """The API seen through one aiohttp session, a concurrency limit and a breaker."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float,
        policy: RetryPolicy,
        breaker: CircuitBreaker,
        stats: ClientStats,
        max_concurrency: int,
        max_body_bytes: int = MAX_BODY_BYTES,
        session: aiohttp.ClientSession | None = None,
        connector_factory: ConnectorFactory | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if timeout <= 0 or max_concurrency < 1 or max_body_bytes < 1:
            raise ValueError("timeout, max_concurrency and max_body_bytes must be positive")
        self.base_url = base_url.rstrip("/") + "/"
        self._timeout = timeout
        self._client_timeout = _timeout(timeout)
        self._policy = policy
        self._breaker = breaker
        self._stats = stats
        self._max_body = max_body_bytes
        self._session = session
        self._owns_session = session is None
        self._connector_factory = connector_factory
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._sleep = sleep
        self._clock = clock
        self._rand = rand
        self.last_error: ErrorCategory | None = None
        #: Set by the client's close(): from then on no session is made and no request sent.
        self.closed = False
        self.in_flight = 0
        self.peak_in_flight = 0

    def snapshot(self) -> dict[str, Any]:
        """The `api` section of get_metrics()."""
        return {
            "success": self._stats.api_success,
            "errors": self._stats.api_errors,
            "retries": self._stats.api_retries,
            "not_found": self._stats.api_not_found,
            "last_error": self.last_error,
            "in_flight": self.in_flight,
            "peak_in_flight": self.peak_in_flight,
        }

    def _get_session(self) -> aiohttp.ClientSession:
        # Created inside the running loop on first use: a session belongs to one loop.
        # Never re-created: after close() a request is a RuntimeError, not a new session.
        if self.closed:
            raise RuntimeError("this CoachPlanClient is closed")
        if self._session is None:
            connector = (
                self._connector_factory() if self._connector_factory else aiohttp.TCPConnector()
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"Accept": "application/json", "User-Agent": USER_AGENT},
            )
        return self._session

    async def close(self) -> None:
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()

    async def get_json(
        self,
        endpoint: str,
        path: str,
        params: Mapping[str, str] | None = None,
        *,
        deadline_at: float,
        ok_statuses: Collection[int] = (200,),
        not_found_ok: bool = False,
        retry: bool = True,
        use_breaker: bool = True,
    ) -> Reply:
        """GET `path` until it answers usably, the attempts run out or the deadline nears."""
        attempts = self._policy.attempts if retry else 1
        attempt = 0
        while True:
            attempt += 1
            if use_breaker and not self._breaker.allow():
                raise PlanUnavailable("the circuit breaker is open", category="unavailable")
            try:
                status, body = await self._attempt(
                    endpoint, path, params, deadline_at, ok_statuses, not_found_ok
                )
            except _Transient as exc:
                failure = exc
            except BadResponse as exc:
                self._failed(exc.category, use_breaker)
                raise
            except Rejected:
                self._succeeded(use_breaker)  # the API is up; the request was wrong
                self._stats.api_errors += 1
                raise
            except BaseException:
                if use_breaker:
                    self._breaker.release_probe()
                raise
            else:
                self._succeeded(use_breaker)
                self._stats.api_success += 1
                return Reply(status, body, attempt)
            if use_breaker:
                self._breaker.record_failure()
            self.last_error = failure.category
            delay = self._next_delay(failure, attempt, attempts, deadline_at)
            if delay is None:
                break
            self._stats.api_retries += 1
            log.warning(
                "retrying %s (attempt %d of %d) in %.2fs after %s",
                endpoint, attempt + 1, attempts, delay, failure,
            )  # fmt: skip
            await self._sleep(delay)
        self._stats.api_errors += 1
        if failure.category == "bad_response":
            raise BadResponse(str(failure), status=failure.status)
        raise PlanUnavailable(
            str(failure),
            category=failure.category,
            status=failure.status,
            by_deadline=failure.by_deadline,
        )

    def _next_delay(
        self, failure: _Transient, attempt: int, attempts: int, deadline_at: float
    ) -> float | None:
        """The wait before the next attempt, or None to stop and answer now."""
        if attempt >= attempts:
            return None
        delay = failure.retry_after
        if delay is None:
            delay = self._policy.backoff(attempt, self._rand)
        if self._clock() + delay >= deadline_at:
            return None
        return delay

    def _succeeded(self, use_breaker: bool) -> None:
        if use_breaker:
            self._breaker.record_success()

    def _failed(self, category: ErrorCategory, use_breaker: bool) -> None:
        if use_breaker:
            self._breaker.record_failure()
        self.last_error = category
        self._stats.api_errors += 1

    async def _attempt(
        self,
        endpoint: str,
        path: str,
        params: Mapping[str, str] | None,
        deadline_at: float,
        ok_statuses: Collection[int],
        not_found_ok: bool,
    ) -> tuple[int, object]:
        budget = min(self._timeout, deadline_at - self._clock())
        if budget <= 0:
            raise _Transient("timeout", "no time left for another attempt", by_deadline=True)
        if self._semaphore.locked():
            # Wait for a slot only as long as this attempt may last: a load must end
            # by its deadline on its own, since callers joining it set no timer.
            try:
                async with asyncio.timeout(budget):
                    await self._semaphore.acquire()
            except TimeoutError:
                raise _Transient(
                    "timeout", "no free connection slot in time", by_deadline=budget < self._timeout
                ) from None
            budget = min(self._timeout, deadline_at - self._clock())
        else:
            await self._semaphore.acquire()
        try:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            started = time.perf_counter()
            status: int | None = None
            try:
                timeout = (
                    self._client_timeout
                    if budget == self._timeout
                    else _timeout(max(budget, 0.001))
                )
                async with self._get_session().get(
                    self.base_url + path, params=params, allow_redirects=False, timeout=timeout
                ) as resp:
                    status = resp.status
                    if status in ok_statuses:
                        return status, await read_json(resp, max_bytes=self._max_body)
                    if status == 404 and not_found_ok:
                        return status, None
                    if is_retryable_status(status):
                        wait = (
                            parse_retry_after(resp.headers)
                            if status in RETRY_AFTER_STATUSES
                            else None
                        )
                        raise _Transient(
                            "unavailable", f"HTTP {status}", status=status, retry_after=wait
                        )
                    raise Rejected(f"the API refused the request (HTTP {status})", status=status)
            except TimeoutError as exc:
                raise _Transient(
                    "timeout", "the API did not answer in time", by_deadline=budget < self._timeout
                ) from exc
            except aiohttp.ClientPayloadError as exc:
                raise _Transient("bad_response", "the answer was cut off", status=status) from exc
            except (aiohttp.ClientError, OSError) as exc:
                raise _Transient("unavailable", type(exc).__name__, status=status) from exc
            finally:
                self.in_flight -= 1
                ms = (time.perf_counter() - started) * 1000
                self._stats.observe(endpoint, ms)
                log.debug("GET %s -> %s in %.1f ms", endpoint, status, ms)
        finally:
            self._semaphore.release()


def _timeout(seconds: float) -> aiohttp.ClientTimeout:
    """A total timeout that ends when it says: aiohttp rounds timeouts of 5 s or more
    up to the next whole second of the loop's clock unless `ceil_threshold` is raised,
    which could end a 7.25 s budget at 8.2 s, past the bot's reply deadline."""
    return aiohttp.ClientTimeout(total=seconds, ceil_threshold=math.inf)
