"""The shared cache: a Redis second level that processes of the bot and agents share.

Optional (the `redis` extra) and off unless a `redis_url` is configured. This
package's own names need no redis-py, so configuration can be checked and
values encoded without it; `RedisTier` lives in `bot.plans.shared.tier`, which
the client imports only when a `redis_url` is set (it imports redis-py).

A miss in the process cache calls `RedisTier.look` (one GET: the hit path)
and, when that finds nothing, `RedisTier.load`, which answers from Redis, from
the one process fetching the key right now, or by calling the caller's fetch
as that one process. Clears and the breaker's state reach every process
through it. `bot.plans.tiered` is how the client uses it.
"""

from .codec import ALL_CODEC as ALL_CODEC
from .codec import PLAN_CODEC as PLAN_CODEC
from .codec import DecodeError as DecodeError
from .codec import ValueCodec as ValueCodec
from .codec import dataclass_codec as dataclass_codec
from .codec import mapping_codec as mapping_codec
from .keyspace import ALL_COACH as ALL_COACH
from .keyspace import DEFAULT_PREFIX as DEFAULT_PREFIX
from .keyspace import Invalidation as Invalidation
from .keyspace import Keyspace as Keyspace
from .outcomes import Answer as Answer
from .outcomes import Cleared as Cleared
from .outcomes import Failed as Failed
from .outcomes import Fetch as Fetch
from .outcomes import Found as Found
from .outcomes import Missed as Missed
from .outcomes import Outcome as Outcome
from .outcomes import Unavailable as Unavailable

__all__ = (
    "ALL_COACH",
    "ALL_CODEC",
    "DEFAULT_PREFIX",
    "PLAN_CODEC",
    "Answer",
    "Cleared",
    "DecodeError",
    "Failed",
    "Fetch",
    "Found",
    "Invalidation",
    "Keyspace",
    "Missed",
    "Outcome",
    "Unavailable",
    "ValueCodec",
    "dataclass_codec",
    "mapping_codec",
)
