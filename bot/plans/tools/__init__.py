"""Coach plans as plain text for trading agents: functions, and LangChain tools on request.

An agent puts what a tool returns into its prompt, so these functions answer
every problem the API or the caller can cause with a sentence, never an
exception: a missing plan, a stale copy (and how old it is), an API that is
down, an unknown coach or a bad date all come back as text.

They share one `SyncCoachPlanClient`, built on first use from the variables
the bot reads (`PLANS_API_URL`, `PLANS_CACHE_TTL_SECONDS`, ...). This module
reads the environment itself because `bot.plans` imports nothing of ours, not
even `bot.settings`; its checks match the bot's. The client is closed at exit;
`configure()` and `reset()` replace it, for tests and for apps that configure
it in code. LangChain is optional and imported only by `get_langchain_tools()`.
"""

from __future__ import annotations

import atexit
import dataclasses
import datetime as dt
import logging
import math
import os
import re
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import CancelledError
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .models import CoachPlan, ErrorCategory, InvalidInput, PlanNotFound, PlanUnavailable
from .sync import SyncCoachPlanClient

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

log = logging.getLogger(__name__)

__all__ = (
    "COACH_NAMES",
    "ToolConfigError",
    "all_plans_text",
    "coach_plan_text",
    "configure",
    "get_client",
    "get_langchain_tools",
    "reset",
)

#: Display names of the deployed service's coaches; `COACHES=id=Name,...` overrides them.
COACH_NAMES: Final[Mapping[str, str]] = {
    "d": "Day Trading",
    "i": "Intraday",
    "s": "Swing",
    "n": "News/Events",
}
DEFAULT_API_URL: Final = "http://localhost:5000"
INSTALL_HINT: Final = "pip install 'coach-plans-bot[agents]'"
#: The answer of a call whose client `configure()`/`reset()` closed under it.
REPLACED_TEXT: Final = "The plan client was shut down or replaced while answering. Ask again."

_URL: Final = re.compile(r"https?://[^\s/?#]+(/[^\s?#]*)?")
_COACH_ID: Final = re.compile(r"[a-z0-9]{1,20}")
_WHY: Final[Mapping[ErrorCategory, str]] = {
    "timeout": "the plan service did not answer in time",
    "unavailable": "the plan service is unavailable right now",
    "bad_response": "the plan service sent an answer that could not be read",
    "rejected": "the plan service refused the request",
}


class ToolConfigError(ValueError):
    """An environment variable for the shared client is invalid; the message names each one."""


# -- configuration from the environment ----------------------------------------------
def _bounded(cast: Callable[[str], Any], expected: str, ok: Callable[[Any], bool]) -> Any:
    """A parser of numbers: `cast`, then `ok`; either failing says what is `expected`."""

    def parse(raw: str) -> Any:
        try:
            value = cast(raw)
        except ValueError:
            raise ValueError(expected) from None
        if not (math.isfinite(value) and ok(value)):
            raise ValueError(expected)
        return value

    return parse


def _url(raw: str) -> str:
    if not _URL.fullmatch(raw):
        raise ValueError("an http:// or https:// base URL such as http://localhost:5000")
    return raw


def _timezone(raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("an IANA timezone name such as America/New_York") from None
    return raw


def _coaches(raw: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for part in raw.split(","):
        cid, sep, name = (s.strip() for s in part.partition("="))
        if not sep or not _COACH_ID.fullmatch(cid) or not name or cid in names:
            raise ValueError("comma-separated id=Name pairs such as d=Day Trading,s=Swing")
        names[cid] = name
    return names


#: Variable -> (CoachPlanClient keyword, parser); the same names and limits as bot.settings.
_ENV: Final[Mapping[str, tuple[str, Callable[[str], Any]]]] = {
    "PLANS_API_URL": ("api_base_url", _url),
    "PLANS_CACHE_TTL_SECONDS": (
        "cache_ttl_seconds",
        _bounded(float, "a number of seconds above 0", lambda v: v > 0),
    ),
    "PLANS_CACHE_MAX_SIZE": (
        "max_cache_size",
        _bounded(int, "a whole number from 1 to 100000", lambda v: 1 <= v <= 100_000),
    ),
    "PLANS_TIMEOUT_SECONDS": (
        "timeout",
        _bounded(float, "a number of seconds above 0 and at most 300", lambda v: 0 < v <= 300),
    ),
    "PLANS_MAX_RETRIES": (
        "max_retries",
        _bounded(int, "a whole number from 1 to 10", lambda v: 1 <= v <= 10),
    ),
    "PLANS_TIMEZONE": ("timezone", _timezone),
    "COACHES": ("coaches", _coaches),
}


def _read_env(
    environ: Mapping[str, str], overridden: frozenset[str] = frozenset()
) -> tuple[dict[str, Any], dict[str, str]]:
    """Client keywords and coach names from `environ`; every bad variable in one error.

    Empty values count as unset, as in the bot's `.env`. Variables whose
    keyword the caller overrides are not read, so they cannot fail.
    """
    options: dict[str, Any] = {"api_base_url": DEFAULT_API_URL}
    names = dict(COACH_NAMES)
    problems: list[str] = []
    for var, (keyword, parse) in _ENV.items():
        raw = environ.get(var, "").strip()
        if not raw or keyword in overridden:
            continue
        try:
            value = parse(raw)
        except ValueError as exc:
            shown = "" if var == "PLANS_API_URL" else f" (got {raw[:40]!r})"
            problems.append(f"{var} must be {exc}{shown}.")
            continue
        if keyword == "coaches":
            names = value
            value = tuple(value)
        options[keyword] = value
    if problems:
        raise ToolConfigError("Coach plan tools are misconfigured: " + " ".join(problems))
    return options, names


# -- the shared client ----------------------------------------------------------------
@dataclasses.dataclass(frozen=True, slots=True)
class _Shared:
    client: SyncCoachPlanClient
    names: Mapping[str, str]


#: Held while the shared client is built, replaced or closed, so there is only ever one.
_lock = threading.RLock()
_shared: _Shared | None = None
_atexit_registered = False


def _install(new: _Shared | None) -> None:
    """Make `new` (or nothing) the shared client and close the one it replaces."""
    global _shared, _atexit_registered
    with _lock:
        old, _shared = _shared, new
        if new is not None and not _atexit_registered:
            atexit.register(reset)
            _atexit_registered = True
        if old is not None:
            old.client.close()


def _get_shared() -> _Shared:
    shared = _shared
    if shared is not None:
        return shared
    with _lock:
        shared = _shared
        if shared is None:
            options, names = _read_env(os.environ)
            shared = _Shared(SyncCoachPlanClient(**options), names)
            _install(shared)
            log.info("coach plan tools: shared client for %s", options["api_base_url"])
        return shared


def get_client() -> SyncCoachPlanClient:
    """The shared client, built from the environment on first use (ToolConfigError if invalid)."""
    return _get_shared().client


def configure(
    *, coach_names: Mapping[str, str] | None = None, **options: Any
) -> SyncCoachPlanClient:
    """Replace the shared client: the environment's settings overridden by `options`.

    `options` are CoachPlanClient keywords (`api_base_url`, `timeout`,
    `coaches`, `now`, ...); `coach_names` maps ids to the names the text uses.
    Calls still running on the old client may fail as it closes.
    """
    env_options, env_names = _read_env(os.environ, frozenset(options))
    client = SyncCoachPlanClient(**(env_options | options))
    given = coach_names or {}
    names = {
        cid: given.get(cid) or env_names.get(cid) or COACH_NAMES.get(cid, cid)
        for cid in client.client.coaches
    }
    _install(_Shared(client, names))
    return client


def reset() -> None:
    """Close and forget the shared client; the next call builds one from the environment."""
    _install(None)


# -- text -----------------------------------------------------------------------------
def coach_plan_text(coach: str, date: str | dt.date | None = None) -> str:
    """One coach's plan for a day (YYYY-MM-DD, `today` or `yesterday`; default today)."""
    try:
        shared = _get_shared()
    except ToolConfigError as exc:
        log.error("%s", exc)
        return str(exc)
    cid = _coach_id(coach, shared)
    if cid is None:
        return f"Unknown coach {str(coach)[:20]!r}. Use one of: {_choices(shared.names)}."
    day = _day(date, shared.client)
    if day is None:
        return _bad_date(date)
    try:
        plan = shared.client.fetch_coach_plan(cid, day)
    except PlanNotFound:  # strict clients raise what the others return
        plan = CoachPlan.missing(cid, day, dt.datetime.now(dt.UTC))
    except PlanUnavailable as exc:
        plan = CoachPlan.fallback(cid, day, exc.category)
    except InvalidInput as exc:  # checked above; the client's own sentence if it still objects
        return str(exc)
    except (CancelledError, RuntimeError):
        if _shared is shared:
            raise
        return REPLACED_TEXT
    return _plan_text(plan, shared.names)


def all_plans_text(date: str | dt.date | None = None) -> str:
    """Every configured coach's plan for a day, one section per coach."""
    try:
        shared = _get_shared()
    except ToolConfigError as exc:
        log.error("%s", exc)
        return str(exc)
    day = _day(date, shared.client)
    if day is None:
        return _bad_date(date)
    try:
        plans = shared.client.fetch_all_coach_plans(day)
    except PlanUnavailable as exc:
        return _could_not("the coach plans", day, exc.category)
    except InvalidInput as exc:
        return str(exc)
    except (CancelledError, RuntimeError):
        if _shared is shared:
            raise
        return REPLACED_TEXT
    answered = [p for p in plans.values() if p.error is None or p.stale]
    if not answered:
        return _could_not("the coach plans", day, next(p.error for p in plans.values() if p.error))
    posted = sum(p.found for p in plans.values())
    failed = len(plans) - len(answered)
    head = f"Coach plans for {_when(day)}: {posted} of {len(plans)} coaches posted a plan" + (
        f"; {failed} could not be checked." if failed else "."
    )
    return "\n\n".join([head, *(_plan_text(p, shared.names) for p in plans.values())])


def _coach_id(coach: object, shared: _Shared) -> str | None:
    """The coach id for an id, a display name or the API's `coach_<id>` spelling."""
    if not isinstance(coach, str):
        return None
    wanted = coach.strip().lower().removeprefix("coach_").removeprefix("coach ")
    for cid in shared.client.client.coaches:
        if wanted in (cid, shared.names.get(cid, cid).lower()):
            return cid
    return None


def _day(date: str | dt.date | None, client: SyncCoachPlanClient) -> dt.date | None:
    """The day meant, in the client's timezone (agents say `today` and `yesterday`)."""
    word = date.strip().lower() if isinstance(date, str) else None
    if date is None or word in ("", "today"):
        return client.client.today()
    if word == "yesterday":
        return client.client.today() - dt.timedelta(days=1)
    try:
        return client.client.normalize_date(date)
    except InvalidInput:
        return None


def _bad_date(date: object) -> str:
    return (
        f"Invalid date {str(date)[:30]!r}. Use a calendar date as YYYY-MM-DD "
        "(for example 2024-11-08), 'today' or 'yesterday'."
    )


def _could_not(what: str, day: dt.date, error: ErrorCategory) -> str:
    return f"Could not get {what} for {_when(day)}: {_WHY[error]}. Try again in a few minutes."


def _choices(names: Mapping[str, str]) -> str:
    return ", ".join(f"{cid} ({name})" for cid, name in names.items())


def _when(day: dt.date) -> str:
    return f"{day.isoformat()} ({day.strftime('%A')})"


def _who(plan: CoachPlan, names: Mapping[str, str]) -> str:
    return f"the {names.get(plan.coach, plan.coach)} coach ({plan.coach})"


def _time(stamp: str) -> str:
    """The API's naive local timestamp to the minute; unparseable text is shown as sent."""
    try:
        return dt.datetime.fromisoformat(stamp).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp


def _ago(seconds: float) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "less than a minute ago"


def _plan_text(plan: CoachPlan, names: Mapping[str, str]) -> str:
    who, when = _who(plan, names), _when(plan.day)
    stale = (
        f"Note: the plan service is not answering, so this is the last copy we have, "
        f"fetched {_ago(plan.age_seconds)}; it may have changed since."
    )
    if plan.error is not None and not plan.stale:
        return _could_not(f"the plan of {who}", plan.day, plan.error)
    if not plan.found:
        return f"No plan from {who} for {when}." + (f" {stale}" if plan.stale else "")
    lines = [f"Plan of {who} for {when}"]
    if plan.stale:
        lines.append(stale)
    lines.append(f"Author: {plan.author or 'unknown'}")
    if plan.created_at:
        edited = f"; edited {_time(plan.edited_at)}" if plan.edited_at else ""
        lines.append(f"Posted: {_time(plan.created_at)}{edited} (plan service's local time)")
    lines += ["Plan:", plan.plan.strip()]
    if plan.charts:
        lines += [f"Charts ({len(plan.charts)}):", *(f"- {url}" for url in plan.charts)]
    else:
        lines.append("Charts: none")
    return "\n".join(lines)


# -- LangChain ------------------------------------------------------------------------
def _known_names() -> Mapping[str, str]:
    """Coach names for tool descriptions, without building a client (no I/O at build)."""
    shared = _shared
    if shared is not None:
        return shared.names
    try:
        return _read_env(os.environ)[1]
    except ToolConfigError:
        return COACH_NAMES


def get_langchain_tools() -> list[BaseTool]:
    """`coach_plan` and `all_coach_plans` as LangChain tools with typed, described arguments."""
    try:
        from langchain_core.tools import StructuredTool
        from pydantic import BaseModel, Field
    except ImportError as exc:
        raise ImportError(f"The LangChain tools need langchain-core: {INSTALL_HINT}") from exc

    date_help = (
        "Trading day as YYYY-MM-DD, or 'today' or 'yesterday'. "
        "Leave empty for today (New York time unless configured otherwise)."
    )

    coaches = _choices(_known_names())

    class CoachPlanArgs(BaseModel):
        coach: str = Field(description=f"Coach id or name, one of: {coaches}.")
        date: str | None = Field(default=None, description=date_help)

    class AllPlansArgs(BaseModel):
        date: str | None = Field(default=None, description=date_help)

    return [
        StructuredTool.from_function(
            func=coach_plan_text,
            name="coach_plan",
            description=(
                "Read one trading coach's plan for a day: author, posting time, the plan "
                "text and chart links. Says so when there is no plan or the service is down."
            ),
            args_schema=CoachPlanArgs,
            # Arguments an LLM got wrong come back as a sentence it can act on.
            handle_validation_error=(
                f"Invalid arguments. coach_plan takes `coach` (one of: {coaches}) and an "
                "optional `date` (YYYY-MM-DD, 'today' or 'yesterday')."
            ),
        ),
        StructuredTool.from_function(
            func=all_plans_text,
            name="all_coach_plans",
            description=(
                "Read every trading coach's plan for a day, one section per coach. "
                "Says which coaches posted nothing and whether the service is down."
            ),
            args_schema=AllPlansArgs,
            handle_validation_error=(
                "Invalid arguments. all_coach_plans takes an optional `date` "
                "(YYYY-MM-DD, 'today' or 'yesterday')."
            ),
        ),
    ]
