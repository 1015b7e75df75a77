"""Plans, histories and failures as the sentences an agent puts into its prompt; no I/O here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Final
from zoneinfo import ZoneInfo

from .. import inputs, market
from ..client import CoachPlanClient
from ..history import PlanHistory, PlanVersion, versions
from ..market import MarketCalendar
from ..models import CoachPlan, ErrorCategory
from ..worddiff import word_diff
from ..wording import ago, plural

#: How long the word diff of one edit may be, in characters, in an agent's answer.
HISTORY_DIFF_CHARS: Final = 600

#: The answer of a call whose client `configure()`/`reset()` closed under it.
REPLACED_TEXT: Final = "The plan client was shut down or replaced while answering. Ask again."

#: The tools' one wording of each failure category the client returns (the bot has its own).
_WHY: Final[Mapping[ErrorCategory, str]] = {
    "timeout": "the plan service did not answer in time",
    "unavailable": "the plan service is unavailable right now",
    "bad_response": "the plan service sent an answer that could not be read",
    "rejected": "the plan service refused the request",
}


def with_today_note(client: CoachPlanClient, date: object, text: str) -> str:
    """Prefix "markets are closed today" when the question was about today on a closed day."""
    if not _means_today(date):
        return text
    note = market.closed_today_note(client.calendar, client.now())
    return f"{note}\n\n{text}" if note else text


def _means_today(date: object) -> bool:
    if date is None:
        return True
    return isinstance(date, str) and date.strip().casefold() in inputs.TODAY_WORDS | {""}


def could_not(what: str, calendar: MarketCalendar, day: dt.date, error: ErrorCategory) -> str:
    """A failure without the URL or upstream text, so the LLM has no address to echo."""
    return (
        f"Could not get {what} for {when(calendar, day)}: {_WHY[error]}. "
        "Try again in a few minutes."
    )


def choices(names: Mapping[str, str]) -> str:
    return ", ".join(f"{cid} ({name})" for cid, name in names.items())


def when(calendar: MarketCalendar, day: dt.date) -> str:
    return market.day_label(calendar, day)


def plans_text(
    day: dt.date, plans: Mapping[str, CoachPlan], names: Mapping[str, str], client: CoachPlanClient
) -> str:
    """A count first, then a section per configured coach; stale copies count as answered.

    `plans` is `fetch_all_coach_plans`'s answer: a configured coach without an
    entry has not posted; a coach the configuration does not list is not shown.
    """
    calendar = client.calendar
    every = [plans.get(cid) or CoachPlan.missing(cid, day, client.now()) for cid in client.coaches]
    down = [p.error for p in every if p.error is not None and not p.stale]
    if len(down) == len(every):
        return could_not("the coach plans", calendar, day, down[0])
    posted = sum(p.found for p in every)
    coaches = plural(len(every), "coach", "coaches")
    head = f"Coach plans for {when(calendar, day)}: {posted} of {coaches} posted a plan"
    head += f"; {len(down)} could not be checked." if down else "."
    closed = market.closed_day_note(calendar, day)
    if closed and not posted:
        head += f" {closed}"
    return "\n\n".join([head, *(plan_text(p, names, client) for p in every)])


def plan_text(plan: CoachPlan, names: Mapping[str, str], client: CoachPlanClient) -> str:
    """Every fact of a plan, labelled; a stale copy says how old it is so the agent can weigh it."""
    calendar = client.calendar
    who = f"the {names.get(plan.coach, plan.coach)} coach ({plan.coach})"
    stale = (
        f"Note: the plan service is not answering, so this is the last copy we have, "
        f"fetched {ago(plan.age_at(client.now()))}; it may have changed since."
    )
    if plan.error is not None and not plan.stale:
        return could_not(f"the plan of {who}", calendar, plan.day, plan.error)
    if not plan.found:
        closed = market.closed_day_note(calendar, plan.day)
        text = f"No plan from {who} for {when(calendar, plan.day)}."
        if closed:
            text = f"{closed} No plan from {who} for that day."
        return text + (f" {stale}" if plan.stale else "")
    lines = [f"Plan of {who} for {when(calendar, plan.day)}"]
    if plan.stale:
        lines.append(stale)
    lines.append(f"Author: {plan.author or 'unknown'}")
    zone = ZoneInfo(client.timezone)
    if plan.created_at:
        edited = f"; edited {_time(plan.edited_at, zone)}" if plan.edited_at else ""
        lines.append(f"Posted: {_time(plan.created_at, zone)}{edited} ({client.timezone} time)")
    lines += ["Plan:", plan.plan.strip()]
    if plan.charts:
        lines += [f"Charts ({len(plan.charts)}):", *(f"- {url}" for url in plan.charts)]
    else:
        lines.append("Charts: none")
    return "\n".join(lines)


def history_text(
    history: PlanHistory,
    plan: CoachPlan | None,
    names: Mapping[str, str],
    client: CoachPlanClient,
) -> str:
    """A plan's edits, newest first: who, when, and the words each changed, then the first text.

    `plan` is the same coach and day's plan, asked for after the history
    (None when the history failed): the newest edit made its text.
    """
    calendar = client.calendar
    who = f"the {names.get(history.coach, history.coach)} coach ({history.coach})"
    if history.error is not None and not history.stale:
        return could_not(f"the edit history of the plan of {who}", calendar, history.day,
                         history.error)  # fmt: skip
    stale = (
        f" Note: the plan service is not answering, so this is the last copy we have, "
        f"fetched {ago(history.age_at(client.now()))}; it may have changed since."
        if history.stale
        else ""
    )
    day = when(calendar, history.day)
    if not history:
        if plan is not None and not plan.found and plan.error is None:
            return f"No plan from {who} for {day}, so there is no edit history.{stale}"
        return f"The plan of {who} for {day} has not been edited.{stale}"
    zone = ZoneInfo(client.timezone)
    lines = [
        f"Edit history of the plan of {who} for {day}: {plural(len(history), 'edit')}, "
        f"newest first ({client.timezone} time). In each, removed words are in ~~ ~~ and "
        f"added words in ** **.{stale}"
    ]
    *edits, first = versions(plan, history)
    lines += [f"Edit {v.number} by {_by(v)}, {_when(v, zone)}: {_changes(v)}" for v in edits]
    lines.append(f"First posted by {_by(first)}, {_when(first, zone)}:")
    lines.append((first.text or "").strip())
    return "\n".join(lines)


def _by(version: PlanVersion) -> str:
    return version.by or "unknown"


def _when(version: PlanVersion, zone: ZoneInfo) -> str:
    return _time(version.at, zone) if version.at else "at an unknown time"


def _changes(version: PlanVersion) -> str:
    if version.text is None:
        return "what it changed is unknown: the current plan could not be fetched."
    diff = word_diff(version.before or "", version.text, limit=HISTORY_DIFF_CHARS)
    return diff or "it changed only spacing or line breaks."


def _time(moment: dt.datetime, zone: ZoneInfo) -> str:
    """To the minute, with the zone's abbreviation (EST, EDT), in the zone answers use."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
