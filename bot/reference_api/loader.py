"""Validate plan rows (from a JSON file or from code) before anything touches the database.

Every row is checked first and written in one transaction afterwards, so a bad row in
the middle of a file leaves the database as it was. Errors name the row (counted from
1, as a person reading the file counts) and the field, because the person fixing the
file needs both. Whatever a row holds, the answer is a `LoadError`: text SQLite cannot
store (a lone surrogate such as "\ud800") is refused here, and rejected values are
shown cut short, so a huge or deeply nested value cannot blow up the message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Final
from urllib.parse import urlsplit

from ._clock import DEFAULT_TIMEZONE, server_zone, wall_clock
from .db import NewEdit, NewPlan, PlanStore

# The deployed service's coaches (contract: "Coaches and dates"). The server keeps its
# own copy rather than importing the client's, so it stays a package of its own.
DEFAULT_COACHES: Final[tuple[str, ...]] = ("d", "i", "s", "n")
# How much of a rejected value an error message shows.
SHOWN_CHARS: Final = 60

_DATE_RE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PLAN_KEYS: Final = frozenset(
    {"coach", "date", "plan", "charts", "author", "created_at", "edited_at", "channel", "edits"}
)
_REQUIRED_KEYS: Final = ("coach", "date", "plan", "author")
_EDIT_KEYS: Final = frozenset({"plan_text", "edited_by", "edited_at"})


class LoadError(ValueError):
    """A plan row was rejected; nothing from the batch was written.

    Attributes:
        row: position of the bad row, counted from 1; None when the input as a whole
            is wrong (not a list).
        reason: what is wrong with it, naming the field.
    """

    def __init__(self, row: int | None, reason: str) -> None:
        self.row = row
        self.reason = reason
        super().__init__(reason if row is None else f"row {row}: {reason}")


def now_iso(timezone: str = DEFAULT_TIMEZONE) -> str:
    """Now as naive wall time in the server's zone, with microseconds: the contract's format.

    Never the machine's zone: a row loaded in CI (UTC) would otherwise be stamped
    hours away from one the running server stamps.
    """
    return wall_clock(server_zone(timezone))().isoformat(timespec="microseconds")


def validate_rows(
    rows: object,
    *,
    coaches: Sequence[str] = DEFAULT_COACHES,
    default_created_at: str | None = None,
    timezone: str = DEFAULT_TIMEZONE,
) -> list[NewPlan]:
    """Turn raw rows into plans or raise `LoadError` for the first bad one.

    A row without `created_at` gets `default_created_at`, else now in `timezone`.
    """
    if isinstance(rows, str | bytes | Mapping) or not isinstance(rows, Iterable):
        raise LoadError(None, "expected a JSON list of plan objects")
    created_default = default_created_at or now_iso(timezone)
    plans: list[NewPlan] = []
    seen: dict[tuple[str, str], int] = {}
    for number, raw in enumerate(rows, start=1):
        try:
            plan = _plan(raw, coaches, created_default)
        except (ValueError, TypeError, RecursionError) as exc:
            raise LoadError(number, str(exc) or type(exc).__name__) from None
        key = (plan.coach, plan.date)
        if key in seen:
            raise LoadError(
                number, f"coach {plan.coach!r} already has a plan on {plan.date} (row {seen[key]})"
            )
        seen[key] = number
        plans.append(plan)
    return plans


def load_plans(
    db_path: str | os.PathLike[str],
    rows: Iterable[Mapping[str, Any]] | object,
    *,
    coaches: Sequence[str] = DEFAULT_COACHES,
    timezone: str = DEFAULT_TIMEZONE,
) -> int:
    """Validate every row, then write them all in one transaction; returns the count.

    A plan for a coach and day already in the database is replaced, so loading the same
    file twice is harmless. Rows without `created_at` are stamped now in `timezone`, the
    server's zone. Blocking: from a running event loop use `asyncio.to_thread`.
    """
    plans = validate_rows(rows, coaches=coaches, timezone=timezone)
    store = PlanStore(db_path)
    store.initialize()
    return store.replace_plans(plans)


def _plan(raw: object, coaches: Sequence[str], created_default: str) -> NewPlan:
    if not isinstance(raw, Mapping):
        raise ValueError(f"expected an object, got {_kind(raw)}")
    unknown = sorted(str(key) for key in raw if key not in _PLAN_KEYS)
    if unknown:
        raise ValueError(
            f"unknown key {_shown(unknown[0])} (allowed: {', '.join(sorted(_PLAN_KEYS))})"
        )
    for key in _REQUIRED_KEYS:
        if key not in raw:
            raise ValueError(f"missing required key {key!r}")
    coach = raw["coach"]
    if not isinstance(coach, str) or coach not in coaches:
        raise ValueError(f"'coach' must be one of {', '.join(coaches)}, got {_shown(coach)}")
    day = _day(raw["date"])
    text = _text(raw, "plan")
    author = _text(raw, "author")
    charts = _charts(raw.get("charts"))
    channel = _optional_text(raw, "channel")
    created_at = _timestamp(raw, "created_at", optional=True) or created_default
    edited_at = _timestamp(raw, "edited_at", optional=True)
    if edited_at is not None and edited_at < created_at:
        raise ValueError(f"'edited_at' {edited_at} is before 'created_at' {created_at}")
    edits = tuple(_edits(raw.get("edits"), created_at))
    if edited_at is None and edits:
        edited_at = max(edit.edited_at for edit in edits)
    return NewPlan(
        coach=str(coach),
        date=day,
        plan=text,
        author=author,
        created_at=created_at,
        charts=charts,
        edited_at=edited_at,
        channel=channel,
        edits=edits,
    )


def _edits(raw: object, created_at: str) -> list[NewEdit]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValueError(f"'edits' must be a list, got {_kind(raw)}")
    edits: list[NewEdit] = []
    for index, item in enumerate(raw):
        where = f"edits[{index}]"
        if not isinstance(item, Mapping):
            raise ValueError(f"{where} must be an object, got {_kind(item)}")
        unknown = sorted(str(key) for key in item if key not in _EDIT_KEYS)
        if unknown:
            raise ValueError(f"{where}: unknown key {_shown(unknown[0])}")
        try:
            edited_at = _timestamp(item, "edited_at", optional=False)
            edit = NewEdit(
                plan_text=_text(item, "plan_text"),
                edited_by=_text(item, "edited_by"),
                edited_at=str(edited_at),
            )
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        if edit.edited_at < created_at:
            raise ValueError(f"{where}: 'edited_at' {edit.edited_at} is before 'created_at'")
        edits.append(edit)
    return edits


def _day(raw: object) -> str:
    if not isinstance(raw, str) or not _DATE_RE.fullmatch(raw):
        raise ValueError(f"'date' must be a YYYY-MM-DD string, got {_shown(raw)}")
    try:
        date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"'date' is not a calendar date: {_shown(raw)}") from None
    return raw


def _timestamp(raw: Mapping[str, Any], key: str, *, optional: bool) -> str | None:
    value = raw.get(key)
    if value is None:
        if optional:
            return None
        raise ValueError(f"missing required key {key!r}")
    if not isinstance(value, str):
        raise ValueError(f"{key!r} must be an ISO timestamp string, got {_kind(value)}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{key!r} is not an ISO timestamp: {_shown(value)}") from None
    if parsed.tzinfo is not None:
        # The contract's timestamps are naive wall time in the server's zone; guessing a
        # conversion would silently shift plans across days.
        raise ValueError(
            f"{key!r} must be naive time in the server's zone, without a UTC offset: "
            f"{_shown(value)}"
        )
    return parsed.isoformat(timespec="microseconds")


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key!r} must be a non-empty string, got {_shown(value)}")
    return _storable(repr(key), value)


def _optional_text(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key!r} must be a string or null, got {_kind(value)}")
    return _storable(repr(key), value)


def _storable(where: str, value: str) -> str:
    """`value`, if it is text SQLite can store: UTF-8 has no encoding for lone surrogates.

    JSON's "\ud800" escape decodes to one, and only the insert would notice.
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"{where} has a character that is not valid Unicode text "
            f"({value[exc.start]!r} at position {exc.start})"
        ) from None
    return value


def _charts(raw: object) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ValueError(f"'charts' must be a list of URLs, got {_kind(raw)}")
    for index, url in enumerate(raw):
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"charts[{index}] must be an http(s) URL, got {_shown(url)}")
        _storable(f"charts[{index}]", url)
    return tuple(raw)


def _shown(value: object) -> str:
    """A rejected value for a message: a string cut to `SHOWN_CHARS`, anything else its kind.

    Never the repr of a whole list or object, which may be huge or nested too deep to print.
    """
    if isinstance(value, str):
        shown = repr(value[:SHOWN_CHARS])
        return shown if len(value) <= SHOWN_CHARS else f"{shown}..."
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int | float) and abs(value) < 1e18:  # a huge int has no repr
        return repr(value)
    return _kind(value)


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", type(None): "null"}.get(
        type(value), type(value).__name__
    )
