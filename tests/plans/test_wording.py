"""Counts and durations as words: one plural rule, one duration style, the same everywhere.

Categories: `plural`; `duration` and `ago`; the three readers of an age (the
bot's footer, the tools' stale note, the offline terminal's Discord
timestamps) saying the same words for the same age.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest

from bot.offline.terminal import readable_timestamps
from bot.plans import CoachPlanClient
from bot.plans.tools import COACH_NAMES
from bot.plans.tools._text import plan_text
from bot.plans.wording import ago, duration, plural
from cogs.render import source
from tests.conftest import TODAY, FakeTime
from tests.contract_server import ContractServer


# -- plural ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("count", "words", "text"),
    [
        (1, ("request",), "1 request"),
        (0, ("request",), "0 requests"),
        (2, ("call",), "2 calls"),
        (1, ("plan",), "1 plan"),
        (1, ("entry", "entries"), "1 entry"),
        (3, ("entry", "entries"), "3 entries"),
        (1, ("coach", "coaches"), "1 coach"),
        (4, ("coach", "coaches"), "4 coaches"),
    ],
)
def test_plural_agrees_with_the_count(count: int, words: tuple[str, ...], text: str) -> None:
    """ "1 request", never "1 requests"; irregular plurals are given, not guessed."""
    assert plural(count, *words) == text


# -- duration and ago -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 seconds"),
        (1, "1 second"),
        (59.9, "59 seconds"),
        (60, "1 minute"),
        (3599, "59 minutes"),
        (3600, "1 hour"),
        (3900, "1 hour"),
        (86399, "23 hours"),
        (86400 * 3, "3 days"),
        (-5, "0 seconds"),
        (float("nan"), "0 seconds"),
    ],
)
def test_duration_is_the_largest_whole_unit(seconds: float, text: str) -> None:
    """As Discord's relative timestamps read: one unit, rounded down, spelled out."""
    assert duration(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "just now"),
        (0.9, "just now"),
        (-0.5, "just now"),
        (1, "1 second ago"),
        (120, "2 minutes ago"),
        (-7200, "in 2 hours"),
        (-86400, "in 1 day"),
    ],
)
def test_ago_reads_both_ways(seconds: float, text: str) -> None:
    assert ago(seconds) == text


# -- one formatter, three readers ----------------------------------------------------
@pytest.mark.parametrize(
    ("age", "words"),
    [
        (0, "just now"),
        (59, "59 seconds ago"),
        (60, "1 minute ago"),
        (12 * 60, "12 minutes ago"),
        (7260, "2 hours ago"),
        (3 * 86400 + 5, "3 days ago"),
    ],
)
async def test_bot_tools_and_terminal_say_the_same_age(
    plan_server: ContractServer,
    make_client: Callable[..., CoachPlanClient],
    fake_time: FakeTime,
    age: float,
    words: str,
) -> None:
    """A stale copy's age reads the same in /plan's footer, the tools' note and the offline
    terminal (which renders Discord's `<t:…:R>`), all on the client's clock."""
    plan_server.add_plan("d", TODAY)
    client = make_client()
    fetched = await client.fetch_coach_plan("d", TODAY)
    fake_time.advance(age)
    stale = fetched.marked(from_cache=True, stale=True)
    now = client.now()
    stamp = f"<t:{int(fetched.fetched_at.timestamp())}:R>"

    footer = source.source_line(stale, now)
    note = plan_text(stale, COACH_NAMES, client).splitlines()[1]
    terminal = readable_timestamps(stamp, ZoneInfo("America/New_York"), now)

    assert footer == f"Stale copy fetched {words}: the plan service is not answering"
    assert f"fetched {words};" in note
    assert terminal == words
    assert fetched.fetched_at == now - dt.timedelta(seconds=age)
