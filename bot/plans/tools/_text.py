"""Plans and failures as the sentences an agent puts into its prompt; no I/O here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Final

from ..models import CoachPlan, ErrorCategory

#: The answer of a call whose client `configure()`/`reset()` closed under it.
REPLACED_TEXT: Final = "The plan client was shut down or replaced while answering. Ask again."

_WHY: Final[Mapping[ErrorCategory, str]] = {
    "timeout": "the plan service did not answer in time",
    "unavailable": "the plan service is unavailable right now",
    "bad_response": "the plan service sent an answer that could not be read",
    "rejected": "the plan service refused the request",
}


def bad_date(date: object) -> str:
    return (
        f"Invalid date {str(date)[:30]!r}. Use a calendar date as YYYY-MM-DD "
        "(for example 2024-11-08), 'today' or 'yesterday'."
    )


def unknown_coach(coach: object, names: Mapping[str, str]) -> str:
    return f"Unknown coach {str(coach)[:20]!r}. Use one of: {choices(names)}."


def could_not(what: str, day: dt.date, error: ErrorCategory) -> str:
    """A failure without the URL or upstream text, so the LLM has no address to echo."""
    return f"Could not get {what} for {when(day)}: {_WHY[error]}. Try again in a few minutes."


def choices(names: Mapping[str, str]) -> str:
    return ", ".join(f"{cid} ({name})" for cid, name in names.items())


def when(day: dt.date) -> str:
    return f"{day.isoformat()} ({day.strftime('%A')})"


def plans_text(day: dt.date, plans: Mapping[str, CoachPlan], names: Mapping[str, str]) -> str:
    """A count first, then a section per coach; stale copies count as answered."""
    answered = [p for p in plans.values() if p.error is None or p.stale]
    if not answered:
        return could_not("the coach plans", day, next(p.error for p in plans.values() if p.error))
    posted = sum(p.found for p in plans.values())
    failed = len(plans) - len(answered)
    head = f"Coach plans for {when(day)}: {posted} of {len(plans)} coaches posted a plan" + (
        f"; {failed} could not be checked." if failed else "."
    )
    return "\n\n".join([head, *(plan_text(p, names) for p in plans.values())])


def plan_text(plan: CoachPlan, names: Mapping[str, str]) -> str:
    """Every fact of a plan, labelled; a stale copy says how old it is so the agent can weigh it."""
    who = f"the {names.get(plan.coach, plan.coach)} coach ({plan.coach})"
    stale = (
        f"Note: the plan service is not answering, so this is the last copy we have, "
        f"fetched {_ago(plan.age_seconds)}; it may have changed since."
    )
    if plan.error is not None and not plan.stale:
        return could_not(f"the plan of {who}", plan.day, plan.error)
    if not plan.found:
        return f"No plan from {who} for {when(plan.day)}." + (f" {stale}" if plan.stale else "")
    lines = [f"Plan of {who} for {when(plan.day)}"]
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
