"""The two tool functions: check what the agent asked, ask the shared client, answer in text."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from concurrent.futures import CancelledError

from ..models import CoachPlan, InvalidInput, PlanNotFound, PlanUnavailable
from ..sync import SyncCoachPlanClient
from . import _text
from ._env import ToolConfigError
from ._shared import Shared, get_shared, is_current

log = logging.getLogger(__name__)


def coach_plan_text(coach: str, date: str | dt.date | None = None) -> str:
    """One coach's plan for a day (YYYY-MM-DD, `today` or `yesterday`; default today)."""
    return _answer(lambda shared: _coach_plan(shared, coach, date))


def all_plans_text(date: str | dt.date | None = None) -> str:
    """Every configured coach's plan for a day, one section per coach."""
    return _answer(lambda shared: _all_plans(shared, date))


def _answer(ask: Callable[[Shared], str]) -> str:
    """`ask` the shared client; what goes wrong around the question is answered as text too.

    A call whose client `configure()`/`reset()` closed under it says so; the
    same error on the current client is a bug and is raised.
    """
    try:
        shared = get_shared()
    except ToolConfigError as exc:
        log.error("%s", exc)
        return str(exc)
    try:
        return ask(shared)
    except InvalidInput as exc:  # checked before asking; the client's own sentence if it objects
        return str(exc)
    except (CancelledError, RuntimeError):
        if is_current(shared):
            raise
        return _text.REPLACED_TEXT


def _coach_plan(shared: Shared, coach: object, date: str | dt.date | None) -> str:
    cid = _coach_id(coach, shared)
    if cid is None:
        return _text.unknown_coach(coach, shared.names)
    day = _day(date, shared.client)
    if day is None:
        return _text.bad_date(date)
    try:
        plan = shared.client.fetch_coach_plan(cid, day)
    except PlanNotFound:  # strict clients raise what the others return
        plan = CoachPlan.missing(cid, day, dt.datetime.now(dt.UTC))
    except PlanUnavailable as exc:
        plan = CoachPlan.fallback(cid, day, exc.category)
    return _text.plan_text(plan, shared.names)


def _all_plans(shared: Shared, date: str | dt.date | None) -> str:
    day = _day(date, shared.client)
    if day is None:
        return _text.bad_date(date)
    try:
        plans = shared.client.fetch_all_coach_plans(day)
    except PlanUnavailable as exc:
        return _text.could_not("the coach plans", day, exc.category)
    return _text.plans_text(day, plans, shared.names)


def _coach_id(coach: object, shared: Shared) -> str | None:
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
