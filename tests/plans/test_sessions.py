""" "Today" is the current trading session, at every instant that has tripped us up.

Categories: which day `date=None`, `today`, `previous` and `yesterday` ask the
API for at pinned instants (weekend, Thanksgiving, the half day, before the
open, after a Monday holiday, DST switch days), freshness by session, and
the API's naive timestamps read in its zone. "Now" is pinned through the
client's `now=` seam; nothing here reads the machine's clock or zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest

from bot.plans import CoachPlanClient, SyncCoachPlanClient
from tests.conftest import FakeTime
from tests.contract_server import ContractServer

Make = Callable[..., CoachPlanClient]
NY = ZoneInfo("America/New_York")


def new_york(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=NY)


#: (name, New York wall time, today, previous)
INSTANTS = [
    ("saturday", "2026-11-28 12:00", "2026-11-27", "2026-11-25"),
    ("sunday", "2026-11-29 15:00", "2026-11-27", "2026-11-25"),
    ("thanksgiving", "2026-11-26 10:00", "2026-11-25", "2026-11-24"),
    ("half day", "2026-11-27 12:30", "2026-11-27", "2026-11-25"),
    ("monday before the open", "2026-11-30 07:00", "2026-11-30", "2026-11-27"),
    ("tuesday after a monday holiday", "2027-01-19 08:00", "2027-01-19", "2027-01-15"),
    ("spring forward, just before midnight", "2026-03-08 23:59", "2026-03-06", "2026-03-05"),
    ("spring forward, midnight after", "2026-03-09 00:00", "2026-03-09", "2026-03-06"),
    ("fall back, 01:30 the second time", "2026-11-01 01:30", "2026-10-30", "2026-10-29"),
    ("fall back, midnight after", "2026-11-02 00:00", "2026-11-02", "2026-10-30"),
]


@pytest.mark.parametrize(
    ("name", "now", "today", "previous"), INSTANTS, ids=[i[0] for i in INSTANTS]
)
async def test_day_words_ask_for_sessions(
    plan_server: ContractServer, make_client: Make, name: str, now: str, today: str, previous: str
) -> None:
    """No date and `today` ask for the current session; `previous`/`yesterday` the one before."""
    instant = new_york(now)
    if name == "fall back, 01:30 the second time":
        instant = instant.replace(fold=1)
    client = make_client(now=lambda: instant.astimezone(dt.UTC))
    assert client.today().isoformat() == today
    assert client.previous_session().isoformat() == previous
    await client.fetch_coach_plan("d")
    await client.fetch_coach_plan("i", "today")
    await client.fetch_coach_plan("s", "previous")
    await client.fetch_coach_plan("n", " Yesterday ")
    await client.fetch_all_coach_plans("previous")
    assert plan_server.dates_asked() == [today, today, previous, previous, previous]


async def test_a_closed_day_is_still_asked_for(
    plan_server: ContractServer, make_client: Make
) -> None:
    """Thanksgiving or a Sunday, named explicitly, goes to the API: a coach may post an outlook."""
    plan_server.add_plan("n", "2026-11-29", "Weekend outlook: CPI week ahead.")
    client = make_client(now=lambda: new_york("2026-11-29 15:00"))
    outlook = await client.fetch_coach_plan("n", "2026-11-29")
    thanksgiving = await client.fetch_coach_plan("d", dt.date(2026, 11, 26))
    assert outlook.found and outlook.plan.startswith("Weekend outlook")
    assert not thanksgiving.found and thanksgiving.error is None
    assert plan_server.dates_asked() == ["2026-11-29", "2026-11-26"]


async def test_freshness_follows_sessions(
    plan_server: ContractServer, make_client: Make, fake_time: FakeTime
) -> None:
    """Current session: cache_ttl for plans, short "no plan"; closed sessions: long, both."""
    sunday = new_york("2026-11-29 15:00")
    client = make_client(
        now=lambda: sunday + dt.timedelta(seconds=fake_time.t - 1000),
        cache_ttl_seconds=600,
        not_found_ttl_seconds=60,
        past_ttl_seconds=86_400,
        refresh_ahead_ratio=0,
    )
    plan_server.add_plan("d", "2026-11-27")  # the current session (Friday, half day)
    plan_server.add_plan("d", "2026-11-25")  # a closed session
    asks = [("d", "2026-11-27"), ("d", "2026-11-25"), ("i", "2026-11-27"), ("i", "2026-11-25")]
    for coach, day in asks:
        await client.fetch_coach_plan(coach, day)
    fake_time.advance(120)  # past the short "no plan" TTL only
    cached = {(c, d): (await client.fetch_coach_plan(c, d)).from_cache for c, d in asks}
    assert cached == {
        ("d", "2026-11-27"): True,
        ("d", "2026-11-25"): True,
        ("i", "2026-11-27"): False,  # the current session's "no plan" is asked again
        ("i", "2026-11-25"): True,  # a closed session's "no plan" will not change
    }
    fake_time.advance(600)  # past cache_ttl_seconds
    assert not (await client.fetch_coach_plan("d", "2026-11-27")).from_cache
    assert (await client.fetch_coach_plan("d", "2026-11-25")).from_cache


async def test_naive_timestamps_are_read_in_the_api_zone(
    plan_server: ContractServer, make_client: Make
) -> None:
    """08:31 from a New York API is 13:31 UTC in November; api_timezone changes the reading."""
    plan_server.add_plan("d", "2024-11-08", edited_at="2024-11-08T09:15:00")
    ny = await make_client().fetch_coach_plan("d", "2024-11-08")
    assert ny.created_at == dt.datetime(2024, 11, 8, 13, 31, 2, 118223, tzinfo=dt.UTC)
    assert ny.edited_at == dt.datetime(2024, 11, 8, 14, 15, tzinfo=dt.UTC)
    assert ny.to_dict()["created_at"] == "2024-11-08T08:31:02.118223-05:00"
    tokyo = await make_client(api_timezone="Asia/Tokyo").fetch_coach_plan("d", "2024-11-08")
    assert tokyo.created_at == dt.datetime(2024, 11, 7, 23, 31, 2, 118223, tzinfo=dt.UTC)


async def test_today_is_computed_once_per_market_day(make_client: Make) -> None:
    """The calendar is consulted when a New York midnight passes, not on every call."""
    calls = 0
    moment = new_york("2026-11-29 15:00")

    def now() -> dt.datetime:
        return moment

    client = make_client(now=now)
    calendar = client.calendar
    original = calendar.session_on_or_before

    def counting(day: dt.date) -> dt.date:
        nonlocal calls
        calls += 1
        return original(day)

    calendar.session_on_or_before = counting  # type: ignore[method-assign]
    try:
        for _ in range(100):
            client.today()
        moment = new_york("2026-11-30 00:00")
        for _ in range(100):
            client.today()
    finally:
        del calendar.session_on_or_before
    assert calls == 2


def test_the_sync_facade_speaks_the_same_day_words(threaded_plan_server: ContractServer) -> None:
    """Agents in plain threads: `today`, `previous` and hits by word on Thanksgiving."""
    threaded_plan_server.add_plan("d", "2026-11-25", "Pre-holiday plan.")
    thanksgiving = new_york("2026-11-26 10:00")
    with SyncCoachPlanClient(threaded_plan_server.url, now=lambda: thanksgiving) as client:
        assert client.client.today() == dt.date(2026, 11, 25)
        assert client.fetch_coach_plan("d").plan == "Pre-holiday plan."
        assert client.fetch_coach_plan("d", "today").from_cache  # the same key, a hit
        assert client.fetch_coach_plan("Coach_D", "previous").day == dt.date(2026, 11, 24)
        threaded_plan_server.add_plan("s", "2026-11-24", "Tuesday swing plan.")
        assert client.fetch_all_coach_plans("yesterday")["s"].day == dt.date(2026, 11, 24)
    assert threaded_plan_server.dates_asked() == ["2026-11-25", "2026-11-24", "2026-11-24"]
