"""How one bot process fits a fleet: which shards it runs and where it serves metrics.

A community that outgrows one process runs the bot as several processes, each
over a subset of Discord's shards (`SHARD_COUNT`, `SHARD_IDS`), sharing one
Redis cache (`PLANS_REDIS_URL`). These are the parsers of those settings, kept
apart from `bot.settings` so the rules of a fleet read in one place, and free
of optional imports (prometheus-client is needed only when metrics are served).
"""

from __future__ import annotations

import dataclasses
import ipaddress
from typing import Final

#: Far above any bot we serve; a typo of a digit more is caught.
MAX_SHARDS: Final = 4096
DEFAULT_METRICS_HOST: Final = "127.0.0.1"


@dataclasses.dataclass(frozen=True, slots=True)
class Shards:
    """`count` shards in all, of which this process runs `ids` (None: every one)."""

    count: int
    ids: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.count <= MAX_SHARDS:
            raise ValueError(f"a shard count from 1 to {MAX_SHARDS}")
        if self.ids is not None:
            wrong = [i for i in self.ids if not 0 <= i < self.count]
            if wrong or not self.ids:
                raise ValueError(
                    f"shard ids from 0 to {self.count - 1} (SHARD_COUNT is {self.count})"
                )

    @property
    def label(self) -> str:
        """This process among the others, for metrics: `shards-0,1-of-4`."""
        ids = self.ids if self.ids is not None else range(self.count)
        return f"shards-{','.join(map(str, ids))}-of-{self.count}"


def parse_shard_count(raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_SHARDS:
        raise ValueError(f"a whole number from 1 to {MAX_SHARDS}")
    return int(raw)


def parse_shard_ids(raw: str) -> tuple[int, ...]:
    """`0,1,2`, or ranges `0-3,8`: ascending, each once."""
    ids: list[int] = []
    for part in raw.split(","):
        first, dash, last = part.strip().partition("-")
        if not first.isdigit() or (dash and not last.isdigit()):
            raise ValueError("shard ids such as 0,1 or ranges such as 0-3")
        low, high = int(first), int(last) if dash else int(first)
        if high < low or high >= MAX_SHARDS:
            raise ValueError("ranges from low to high, such as 0-3")
        ids.extend(range(low, high + 1))
    if len(set(ids)) != len(ids):
        raise ValueError("each shard id once")
    return tuple(sorted(ids))


def parse_metrics_addr(value: str) -> tuple[str, int]:
    """`9108`, `:9108`, `127.0.0.1:9108` or `[::1]:9108` -> (host, port); loopback by default.

    Port 0 takes any free port (for tests). A host must be an IP address or
    `localhost`: the page shows every figure of the process, so serving it
    beyond loopback is a choice spelt out (`0.0.0.0:9108`), never a default.
    """
    text = value.strip()
    host, sep, port_text = text.rpartition(":")
    if not sep:
        host, port_text = "", text
    host = host.strip("[]") or DEFAULT_METRICS_HOST
    if not port_text.isdigit() or not 0 <= int(port_text) < 65536:
        raise ValueError("PORT or HOST:PORT with a port from 0 (any free one) to 65535")
    if host != "localhost":
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise ValueError(
                "an IP address or localhost as the host, e.g. 127.0.0.1:9108"
            ) from None
    return host, int(port_text)
