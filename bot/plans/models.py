"""Results of the plan client and the one place that knows the contract's quirks.

Every quirk of `shared/coach-plan-api.md` is parsed here (the 200 "No plan
available" form, the 200-with-`error` failure form, `coach_d` vs `d` keys on
/all, a missing `charts` list), so raw dicts never leave this module. Results
are frozen, slotted dataclasses holding tuples: a cached result can be handed
to any number of callers and none of them can change what the next one sees.

It stays one module past ~300 lines on purpose: the results, the parsing that
builds them and the `PlanError` family it raises are the contract's one
reading, and keeping every raw dict inside a single module is the point.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo

ErrorCategory = Literal["timeout", "unavailable", "bad_response", "rejected"]

#: How the API's own failure text starts (a 200 that is a failure), and how the seed's
#: client worded its fallback; ours keeps that sentence (see `fallback_text`).
ERROR_PLAN_PREFIX: Final = "Error retrieving plan"
ALL_KEY_PREFIX: Final = "coach_"
#: The deployed service's zone, in which its naive timestamps are written.
DEFAULT_API_ZONE: Final = ZoneInfo("America/New_York")


def fallback_text(coach: str, error: ErrorCategory) -> str:
    """A fallback's `plan`: the seed client's sentence plus the category, nothing upstream.

    The library returns categories and words no failure for people: the bot
    and the agent tools each do that once, for their own readers. This one
    sentence stays because code written for the seed's client prints or tests
    `plan["plan"]` ("Error retrieving plan for coach d"); it never holds the
    URL, the status or the API's text.
    """
    return f"{ERROR_PLAN_PREFIX} for coach {coach}: {error}"


class PlanError(Exception):
    """Base of the client's errors; attributes say what failed, messages never hold URLs."""

    def __init__(
        self,
        message: str,
        *,
        coach: str | None = None,
        day: dt.date | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.coach = coach
        self.day = day
        self.status = status


class InvalidInput(PlanError, ValueError):
    """The caller's coach or date is not acceptable; raised before any request."""


class PlanNotFound(PlanError):
    """The API answered, and there is no plan for this coach and day (strict mode only)."""


class PlanUnavailable(PlanError):
    """The API could not be reached or kept failing within the deadline.

    `by_deadline` is True when the call's deadline, not the API, ended the last attempt.
    """

    def __init__(
        self,
        message: str,
        *,
        category: ErrorCategory = "unavailable",
        by_deadline: bool = False,
        **kw: Any,
    ):
        super().__init__(message, **kw)
        self.category: ErrorCategory = category
        self.by_deadline = by_deadline


class BadResponse(PlanUnavailable):
    """The API answered with something that breaks the contract (type, JSON, size, shape)."""

    def __init__(self, message: str, **kw: Any) -> None:
        super().__init__(message, category="bad_response", **kw)


class Rejected(PlanUnavailable):
    """The API refused the request with a 4xx that retrying cannot fix."""

    def __init__(self, message: str, **kw: Any) -> None:
        super().__init__(message, category="rejected", **kw)


_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclasses.dataclass(frozen=True, slots=True)
class CoachPlan:
    """One coach's plan for one trading day, readable like the seed's dict.

    `found` is True only for a real plan; "no plan" has `found` False and
    `error` None; a fallback has `found` False and `error` set to a category.
    `from_cache`, `stale` and `fetched_at` say where the answer came from, as
    hishel tags its responses, so callers need not ask the cache.
    """

    coach: str
    day: dt.date
    plan: str
    charts: tuple[str, ...] = ()
    author: str | None = None
    #: Aware instants: the contract's naive stamps read in the API's zone (`api_timezone`).
    created_at: dt.datetime | None = None
    edited_at: dt.datetime | None = None
    channel: str | None = None
    found: bool = False
    error: ErrorCategory | None = None
    from_cache: bool = False
    stale: bool = False
    fetched_at: dt.datetime = _EPOCH

    # -- the seed's dict reading ---------------------------------------------------
    _KEYS = (
        "coach",
        "date",
        "plan",
        "charts",
        "author",
        "created_at",
        "edited_at",
        "channel",
        "found",
        "error",
        "from_cache",
        "stale",
        "fetched_at",
        "age_seconds",
    )

    def __getitem__(self, key: str) -> Any:
        if key not in self._KEYS:
            raise KeyError(key)
        return self.date if key == "date" else getattr(self, key)

    def __contains__(self, key: object) -> bool:
        return key in self._KEYS

    def __iter__(self) -> Iterator[str]:
        return iter(self._KEYS)

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self._KEYS else default

    def keys(self) -> tuple[str, ...]:
        return self._KEYS

    @property
    def date(self) -> str:
        """The trading day as `YYYY-MM-DD`, as the seed's callers passed it."""
        return self.day.isoformat()

    @property
    def age_seconds(self) -> float:
        """Seconds since the API gave us this answer, on the wall clock (0 for a fallback)."""
        return self.age_at(dt.datetime.now(dt.UTC))

    def age_at(self, now: dt.datetime) -> float:
        """Seconds between this answer's `fetched_at` and `now` (the client's own clock,
        which tests and the offline mode pin); 0 for a fallback that never came."""
        if self.fetched_at is _EPOCH:
            return 0.0
        return max(0.0, (now - self.fetched_at).total_seconds())

    def to_dict(self) -> dict[str, Any]:
        """A fresh JSON-ready dict; changing it changes nothing else."""
        out = {key: self[key] for key in self._KEYS}
        out["charts"] = list(self.charts)
        out["fetched_at"] = None if self.fetched_at is _EPOCH else self.fetched_at.isoformat()
        for key in ("created_at", "edited_at"):
            moment = getattr(self, key)
            out[key] = None if moment is None else moment.isoformat()
        return out

    def marked(self, *, from_cache: bool, stale: bool = False) -> CoachPlan:
        """This answer tagged as cached or stale (positional: several times faster than
        `dataclasses.replace`, and on every miss's path)."""
        return CoachPlan(
            self.coach, self.day, self.plan, self.charts, self.author, self.created_at,
            self.edited_at, self.channel, self.found, self.error, from_cache, stale,
            self.fetched_at,
        )  # fmt: skip

    # -- building ------------------------------------------------------------------
    @classmethod
    def fallback(cls, coach: str, day: dt.date, error: ErrorCategory) -> CoachPlan:
        """The answer when the API failed: `error` says why, no charts, never cached."""
        return cls(coach=coach, day=day, plan=fallback_text(coach, error), error=error)

    @classmethod
    def missing(cls, coach: str, day: dt.date, fetched_at: dt.datetime) -> CoachPlan:
        """The API's "no plan" answer, in our own words rather than its `coach_d` text."""
        text = f"No plan available for coach {coach} on {day.isoformat()}."
        return cls(coach=coach, day=day, plan=text, fetched_at=fetched_at)

    @classmethod
    def from_json(
        cls,
        body: object,
        coach: str,
        day: dt.date,
        fetched_at: dt.datetime,
        api_zone: dt.tzinfo = DEFAULT_API_ZONE,
    ) -> CoachPlan:
        """Parse one plan object of the contract; raise BadResponse for anything else.

        The contract's timestamps are naive, in the API's local time: `api_zone`
        makes them aware here, once, so nothing downstream guesses a zone.
        """
        if not isinstance(body, dict):
            raise BadResponse("the plan is not a JSON object", coach=coach, day=day)
        if "error" in body or _text(body, "plan", coach, day).startswith(ERROR_PLAN_PREFIX):
            raise BadResponse("the API reported an error inside a 200", coach=coach, day=day)
        if "author" not in body and "created_at" not in body:
            return cls.missing(coach, day, fetched_at)
        charts = body.get("charts")
        if charts is None:
            charts = []
        if not isinstance(charts, list) or not all(isinstance(c, str) for c in charts):
            raise BadResponse("`charts` is not a list of strings", coach=coach, day=day)
        return cls(
            coach=coach,
            day=day,
            plan=_text(body, "plan", coach, day),
            charts=tuple(charts),
            author=_optional_text(body, "author", coach, day),
            created_at=_timestamp(body, "created_at", coach, day, api_zone),
            edited_at=_timestamp(body, "edited_at", coach, day, api_zone),
            channel=_optional_text(body, "channel", coach, day),
            found=True,
            fetched_at=fetched_at,
        )


def parse_all(
    body: object,
    coaches: tuple[str, ...],
    day: dt.date,
    fetched_at: dt.datetime,
    api_zone: dt.tzinfo = DEFAULT_API_ZONE,
) -> dict[str, CoachPlan]:
    """Parse /all into `{coach_id: plan}` for the coaches that posted, as the API sent them.

    Keys lose the contract's `coach_` prefix (plain ids are accepted too), so
    the result is keyed like the rest of the client. A coach the
    configuration (`coaches`) does not list is kept: the API may know more
    coaches than we show, and `len()` counts the day's plans as the seed's
    client did. Who has not posted is for the reader to say, who knows the
    configured coaches. An entry in the "no plan" form is not a plan and is
    left out.

    A configured coach's entry must be a plan object (else BadResponse). Other
    keys are extra keys, ignored, unless they look like a plan (`coach_<id>`,
    or an object with a `plan`): an unlisted coach's entry that does not parse
    is dropped rather than failing the plans we do show.
    """
    if not isinstance(body, dict):
        raise BadResponse("the /all answer is not a JSON object", day=day)
    if "error" in body and not any(isinstance(v, dict) for v in body.values()):
        raise BadResponse("the API reported an error inside a 200", day=day)
    plans: dict[str, CoachPlan] = {}
    for key, value in body.items():
        coach = key.lower().removeprefix(ALL_KEY_PREFIX) if isinstance(key, str) else ""
        if coach in coaches:
            plan = CoachPlan.from_json(value, coach, day, fetched_at, api_zone)
        elif coach.isalnum() and (key.lower() != coach or _looks_like_plan(value)):
            try:
                plan = CoachPlan.from_json(value, coach, day, fetched_at, api_zone)
            except BadResponse:
                continue
        else:
            continue
        if plan.found:
            plans[coach] = plan
    return plans


def _looks_like_plan(value: object) -> bool:
    return isinstance(value, dict) and "plan" in value


def _text(body: dict[str, Any], key: str, coach: str, day: dt.date) -> str:
    value = body.get(key)
    if not isinstance(value, str):
        raise BadResponse(f"`{key}` is not a string", coach=coach, day=day)
    return value


def _optional_text(body: dict[str, Any], key: str, coach: str, day: dt.date) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise BadResponse(f"`{key}` is not a string or null", coach=coach, day=day)
    return value


def _timestamp(
    body: dict[str, Any], key: str, coach: str, day: dt.date, zone: dt.tzinfo
) -> dt.datetime | None:
    """An aware instant for a contract timestamp; a stamp that is not ISO 8601 is dropped.

    A bad stamp costs only the time shown, not the plan. One that carries an
    offset (not the contract's form, but unambiguous) keeps it.
    """
    text = _optional_text(body, key, coach, day)
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)
