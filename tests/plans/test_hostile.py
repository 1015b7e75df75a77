"""Promises under hostile answers, races and misuse: never crash the caller, clears clear.

Categories: bodies (decoded size limit, memory, deep JSON through every entry
point, unencodable text), headers (Retry-After), constructor values, life after
close(), clears racing loads, one answer per key, joiners' deadlines, and the
blocking facade across fork and interpreter exit. Each fails on the code before
the fix for its class (see the reliability doc's "Beyond single calls").
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from bot.plans import BadResponse, CoachPlanClient, SyncCoachPlanClient
from bot.plans.cli import main as cli_main
from bot.plans.retry import parse_retry_after
from tests.conftest import TODAY, FakeTime
from tests.contract_server import ContractServer, Fault
from tests.loop_time import LoopClock, finished

Make = Callable[..., CoachPlanClient]
MIB = 1 << 20


# -- bodies ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("encoding", "chunked"), [("gzip", False), ("gzip", True), ("deflate", False)]
)
async def test_the_body_limit_holds_on_decoded_bytes_and_memory_stays_bounded(
    plan_server: ContractServer, make_client: Make, encoding: str, chunked: bool
) -> None:
    """Three 256 MiB bombs at once: bad_response each, and far less than 256 MiB held."""
    plan_server.faults.append(
        Fault("bomb", size=256 * MIB, encoding=encoding, chunked=chunked, times=3)
    )
    client = make_client(timeout=30)
    tracemalloc.start()
    try:
        plans = await asyncio.gather(
            *(client.fetch_coach_plan(coach, TODAY) for coach in ("d", "i", "s"))
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [p.error for p in plans] == ["bad_response"] * 3
    assert peak < 3 * 16 * MIB  # the 1 MiB cap plus aiohttp's buffers, per request
    assert client.get_metrics()["api"]["errors"] == 3


async def test_deep_json_is_bad_response_everywhere_with_stale_copy_and_counts(
    plan_server: ContractServer, make_client: Make, fake_time: FakeTime
) -> None:
    """Nesting past Python's recursion limit: no RecursionError from any entry point."""
    plan_server.add_plan("d", TODAY, "the good copy")
    client = make_client(cache_ttl_seconds=60, refresh_ahead_ratio=0, breaker_failures=1000)
    await client.fetch_coach_plan("d", TODAY)
    fake_time.advance(61)
    plan_server.faults.append(Fault("deep_json", size=100_000, times=99))

    stale = await client.fetch_coach_plan("d", TODAY)
    fallback = await client.fetch_coach_plan("i", TODAY)
    every = await client.fetch_all_coach_plans("2024-11-07")
    health = await client.check_health()
    metrics = await client.get_server_metrics()

    assert stale.stale and stale.plan == "the good copy"
    assert fallback.error == "bad_response"
    assert {p.error for p in every.values()} == {"bad_response"}
    assert health["healthy"] is False and health["error"] == "bad_response"
    assert metrics == {"error": "bad_response"}
    counted = client.get_metrics()
    assert counted["requests"]["stale_served"] == 1 and counted["api"]["errors"] >= 3
    assert client.breaker.snapshot()["consecutive_failures"] >= 3
    strict = make_client(strict=True)
    with pytest.raises(BadResponse):
        await strict.fetch_coach_plan("s", TODAY)


def test_deep_json_through_the_facade_the_tools_and_the_cli(
    threaded_plan_server: ContractServer, capsys: pytest.CaptureFixture[str]
) -> None:
    threaded_plan_server.faults.append(Fault("deep_json", size=100_000, times=99))
    url = threaded_plan_server.url
    with SyncCoachPlanClient(url, max_retries=1) as client:
        assert client.fetch_coach_plan("d", TODAY).error == "bad_response"
        assert client.check_health()["error"] == "bad_response"
    assert cli_main(["--api", url, "plan", "d", TODAY]) == 1
    assert cli_main(["--api", url, "metrics"]) == 1
    out = capsys.readouterr()
    assert "could not be read" in out.out and "Traceback" not in out.err


async def test_unencodable_text_is_repaired_before_it_is_cached(
    plan_server: ContractServer, make_client: Make
) -> None:
    """Lone surrogates become U+FFFD on the way in: Discord, the CLI and JSON all accept it."""
    plan_server.add_plan("d", TODAY, "NVDA")
    plan_server.faults.append(Fault("surrogates", times=1))
    client = make_client()
    first = await client.fetch_coach_plan("d", TODAY)
    cached = await client.fetch_coach_plan("d", TODAY)
    for plan in (first, cached):
        assert plan.plan == "\ufffdNVDA\ufffd" and plan.charts[0].encode("utf-8")
        json.dumps(plan.to_dict(), ensure_ascii=False).encode("utf-8")
    assert cached.from_cache


# -- headers -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "value", ["²", "٣", "1e3", "-5", "3.5", "０", "", "Mon, 99 Foo 2024", "x" * 500, "\udcff"]
)
def test_a_retry_after_that_is_not_ascii_digits_or_a_date_is_ignored(value: str) -> None:
    assert parse_retry_after({"Retry-After": value}) is None


def test_retry_after_digits_are_capped_however_long() -> None:
    assert parse_retry_after({"Retry-After": "9" * 5000}) == 3600.0


# -- constructor values ------------------------------------------------------------
@pytest.mark.parametrize(
    ("keyword", "value"),
    [
        ("deadline_seconds", math.nan),
        ("breaker_cooldown_seconds", math.nan),
        ("timeout", math.inf),
        ("cache_ttl_seconds", -1.0),
        ("stale_ttl_seconds", math.nan),
        ("wait_initial", math.nan),
        ("wait_max", -0.5),
        ("wait_exp_base", math.inf),
        ("refresh_ahead_ratio", math.nan),
        ("max_retries", True),
        ("max_cache_size", 2.5),
        ("max_concurrency", 0),
        ("max_body_bytes", -1),
        ("coaches", ["d", "d"]),
        ("coaches", ["d", "x/y"]),
        ("api_base_url", "http://127.0.0.1:5000/?x=1"),
        ("api_base_url", "http://127.0.0.1:5000/#frag"),
        ("api_base_url", "ftp://example.com"),
    ],
)
def test_constructor_values_get_the_environments_checks(keyword: str, value: object) -> None:
    """The same rules as PLANS_*: the message names the keyword and what it expects."""
    options: dict[str, Any] = {keyword: value}
    url = options.pop("api_base_url", "http://127.0.0.1:5000")
    with pytest.raises(ValueError, match=f"^{keyword} must be "):
        CoachPlanClient(url, **options)


# -- after close ---------------------------------------------------------------------
async def test_after_close_there_is_no_io_and_every_call_says_closed(
    plan_server: ContractServer,
) -> None:
    client = CoachPlanClient(plan_server.url)
    await client.fetch_coach_plan("d", TODAY)
    await client.close()
    hits = sum(plan_server.hits.values())
    for call in (
        client.fetch_coach_plan("d", "2024-11-07"),
        client.fetch_all_coach_plans(TODAY),
        client.check_health(),
        client.get_server_metrics(),
    ):
        with pytest.raises(RuntimeError, match="this CoachPlanClient is closed"):
            await call
    assert sum(plan_server.hits.values()) == hits
    assert client._upstream._session is not None and client._upstream._session.closed


async def test_close_cancels_evicted_loads_and_cut_short_callers_get_the_error(
    plan_server: ContractServer,
) -> None:
    """Loads the LRU no longer holds still stop at close; their callers hear why."""
    plan_server.fail("hang", endpoint="plan", times=99)
    client = CoachPlanClient(plan_server.url, max_cache_size=1, timeout=30)
    days = [f"2024-11-0{d}" for d in range(4, 9)]
    callers = [asyncio.ensure_future(client.fetch_coach_plan("d", day)) for day in days]
    await plan_server.in_flight_at_least(len(days))
    await client.close()
    results = await asyncio.gather(*callers, return_exceptions=True)
    assert all(isinstance(r, RuntimeError) and "closed" in str(r) for r in results), results
    assert client._cache._running == {}
    session = client._upstream._session
    assert session is not None and session.closed


# -- clears and races ----------------------------------------------------------------
async def test_a_clear_wins_over_an_all_fetch_in_flight(
    plan_server: ContractServer, make_client: Make
) -> None:
    """/clearcache during /all: the old answers are not written back; the next call asks."""
    plan_server.add_plan("d", TODAY, "old")
    plan_server.fail("held", endpoint="all")
    client = make_client(timeout=60)
    every = asyncio.ensure_future(client.fetch_all_coach_plans(TODAY))
    await plan_server.in_flight_at_least(1)
    assert client.clear_cache() == 0
    plan_server.add_plan("d", TODAY, "new")
    plan_server.release()
    assert (await every)["d"].plan == "old"  # its caller asked before the clear
    after = await client.fetch_coach_plan("d", TODAY)
    assert (after.plan, after.from_cache) == ("new", False)
    assert client.peek_fresh("d", TODAY) is not None
    assert client.peek_fresh("d", TODAY).plan == "new"  # type: ignore[union-attr]


async def test_a_filtered_clear_wins_over_a_background_refresh_in_flight(
    plan_server: ContractServer, make_client: Make, fake_time: FakeTime
) -> None:
    plan_server.add_plan("d", TODAY, "old")
    client = make_client(cache_ttl_seconds=100, refresh_ahead_ratio=0.5, timeout=60)
    await client.fetch_coach_plan("d", TODAY)
    fake_time.advance(60)  # inside the refresh-ahead window
    plan_server.fail("held", endpoint="plan")
    hit = await client.fetch_coach_plan("d", TODAY)  # answers at once, starts a refresh
    assert hit.from_cache and client.get_metrics()["refresh"]["in_progress"] == 1
    await plan_server.in_flight_at_least(1)
    assert client.clear_cache("d", TODAY) == 1
    plan_server.add_plan("d", TODAY, "new")
    plan_server.release()  # the old refresh ends without storing its answer
    await asyncio.gather(*client._cache._running, return_exceptions=True)
    after = await client.fetch_coach_plan("d", TODAY)
    assert (after.plan, after.from_cache) == ("new", False)


async def test_an_older_load_never_overwrites_a_newer_answer(
    plan_server: ContractServer, make_client: Make
) -> None:
    """A slow per-coach fetch started before /all ends after it: /all's newer answer stays."""
    plan_server.add_plan("d", TODAY, "old")
    plan_server.fail("held", endpoint="plan")
    client = make_client(timeout=60)
    slow = asyncio.ensure_future(client.fetch_coach_plan("d", TODAY))
    await plan_server.in_flight_at_least(1)
    plan_server.add_plan("d", TODAY, "new")
    assert (await client.fetch_all_coach_plans(TODAY))["d"].plan == "new"
    plan_server.release()
    assert (await slow).plan == "old"
    assert client.peek_fresh("d", TODAY).plan == "new"  # type: ignore[union-attr]
    again = await client.fetch_coach_plan("d", TODAY)
    assert (again.plan, again.from_cache) == ("new", True)


async def test_evicting_other_keys_never_starts_a_second_load_of_one_in_flight(
    plan_server: ContractServer, make_client: Make
) -> None:
    plan_server.fail("held", endpoint="plan")
    client = make_client(max_cache_size=1, timeout=60)
    first = asyncio.ensure_future(client.fetch_coach_plan("d", TODAY))
    await plan_server.in_flight_at_least(1)
    for day in ("2024-11-05", "2024-11-06", "2024-11-07"):
        await client.fetch_all_coach_plans(day)  # fills and churns the LRU
    joining = asyncio.ensure_future(client.fetch_coach_plan("d", TODAY))
    await asyncio.sleep(0)  # it joins the load still held at the server
    plan_server.release()
    second = await joining
    await first
    assert plan_server.dates_asked().count(TODAY) == 1
    assert client.get_metrics()["requests"]["coalesced"] == 1 and second.error is None


async def test_callers_joining_a_background_refresh_keep_their_own_deadline(
    plan_server: ContractServer, make_client: Make
) -> None:
    """The refresh may run 60 s against a hung API; callers with deadline=2 answer at 2 s,
    the first (who starts waiting on it) and the second (who joins that wait) alike.

    One clock for the client and the loop's timers, stopped: it moves only when
    the test says, so "at 2 s" is exact and no machine is too slow for it.
    """
    plan_server.add_plan("d", TODAY, "cached")
    clock = LoopClock.install()
    client = make_client(
        clock=clock,
        sleep=clock.sleep,
        cache_ttl_seconds=100,
        refresh_ahead_ratio=0.5,
        timeout=60,
        deadline_seconds=60,
    )
    with clock.frozen():
        await client.fetch_coach_plan("d", TODAY)
        clock.skip(60)
        plan_server.fail("hang", endpoint="plan", times=99)
        await client.fetch_coach_plan("d", TODAY)  # a hit; starts the refresh
        await plan_server.in_flight_at_least(1)  # which hangs, until 60 s from now
        clock.skip(50)  # the entry expires: the next callers wait for the refresh
        callers = [
            asyncio.ensure_future(client.fetch_coach_plan("d", TODAY, deadline=2)) for _ in range(2)
        ]
        await asyncio.sleep(0)  # both start waiting (no I/O before they do)
        assert client.get_metrics()["requests"]["coalesced"] == 2
        clock.skip(2)
        first, second = [await finished(caller) for caller in callers]
        assert client.get_metrics()["refresh"]["in_progress"] == 1  # still hung
    assert first.stale and second.stale and second.plan == "cached"


# -- the blocking facade: fork and exit ----------------------------------------------
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_gets_a_clear_error_not_a_hang(
    threaded_plan_server: ContractServer,
) -> None:
    with SyncCoachPlanClient(threaded_plan_server.url) as client:
        client.fetch_coach_plan("d", TODAY)
        pid = os.fork()
        if pid == 0:  # the child: a miss would wait forever on the parent's thread
            code = 3
            try:
                client.fetch_coach_plan("i", TODAY)
            except RuntimeError as exc:
                code = 0 if "another process" in str(exc) else 4
            except BaseException:
                code = 5
            os._exit(code)
        deadline = time.monotonic() + 60
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, 9)
                pytest.fail("the forked child hung")
            time.sleep(0.05)  # polling a child process, not synchronising the code under test
        assert os.waitstatus_to_exitcode(status) == 0


def test_a_facade_never_closed_leaves_no_warning_at_exit(
    threaded_plan_server: ContractServer,
) -> None:
    code = (
        "from bot.plans import SyncCoachPlanClient\n"
        f"c = SyncCoachPlanClient({threaded_plan_server.url!r})\n"
        f"print(c.fetch_coach_plan('d', {TODAY!r}).error)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-W", "always::ResourceWarning", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "None"
    assert "Unclosed" not in proc.stderr and "ResourceWarning" not in proc.stderr, proc.stderr
