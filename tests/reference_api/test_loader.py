"""Loading plans validates every row first and writes all of them or none.

Categories: a good load, each rejection reason (with the row's position), atomicity,
replacement on reload, and a second server on the same file seeing the load (WAL).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.reference_api import LoadError, load_plans, serve

from .conftest import plan_row


def _plan_count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        (count,) = conn.execute("SELECT COUNT(*) FROM plans").fetchone()
    conn.close()
    return int(count)


def test_load_writes_every_row(db_path: Path) -> None:
    """A valid batch is written and counted."""
    assert load_plans(db_path, [plan_row("d"), plan_row("i"), plan_row("s")]) == 3
    assert _plan_count(db_path) == 3


def test_bad_row_in_the_middle_writes_nothing(db_path: Path) -> None:
    """One bad row rejects the whole batch; earlier good rows are not kept."""
    load_plans(db_path, [plan_row("d", "2024-11-01")])
    rows = [plan_row("d"), plan_row("i", date="2024-13-01"), plan_row("s")]
    with pytest.raises(LoadError) as caught:
        load_plans(db_path, rows)
    assert caught.value.row == 2
    assert str(caught.value).startswith("row 2: 'date'")
    assert _plan_count(db_path) == 1


BAD_ROWS: list[tuple[Any, str]] = [
    ("not an object", "expected an object, got a string"),
    ({k: v for k, v in plan_row().items() if k != "author"}, "missing required key 'author'"),
    (plan_row(autor="typo"), "unknown key 'autor'"),
    (plan_row(coach="x"), "'coach' must be one of d, i, s, n, got 'x'"),
    (plan_row(date="20241108"), "'date' must be a YYYY-MM-DD string"),
    (plan_row(date="2024-02-30"), "'date' is not a calendar date"),
    (plan_row(plan="   "), "'plan' must be a non-empty string"),
    (plan_row(charts="https://a.example/x.png"), "'charts' must be a list of URLs"),
    (plan_row(charts=["javascript:alert(1)"]), "charts[0] must be an http(s) URL"),
    (plan_row(created_at="yesterday"), "'created_at' is not an ISO timestamp"),
    (plan_row(created_at="2024-11-08T08:00:00+00:00"), "must be naive time in the server's zone"),
    (plan_row(edited_at="2024-11-07T08:00:00"), "'edited_at' 2024-11-07T08:00:00.000000 is before"),
    (plan_row(channel=5), "'channel' must be a string or null, got int"),
    (plan_row(edits={"plan_text": "x"}), "'edits' must be a list, got an object"),
    (plan_row(edits=[{"plan_text": "x", "edited_by": "y"}]), "edits[0]: missing required key"),
    (
        plan_row(edits=[{"plan_text": "x", "edited_by": "y", "edited_at": "2024-11-01T00:00:00"}]),
        "edits[0]: 'edited_at' 2024-11-01T00:00:00.000000 is before 'created_at'",
    ),
    (plan_row(edits=[{"plan_text": "x", "edited_by": "", "at": 1}]), "edits[0]: unknown key 'at'"),
]


@pytest.mark.parametrize(("row", "reason"), BAD_ROWS)
def test_each_bad_row_is_reported_with_position_and_reason(
    db_path: Path, row: Any, reason: str
) -> None:
    """The message names the row (counted from 1) and what is wrong with it."""
    with pytest.raises(LoadError) as caught:
        load_plans(db_path, [plan_row("n"), row])
    assert caught.value.row == 2
    assert reason in caught.value.reason
    assert str(caught.value) == f"row 2: {caught.value.reason}"


def test_duplicate_coach_and_day_names_both_rows(db_path: Path) -> None:
    """Two plans for one coach and day in a file is an error pointing at both."""
    with pytest.raises(
        LoadError, match=r"row 3: coach 'd' already has a plan on 2024-11-08 \(row 1\)"
    ):
        load_plans(db_path, [plan_row("d"), plan_row("i"), plan_row("d")])


@pytest.mark.parametrize("rows", [{"coach": "d"}, "plans", 42])
def test_input_must_be_a_list(db_path: Path, rows: Any) -> None:
    """Anything but a list of objects is rejected as a whole, without a row number."""
    with pytest.raises(LoadError, match="expected a JSON list") as caught:
        load_plans(db_path, rows)
    assert caught.value.row is None


def test_reload_replaces_the_plan_for_that_coach_and_day(db_path: Path) -> None:
    """Loading a file twice is harmless: the later row replaces the earlier one."""
    load_plans(db_path, [plan_row("d", charts=["https://a.example/1.png"])])
    load_plans(db_path, [plan_row("d", plan="Updated plan.", charts=[])])
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT plan_text FROM plans").fetchall()
        charts = conn.execute("SELECT COUNT(*) FROM charts").fetchone()
    conn.close()
    assert rows == [("Updated plan.",)]
    assert charts == (0,)


def test_optional_keys_get_defaults(db_path: Path) -> None:
    """Without created_at, charts and channel a row still loads, stamped with now."""
    row = {"coach": "d", "date": "2024-11-08", "plan": "p", "author": "a"}
    assert load_plans(db_path, [row]) == 1
    with sqlite3.connect(db_path) as conn:
        created_at, channel = conn.execute("SELECT created_at, channel FROM plans").fetchone()
    conn.close()
    assert len(created_at) == len("2024-11-08T08:31:02.118223")
    assert channel is None


async def test_a_second_server_on_the_same_file_sees_a_load(
    db_path: Path, http: aiohttp.ClientSession
) -> None:
    """Two servers share one database file; a load through neither is visible to both."""
    async with serve(db_path) as first, serve(db_path) as second:
        load_plans(db_path, [plan_row("d")])
        for server in (first, second):
            async with http.get(f"{server.url}/api/coach-plans/?coach=d&date=2024-11-08") as r:
                assert (await r.json())["author"] == "coach_d_handle"


def test_documented_example_loads(db_path: Path) -> None:
    """The load example in docs/reference-api.md stays valid."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "reference-api.md").read_text("utf-8")
    example = doc.split("```json\n", 1)[1].split("```", 1)[0]
    assert load_plans(db_path, json.loads(example)) == 2


def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


UNSTORABLE_ROWS: list[tuple[Any, str]] = [
    (plan_row(plan="Entry 945\ud800"), "'plan' has a character that is not valid Unicode"),
    (plan_row(author="\udfff"), "'author' has a character"),
    (plan_row(channel="day-\ud83d"), "'channel' has a character"),
    (plan_row(charts=["https://cdn.example.com/\ud800.png"]), "charts[0] has a character"),
    (
        plan_row(edits=[{"plan_text": "\ud800", "edited_by": "y", "edited_at": "2024-11-09"}]),
        "edits[0]: 'plan_text' has a character",
    ),
]


@pytest.mark.parametrize(("row", "reason"), UNSTORABLE_ROWS)
def test_text_sqlite_cannot_store_is_a_row_error(db_path: Path, row: Any, reason: str) -> None:
    """A lone surrogate ("\\ud800" in JSON) is refused by row and field, not by the insert."""
    with pytest.raises(LoadError) as caught:
        load_plans(db_path, [plan_row("n"), row])
    assert caught.value.row == 2
    assert reason in caught.value.reason
    assert not db_path.exists()


HOSTILE_VALUES: dict[str, Any] = {
    "deep": _nested(100_000),
    "deep-in-object": {"a": _nested(100_000)},
    "huge-int": 10**5000,
    "long-list": [0] * 1_000_000,
}


@pytest.mark.parametrize("key", ["coach", "date", "plan", "author", "charts", "created_at"])
@pytest.mark.parametrize("kind", list(HOSTILE_VALUES))
def test_a_hostile_value_is_named_in_a_short_message(db_path: Path, key: str, kind: str) -> None:
    """Deep, huge or endless values give a short LoadError, never a RecursionError or a flood."""
    row = plan_row()
    row[key] = HOSTILE_VALUES[kind]
    with pytest.raises(LoadError) as caught:
        load_plans(db_path, [row])
    assert caught.value.row == 1
    assert len(str(caught.value)) < 300


@pytest.mark.parametrize("key", ["coach", "date", "created_at"])
def test_a_long_bad_string_is_cut_short_in_the_message(db_path: Path, key: str) -> None:
    """A 10 MB string where a short one belongs is quoted by its first characters only."""
    row = plan_row()
    row[key] = "9" * 10_000_000
    with pytest.raises(LoadError) as caught:
        load_plans(db_path, [row])
    assert len(str(caught.value)) < 300
