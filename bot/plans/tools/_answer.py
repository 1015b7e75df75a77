"""The tool functions: check what the agent asked, ask the shared client, answer in text."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from concurrent.futures import CancelledError

from .. import inputs
from ..history import PlanHistory
from ..models import CoachPlan, InvalidInput, PlanNotFound, PlanUnavailable
from . import _text
from ._env import ToolConfigError
from ._shared import Shared, get_shared, is_current

log = logging.getLogger(__name__)


def coach_plan_text(coach: str, date: str | dt.date | None = None) -> str:
    """One coach's plan for a session: YYYY-MM-DD, `today` (the default: the current
    session) or `previous` (`yesterday` too)."""
    return _answer(lambda shared: _coach_plan(shared, coach, date))


def all_plans_text(date: str | dt.date | None = None) -> str:
    """Every configured coach's plan for a session (same day words), one section per coach."""
    return _answer(lambda shared: _all_plans(shared, date))


def plan_history_text(coach: str, date: str | dt.date | None = None) -> str:
    """One coach's plan's edit history for a session (same day words): each edit, newest
    first, with who made it, when, and the words it changed."""
    return _answer(lambda shared: _history(shared, coach, date))


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
    except InvalidInput as exc:  # the one input policy's sentence (bot.plans.inputs)
        return str(exc)
    except (CancelledError, RuntimeError):
        if is_current(shared):
            raise
        return _text.REPLACED_TEXT


def _coach_plan(shared: Shared, coach: object, date: str | dt.date | None) -> str:
    client = shared.client.client
    cid = inputs.parse_coach(coach, shared.names)
    day = client.normalize_date(date)
    try:
        plan = shared.client.fetch_coach_plan(cid, day)
    except PlanNotFound:  # strict clients raise what the others return
        plan = CoachPlan.missing(cid, day, client.now())
    except PlanUnavailable as exc:
        plan = CoachPlan.fallback(cid, day, exc.category)
    return _text.with_today_note(client, date, _text.plan_text(plan, shared.names, client))


def _history(shared: Shared, coach: object, date: str | dt.date | None) -> str:
    """The history first, then the plan: a history newer than the cached plan drops it."""
    client = shared.client.client
    cid = inputs.parse_coach(coach, shared.names)
    day = client.normalize_date(date)
    try:
        history = shared.client.fetch_plan_history(cid, day)
    except PlanUnavailable as exc:  # strict clients raise what the others return
        history = PlanHistory.fallback(cid, day, exc.category)
    plan = None
    if history.error is None or history.stale:
        try:
            plan = shared.client.fetch_coach_plan(cid, day)
        except PlanNotFound:
            plan = CoachPlan.missing(cid, day, client.now())
        except PlanUnavailable as exc:
            plan = CoachPlan.fallback(cid, day, exc.category)
    return _text.with_today_note(
        client, date, _text.history_text(history, plan, shared.names, client)
    )


def _all_plans(shared: Shared, date: str | dt.date | None) -> str:
    client = shared.client.client
    day = client.normalize_date(date)
    try:
        plans = shared.client.fetch_all_coach_plans(day)
    except PlanUnavailable as exc:
        text = _text.could_not("the coach plans", client.calendar, day, exc.category)
    else:
        text = _text.plans_text(day, plans, shared.names, client)
    return _text.with_today_note(client, date, text)
