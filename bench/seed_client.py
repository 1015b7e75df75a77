"""The seed's synchronous client, rebuilt as the seed report describes it: the baseline.

Never shipped, never imported by `bot`: it exists so the benchmarks can say how
far the async client moved from the earlier design. What the report lists, and
nothing more: one `requests.Session`, an `OrderedDict` LRU with a TTL read on
`time.time()`, up to `max_retries` attempts with linear sleeps between them
(1 s, then 2 s, ...), a fallback dict instead of an exception, dict metrics,
logging of every hit, miss and attempt, and calls made one after another.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import requests

log = logging.getLogger(__name__)

Plan = dict[str, Any]


class SeedClient:
    """Plan fetching with caching, retry and metrics, the seed's way (blocking)."""

    def __init__(
        self,
        api_base_url: str = "http://localhost:5000",
        cache_ttl_seconds: float = 3600,
        max_cache_size: int = 100,
        timeout: float = 10,
        max_retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api_base_url = api_base_url.rstrip("/")
        self.cache_ttl_seconds = cache_ttl_seconds
        self.max_cache_size = max_cache_size
        self.timeout = timeout
        self.max_retries = max_retries
        self._sleep = sleep
        self.session = requests.Session()
        self.cache: OrderedDict[str, tuple[float, Plan]] = OrderedDict()
        self.metrics: dict[str, dict[str, int]] = {
            "requests": {"total": 0, "cache_hits": 0, "cache_misses": 0},
            "api": {"success": 0, "errors": 0, "retries": 0},
        }

    # -- cache -----------------------------------------------------------------------
    def _get_cached(self, key: str) -> Plan | None:
        entry = self.cache.get(key)
        if entry is None:
            return None
        stored_at, data = entry
        if time.time() - stored_at > self.cache_ttl_seconds:
            del self.cache[key]
            return None
        self.cache.move_to_end(key)
        return data

    def _put(self, key: str, data: Plan) -> None:
        self.cache[key] = (time.time(), data)
        self.cache.move_to_end(key)
        while len(self.cache) > self.max_cache_size:
            self.cache.popitem(last=False)

    def clear_cache(self) -> int:
        count = len(self.cache)
        self.cache.clear()
        return count

    # -- API -------------------------------------------------------------------------
    def fetch_coach_plan(self, coach: str, date: str | None = None) -> Plan:
        date = date or dt.datetime.now().strftime("%Y-%m-%d")
        key = f"{coach}:{date}"
        self.metrics["requests"]["total"] += 1
        cached = self._get_cached(key)
        if cached is not None:
            self.metrics["requests"]["cache_hits"] += 1
            log.info("Cache hit for %s", key)
            return cached
        self.metrics["requests"]["cache_misses"] += 1
        log.info("Cache miss for %s", key)
        data = self._request("api/coach-plans/", {"coach": coach, "date": date})
        if data is None:
            return {"plan": f"Error retrieving plan for coach {coach}", "charts": [], "error": True}
        self._put(key, data)
        return data

    def fetch_all_coach_plans(self, date: str | None = None) -> dict[str, Plan]:
        date = date or dt.datetime.now().strftime("%Y-%m-%d")
        data = self._request("api/coach-plans/all", {"date": date})
        return data if isinstance(data, dict) else {}

    def _request(self, path: str, params: dict[str, str]) -> Plan | None:
        url = f"{self.api_base_url}/{path}"
        for attempt in range(self.max_retries):
            try:
                log.info("Fetching %s (attempt %d)", path, attempt + 1)
                response = self.session.get(url, params=params, timeout=self.timeout)
                response.raise_for_status()
                self.metrics["api"]["success"] += 1
                data: Plan = response.json()
                return data
            except requests.exceptions.Timeout:
                log.warning("Timeout fetching %s", path)
            except requests.exceptions.RequestException as exc:
                log.warning("Error fetching %s: %s", path, exc)
            self.metrics["api"]["errors"] += 1
            if attempt < self.max_retries - 1:
                self.metrics["api"]["retries"] += 1
                self._sleep(attempt + 1)  # linear: 1 s, 2 s, ...
        return None

    def close(self) -> None:
        self.session.close()
