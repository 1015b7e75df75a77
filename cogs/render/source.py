"""The footer line that says where an answer came from: live, cached (and how old), stale, none.

Ages are read on the client's clock (`client.now()`), which the offline mode pins.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from bot.plans import CoachPlan, ErrorCategory
from bot.plans.wording import ago


class Answer(Protocol):
    """What the footer reads of an answer: a `CoachPlan` or a `PlanHistory`."""

    @property
    def stale(self) -> bool: ...
    @property
    def error(self) -> ErrorCategory | None: ...
    @property
    def from_cache(self) -> bool: ...
    def age_at(self, now: dt.datetime) -> float: ...


def source_line(answer: Answer, now: dt.datetime | None = None) -> str:
    """Where one answer came from; `now` is the client's clock, the wall clock without it."""
    age = answer.age_at(dt.datetime.now(dt.UTC) if now is None else now)
    if answer.stale:
        return f"Stale copy fetched {ago(age)}: the plan service is not answering"
    if answer.error is not None:
        return "No answer from the plan service"
    if answer.from_cache:
        return f"From cache · fetched {ago(age)}"
    return "Live from the plan service"


def overall_source(plans: Sequence[CoachPlan], now: dt.datetime | None = None) -> str:
    """Where a reply made of several answers came from: its oldest or least fresh one."""
    if not plans:  # nobody posted: nothing says whether the answer was cached
        return "From the plan service"
    answered = [p for p in plans if p.error is None or p.stale]
    if not answered:
        return "No answer from the plan service"
    stale = [p for p in answered if p.stale]
    # The oldest answer is the one with the earliest fetch, whatever clock ages it.
    if stale:
        return source_line(min(stale, key=lambda p: p.fetched_at), now)
    if all(p.from_cache for p in answered):
        return source_line(min(answered, key=lambda p: p.fetched_at), now)
    return "Live from the plan service"
