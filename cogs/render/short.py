"""The one-line text replies: rate limited, refused, cache cleared, something broke.

Each is shown ephemerally by the command that needs it; only `error_text` is
shared with the bot's command tree.
"""

from __future__ import annotations

import datetime as dt
import math

from bot.plans.wording import plural
from cogs.render.limits import CONTENT_LIMIT
from cogs.render.markdown import cut, escape


def rate_limited_text(retry_after: float) -> str:
    return f"You're asking too quickly. Please try again in {max(1, math.ceil(retry_after))} s."


def refusal_text() -> str:
    return "Sorry, only moderators can clear the plan cache."


def cleared_text(
    plans: int, coach_name: str | None, day: dt.date | None, *, shared: bool = False
) -> str:
    """What /clearcache did, in plans (the client's `cached_plans`), not cache entries.

    `shared`: the cache is shared through Redis, so every process dropped its copies too
    (their counts are not known here; the count is this process's)."""
    scope = " and ".join(
        part
        for part in (coach_name and f"coach {escape(coach_name)}", day and day.isoformat())
        if part
    )
    where = f" for {scope}" if scope else ""
    if plans:
        head = f"Dropped {plural(plans, 'cached plan')}{where or ' (everything)'}."
    else:
        head = f"No plans were cached{where}."
    also = " The shared cache and every process's own copies were cleared too." if shared else ""
    return cut(f"{head}{also} The next request asks the plan service.", CONTENT_LIMIT)


def error_text(error_id: str) -> str:
    return f"Something went wrong on our side (error id `{error_id}`). Please try again."
