"""The two Redis clients of a tier: one pool for commands, one for the pub/sub listener.

Neither has a socket timeout: the guard bounds every command (one timer, not
two per read), and the listener's connection waits for messages (its
liveness is the heartbeat's job); connecting has its own timeout. Neither
retries inside redis-py: a retry would spend the caller's 50 ms twice, and
the guard and the listener decide when to try again. No CLIENT SETINFO on
connect, so every command sent is one the tier counts.
"""

from __future__ import annotations

import inspect
from typing import Any

try:
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "the shared cache needs redis-py: pip install 'coach-plans-bot[redis]'"
    ) from exc

Redis = aioredis.Redis

_NO_SETINFO: dict[str, Any] = (
    {"driver_info": None}
    if "driver_info" in inspect.signature(aioredis.Redis.__init__).parameters
    else {"lib_name": None, "lib_version": None}
)


def connect(url: str, *, timeout_seconds: float | None, connect_timeout_seconds: float) -> Redis:
    """A client for `url` (redis:// or rediss://); no I/O until its first command."""
    return aioredis.Redis.from_url(
        url,
        socket_timeout=timeout_seconds,
        socket_connect_timeout=connect_timeout_seconds,
        retry=Retry(NoBackoff(), 0),
        decode_responses=False,
        **_NO_SETINFO,
    )
