"""A plan's edit history: the contract's history endpoint read as results, and its versions.

`GET api/coach-plans/history?coach=&date=` lists a plan's edits newest first
(`[]` when it has none), each `{plan_text, edited_by, edited_at}` plus keys we
ignore. `plan_text` is the text the edit *replaced*: the reference API stores
each edit as the version it superseded (docs/reference-api.md, `edits`), so
the text an edit made is the next newer edit's `plan_text`, or, for the
newest, the plan's own text. `versions()` pairs them up.

Here: the results (`PlanEdit`, `PlanHistory`), the one reading of the
endpoint's body (`PlanHistory.from_json`) and the versions. How histories are
cached and loaded is `history_loads.py`'s.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any, Final, overload

from .models import (
    BadResponse,
    CoachPlan,
    ErrorCategory,
    # The contract's one reading of text and timestamps, shared with the plan parser.
    _optional_text,
    _text,
    _timestamp,
)

_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclasses.dataclass(frozen=True, slots=True)
class PlanEdit:
    """One edit of a plan: the text it replaced, who made it and when (aware, or None)."""

    plan_text: str
    edited_by: str | None = None
    edited_at: dt.datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        at = None if self.edited_at is None else self.edited_at.isoformat()
        return {"plan_text": self.plan_text, "edited_by": self.edited_by, "edited_at": at}


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class PlanHistory(Sequence[PlanEdit]):
    """A plan's edits, newest first: a sequence, empty (and equal to `[]`) when there are none.

    Tagged like `CoachPlan`: `error` is set on a fallback (the API failed and
    no copy was kept; there are then no edits to show, which is not "none"),
    `stale` on the last good answer served because the API failed.
    """

    coach: str
    day: dt.date
    edits: tuple[PlanEdit, ...] = ()
    error: ErrorCategory | None = None
    from_cache: bool = False
    stale: bool = False
    fetched_at: dt.datetime = _EPOCH

    # -- a sequence of edits ---------------------------------------------------------
    def __len__(self) -> int:
        return len(self.edits)

    @overload
    def __getitem__(self, index: int) -> PlanEdit: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[PlanEdit, ...]: ...
    def __getitem__(self, index: int | slice) -> PlanEdit | tuple[PlanEdit, ...]:
        return self.edits[index]

    def __iter__(self) -> Iterator[PlanEdit]:
        return iter(self.edits)

    def __eq__(self, other: object) -> bool:
        """Equal to a list or tuple of the same edits (`[]` when none), as the contract reads."""
        if isinstance(other, list | tuple):
            return list(self.edits) == list(other)
        if isinstance(other, PlanHistory):
            return self._fields() == other._fields()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._fields())

    def _fields(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self))

    # -- reading -----------------------------------------------------------------------
    @property
    def date(self) -> str:
        return self.day.isoformat()

    def age_at(self, now: dt.datetime) -> float:
        """Seconds between `fetched_at` and `now` (0 for a fallback that never came)."""
        if self.fetched_at is _EPOCH:
            return 0.0
        return max(0.0, (now - self.fetched_at).total_seconds())

    def to_dict(self) -> dict[str, Any]:
        """A fresh JSON-ready dict: the edits under `history`, as the contract names them."""
        return {
            "coach": self.coach,
            "date": self.date,
            "history": [edit.to_dict() for edit in self.edits],
            "error": self.error,
            "from_cache": self.from_cache,
            "stale": self.stale,
            "fetched_at": None if self.fetched_at is _EPOCH else self.fetched_at.isoformat(),
        }

    def marked(self, *, from_cache: bool, stale: bool = False) -> PlanHistory:
        return dataclasses.replace(self, from_cache=from_cache, stale=stale)

    # -- building ----------------------------------------------------------------------
    @classmethod
    def fallback(cls, coach: str, day: dt.date, error: ErrorCategory) -> PlanHistory:
        """The answer when the API failed and no copy was kept: no edits, `error` says why."""
        return cls(coach=coach, day=day, error=error)

    @classmethod
    def from_json(
        cls,
        body: object,
        coach: str,
        day: dt.date,
        fetched_at: dt.datetime,
        api_zone: dt.tzinfo,
    ) -> PlanHistory:
        """Parse the history answer; BadResponse for anything but the contract's shape.

        An `error` key on a 200 is a failure, as on the plan endpoint. Rows keep
        the API's order (newest first); extra keys in them are ignored, and a
        stamp that is not ISO 8601 costs only the time shown, as in a plan.
        """
        if not isinstance(body, dict):
            raise BadResponse("the history is not a JSON object", coach=coach, day=day)
        if "error" in body:
            raise BadResponse("the API reported an error inside a 200", coach=coach, day=day)
        rows = body.get("history")
        if not isinstance(rows, list):
            raise BadResponse("`history` is not a list", coach=coach, day=day)
        edits = []
        for row in rows:
            if not isinstance(row, dict):
                raise BadResponse("a history entry is not an object", coach=coach, day=day)
            edits.append(
                PlanEdit(
                    plan_text=_text(row, "plan_text", coach, day),
                    edited_by=_optional_text(row, "edited_by", coach, day),
                    edited_at=_timestamp(row, "edited_at", coach, day, api_zone),
                )
            )
        return cls(coach=coach, day=day, edits=tuple(edits), fetched_at=fetched_at)


@dataclasses.dataclass(frozen=True, slots=True)
class PlanVersion:
    """One version of a plan's text: as first posted (`number` 0) or as edit `number` left it.

    `text` is None when it is not known: the newest version is the plan's own
    text, which a failed plan fetch does not give. `before` is the version it
    replaced (None for the first); `by` and `at` who made it and when.
    """

    number: int
    text: str | None
    before: str | None
    by: str | None
    at: dt.datetime | None


def versions(plan: CoachPlan | None, history: Sequence[PlanEdit]) -> list[PlanVersion]:
    """Every version of a plan, newest first: one per edit, then the plan as first posted.

    `plan` is the same coach and day's `fetch_coach_plan` answer, asked for
    after the history (see `PlanHistories`): it holds the current text (what
    the newest edit made), the author and the posting time. Without it (None,
    a failure, or a copy older than the newest edit: `predates`) the newest
    version's text is unknown.
    """
    known = plan is not None and plan.found and not predates(plan, history)
    current = plan.plan if plan is not None and known else None
    count = len(history)
    out = [
        PlanVersion(
            number=count - i,
            text=current if i == 0 else history[i - 1].plan_text,
            before=edit.plan_text,
            by=edit.edited_by,
            at=edit.edited_at,
        )
        for i, edit in enumerate(history)
    ]
    first = history[-1].plan_text if history else current
    author, posted = (None, None) if plan is None else (plan.author, plan.created_at)
    out.append(PlanVersion(0, first, None, author, posted))
    return out


def predates(plan: CoachPlan, history: Sequence[PlanEdit]) -> bool:
    """Whether `plan` is a copy from before the newest edit in `history`.

    A cached plan lives up to `cache_ttl_seconds`; an edit since then makes a
    history newer than it, and the pair would show the newest edit as changing
    nothing. "No plan" with edits, or a plan with no edit time or an older one,
    is such a copy.
    """
    if not history:
        return False
    newest = history[0].edited_at
    if not plan.found or plan.edited_at is None:
        return True
    return newest is not None and plan.edited_at < newest
