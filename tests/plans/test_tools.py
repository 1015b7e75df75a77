"""Agent tools: plain-text answers on one shared client, and the same as LangChain tools.

Categories: the text of each kind of answer (plan, no plan, stale, API down),
input an agent gets wrong (unknown coach, impossible date, `today`/`yesterday`),
configuration from the environment, the shared client's life, and LangChain.
Tests are synchronous: the shared client blocks, so the server runs in a thread.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.plans import SyncCoachPlanClient, envconfig, tools
from bot.plans.tools import all_plans_text, coach_plan_text
from tests.conftest import NOW
from tests.contract_server import ContractServer

ENV_VARS = tuple(variable.name for variable in envconfig.CLIENT_VARIABLES)
CHART = "https://cdn.example.com/attachments/1/2/nvda-daily.png?ex=1&hm=2"


def run_python(code: str) -> str:
    """What `code` prints in a fresh interpreter: imports and exit hooks show only there."""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return out.stdout.strip()


@pytest.fixture(autouse=True)
def clean_shared_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts from an unset environment and no shared client, and leaves none."""
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    tools.reset()
    yield
    tools.reset()


@pytest.fixture
def server(threaded_plan_server: ContractServer, monkeypatch: pytest.MonkeyPatch) -> ContractServer:
    """The contract server, named by PLANS_API_URL as an agent's environment would."""
    monkeypatch.setenv("PLANS_API_URL", threaded_plan_server.url)
    monkeypatch.setenv("PLANS_MAX_RETRIES", "1")
    return threaded_plan_server


# -- the text of each answer ----------------------------------------------------------
def test_plan_text_names_coach_day_author_times_plan_and_charts(server: ContractServer) -> None:
    """An LLM gets every fact of a plan, labelled, in plain text."""
    server.add_plan(
        "d", "2024-11-08", "NVDA bull flag.", charts=[CHART], edited_at="2024-11-08T10:02:44"
    )
    assert coach_plan_text("d", "2024-11-08") == "\n".join(
        [
            "Plan of the Day Trading coach (d) for Friday 2024-11-08",
            "Author: coach_d_handle",
            "Posted: 2024-11-08 08:31 EST; edited 2024-11-08 10:02 EST (America/New_York time)",
            "Plan:",
            "NVDA bull flag.",
            "Charts (1):",
            f"- {CHART}",
        ]
    )


def test_missing_plan_is_one_plain_sentence(server: ContractServer) -> None:
    """The API's 200 "No plan available" form reads as a sentence, not as a plan."""
    assert coach_plan_text("s", "2024-11-08") == (
        "No plan from the Swing coach (s) for Friday 2024-11-08."
    )


def test_all_plans_text_has_a_section_per_coach(server: ContractServer) -> None:
    """/all: a count first, then every configured coach, posted or not."""
    server.add_plan("d", "2024-11-08", "Day plan.", charts=[])
    server.add_plan("n", "2024-11-08", "CPI at 8:30.")
    text = all_plans_text("2024-11-08")
    sections = text.split("\n\n")
    assert sections[0] == "Coach plans for Friday 2024-11-08: 2 of 4 coaches posted a plan."
    assert sections[1].startswith("Plan of the Day Trading coach (d)")
    assert "Charts: none" in sections[1]
    assert sections[2] == "No plan from the Intraday coach (i) for Friday 2024-11-08."
    assert sections[3] == "No plan from the Swing coach (s) for Friday 2024-11-08."
    assert sections[4].startswith("Plan of the News/Events coach (n)")


def test_all_plans_text_shows_the_configured_coaches_in_the_right_plural(
    server: ContractServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client returns only who posted, a coach we do not list included; the text names
    each configured coach, says who has not posted, and leaves the unlisted one out."""
    monkeypatch.setenv("COACHES", "d=Day Trading")
    server.add_plan("s", "2024-11-08", "Swing plan.")  # posted, but not configured here
    text = all_plans_text("2024-11-08")
    assert text == (
        "Coach plans for Friday 2024-11-08: 0 of 1 coach posted a plan.\n\n"
        "No plan from the Day Trading coach (d) for Friday 2024-11-08."
    )
    assert set(tools.get_client().fetch_all_coach_plans("2024-11-08")) == {"s"}


def test_all_plans_text_when_the_api_fails_for_some_coaches(server: ContractServer) -> None:
    """Coaches with a copy are answered from it; the others say they could not be checked."""
    server.add_plan("d", "2024-11-08", "Day plan.")
    coach_plan_text("d", "2024-11-08")  # a copy of d only
    tools.get_client().clear_cache()
    server.fail("status", status=503, endpoint="all")

    sections = all_plans_text("2024-11-08").split("\n\n")

    assert sections[0] == (
        "Coach plans for Friday 2024-11-08: 1 of 4 coaches posted a plan; 3 could not be checked."
    )
    assert sections[1].startswith("Plan of the Day Trading coach (d)")
    assert sections[2] == (
        "Could not get the plan of the Intraday coach (i) for Friday 2024-11-08: "
        "the plan service is unavailable right now. Try again in a few minutes."
    )


def test_stale_plan_says_so_and_how_old(server: ContractServer) -> None:
    """When the API fails, the last copy is shown with its age, so the agent can weigh it."""
    clock = {"now": NOW}
    tools.configure(now=lambda: clock["now"])
    server.add_plan("d", "2024-11-08", "NVDA bull flag.")
    coach_plan_text("d", "2024-11-08")
    clock["now"] = NOW + dt.timedelta(minutes=12)  # the age is read on the client's clock
    tools.get_client().clear_cache()
    server.fail("status", status=503, endpoint="plan")

    text = coach_plan_text("d", "2024-11-08").splitlines()

    assert text[0] == "Plan of the Day Trading coach (d) for Friday 2024-11-08"
    assert text[1] == (
        "Note: the plan service is not answering, so this is the last copy we have, "
        "fetched 12 minutes ago; it may have changed since."
    )
    assert "NVDA bull flag." in text


def test_api_down_is_a_sentence_without_the_url(
    unused_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing listening: a clear sentence, no exception, and no address for the LLM to echo."""
    monkeypatch.setenv("PLANS_API_URL", f"http://127.0.0.1:{unused_port}")
    monkeypatch.setenv("PLANS_MAX_RETRIES", "1")

    one = coach_plan_text("d", "2024-11-08")
    every = all_plans_text("2024-11-08")

    assert one == (
        "Could not get the plan of the Day Trading coach (d) for Friday 2024-11-08: "
        "the plan service is unavailable right now. Try again in a few minutes."
    )
    assert every == (
        "Could not get the coach plans for Friday 2024-11-08: "
        "the plan service is unavailable right now. Try again in a few minutes."
    )
    for text in (one, every):
        assert "127.0.0.1" not in text
        assert str(unused_port) not in text


# -- input an agent gets wrong --------------------------------------------------------
def test_unknown_coach_lists_the_coaches(server: ContractServer) -> None:
    """The answer says what is accepted, and no request is spent on it."""
    assert coach_plan_text("x", "2024-11-08") == (
        "Unknown coach 'x'. Valid coaches: "
        "d (Day Trading), i (Intraday), s (Swing), n (News/Events)."
    )
    assert server.requests_to("plan") == 0


@pytest.mark.parametrize("date", ["2024-13-45", "2024-02-30", "next tuesday", "11/08/2024"])
def test_impossible_date_says_what_is_accepted(server: ContractServer, date: str) -> None:
    """A date the client refuses becomes a sentence naming the accepted forms, for both tools."""
    expected = f"Invalid date {date!r}: use YYYY-MM-DD, today or previous (yesterday works too)."
    assert coach_plan_text("d", date) == expected
    assert all_plans_text(date) == expected
    assert server.requests_to("plan") == server.requests_to("all") == 0


def test_today_and_previous_are_sessions(server: ContractServer) -> None:
    """On a Saturday `today` is Friday's session, and says the market is closed today;
    `previous` (and `yesterday`) is Thursday's."""
    tools.configure(now=lambda: NOW)  # Saturday 2024-11-09, 09:00 in New York
    server.add_plan("d", "2024-11-08", "Friday plan.")
    server.add_plan("d", "2024-11-07", "Thursday plan.")
    closed = "Markets are closed today (Saturday); latest session: Friday 2024-11-08."

    for today in (coach_plan_text("d", "today"), coach_plan_text("d")):
        assert today.startswith(closed + "\n\nPlan of the Day Trading coach (d) for Friday")
        assert "Friday plan." in today
    assert "Thursday plan." in coach_plan_text("d", "previous")
    assert coach_plan_text("d", " Yesterday ").startswith("Plan of the Day Trading coach (d)")
    assert all_plans_text("yesterday").startswith("Coach plans for Thursday 2024-11-07")
    assert all_plans_text().startswith(closed + "\n\nCoach plans for Friday 2024-11-08")


def test_a_closed_day_says_the_market_was_closed(server: ContractServer) -> None:
    """Thanksgiving with nothing posted: the market was closed, not "no plan yet"."""
    tools.configure(now=lambda: NOW)
    text = coach_plan_text("d", "2023-11-23")
    assert text == (
        "Markets were closed on Thursday 2023-11-23 (Thanksgiving Day). "
        "No plan from the Day Trading coach (d) for that day."
    )
    assert all_plans_text("2023-11-23").startswith(
        "Coach plans for Thursday 2023-11-23: 0 of 4 coaches posted a plan. Markets were closed"
    )


@pytest.mark.parametrize("coach", ["d", "D", "Day Trading", "day trading", "coach_d"])
def test_coach_by_id_name_or_api_spelling(server: ContractServer, coach: str) -> None:
    """An LLM may name the coach as people do or as the API does."""
    server.add_plan("d", "2024-11-08", "NVDA bull flag.")
    assert "NVDA bull flag." in coach_plan_text(coach, "2024-11-08")


# -- configuration ----------------------------------------------------------------------
def test_environment_configures_the_shared_client(
    server: ContractServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The agent reads the bot's variable names, including the coach list and its names."""
    monkeypatch.setenv("PLANS_CACHE_TTL_SECONDS", "60")
    monkeypatch.setenv("PLANS_CACHE_MAX_SIZE", "7")
    monkeypatch.setenv("PLANS_TIMEZONE", "Asia/Tokyo")
    monkeypatch.setenv("COACHES", "d=Momentum,s=Swing")
    server.add_plan("d", "2024-11-08", "NVDA bull flag.")

    client = tools.get_client()

    assert client.client.api_base_url == server.url
    assert client.client.timezone == "Asia/Tokyo"
    assert client.client.coaches == ("d", "s")
    cache = client.get_metrics()["cache"]
    assert (cache["ttl_seconds"], cache["max_size"]) == (60.0, 7)
    assert coach_plan_text("d", "2024-11-08").startswith("Plan of the Momentum coach (d)")
    assert coach_plan_text("i", "2024-11-08") == (
        "Unknown coach 'i'. Valid coaches: d (Momentum), s (Swing)."
    )


def test_invalid_variables_are_named_in_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every bad variable is named with what it expects; the tools answer with that sentence."""
    monkeypatch.setenv("PLANS_API_URL", "ftp://user:secret@example.com")
    monkeypatch.setenv("PLANS_CACHE_TTL_SECONDS", "soon")
    monkeypatch.setenv("PLANS_MAX_RETRIES", "0")

    with pytest.raises(tools.ToolConfigError) as caught:
        tools.get_client()

    message = str(caught.value)
    assert message == (
        "Coach plan tools are misconfigured: "
        "PLANS_API_URL must be an http:// or https:// base URL such as http://localhost:5000. "
        "PLANS_CACHE_TTL_SECONDS must be a number of seconds above 0 (got 'soon'). "
        "PLANS_MAX_RETRIES must be a whole number from 1 to 10 (got '0')."
    )
    assert "secret" not in message
    assert coach_plan_text("d") == message
    assert all_plans_text() == message


@pytest.mark.parametrize(
    ("var", "value", "expected"),
    [
        ("PLANS_CACHE_MAX_SIZE", "0", "a whole number from 1 to 100000"),
        ("PLANS_TIMEOUT_SECONDS", "301", "a number of seconds above 0 and at most 300"),
        ("PLANS_TIMEOUT_SECONDS", "nan", "a number of seconds above 0 and at most 300"),
        ("PLANS_CACHE_TTL_SECONDS", "-5", "a number of seconds above 0"),
        ("PLANS_TIMEZONE", "Mars/Olympus", "an IANA timezone name such as America/New_York"),
        ("PLANS_TIMEZONE", "America", "an IANA timezone name such as America/New_York"),
        ("COACHES", "d,s", "comma-separated id=Name pairs such as d=Day Trading,s=Swing"),
    ],
)
def test_each_variable_says_what_it_expects(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, expected: str
) -> None:
    """The sentence names the variable, what it accepts and what it got."""
    monkeypatch.setenv(var, value)
    assert coach_plan_text("d") == (
        f"Coach plan tools are misconfigured: {var} must be {expected} (got {value!r})."
    )


def test_configure_overrides_a_bad_variable(
    server: ContractServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An app that passes a setting in code is not stopped by that variable being wrong."""
    monkeypatch.setenv("PLANS_TIMEZONE", "Mars/Olympus")
    client = tools.configure(timezone="Europe/London", coach_names={"d": "Scalping"})
    assert client.client.timezone == "Europe/London"
    server.add_plan("d", "2024-11-08")
    assert coach_plan_text("d", "2024-11-08").startswith("Plan of the Scalping coach (d)")


# -- the shared client ------------------------------------------------------------------
def test_one_shared_client_even_when_threads_race(server: ContractServer) -> None:
    """Eight threads asking at once get one client; reset() closes it and the next is new."""
    barrier = threading.Barrier(8)

    def first_use(_: int) -> SyncCoachPlanClient:
        barrier.wait()
        return tools.get_client()

    with ThreadPoolExecutor(8) as pool:
        clients = set(pool.map(first_use, range(8)))
    assert len(clients) == 1
    (old,) = clients

    tools.reset()

    with pytest.raises(RuntimeError, match="closed"):
        old.fetch_coach_plan("d", "2024-11-08")
    assert tools.get_client() is not old


def test_configure_replaces_and_closes_the_old_client(server: ContractServer) -> None:
    """Apps and tests swap the shared client; the replaced one does not linger."""
    old = tools.get_client()
    new = tools.configure(cache_ttl_seconds=5)
    assert tools.get_client() is new is not old
    with pytest.raises(RuntimeError, match="closed"):
        old.get_metrics()


def test_a_call_cut_short_by_reset_answers_with_a_sentence(server: ContractServer) -> None:
    """reset() while a call waits to retry: that call says so instead of raising."""
    waiting = threading.Event()

    async def stuck_backoff(seconds: float) -> None:
        waiting.set()
        await asyncio.Event().wait()

    tools.configure(max_retries=2, sleep=stuck_backoff)
    server.fail("status", status=503, endpoint="plan")
    answers: list[str] = []
    caller = threading.Thread(target=lambda: answers.append(coach_plan_text("d", "2024-11-08")))
    caller.start()
    assert waiting.wait(10)

    tools.reset()
    caller.join(10)

    assert answers == [tools.REPLACED_TEXT]


def test_shared_client_is_closed_at_exit() -> None:
    """A script that never closes the client still exits with its loop thread stopped."""
    code = (
        "import atexit, threading\n"
        "atexit.register(lambda: print(sorted(t.name for t in threading.enumerate())))\n"
        "from bot.plans import tools\n"
        "tools.get_client()\n"
    )
    assert run_python(code) == "['MainThread']"


def test_importing_tools_loads_neither_discord_nor_langchain() -> None:
    """Agents without the `agents` extra, or without discord.py, can import the tools."""
    code = (
        "import sys, bot.plans.tools\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'discord', 'langchain_core'}))\n"
    )
    assert run_python(code) == "[]"


# -- LangChain --------------------------------------------------------------------------
def test_langchain_tools_have_names_descriptions_and_typed_args() -> None:
    """A model sees two tools whose arguments are typed and described."""
    plan_tool, all_tool, history_tool = tools.get_langchain_tools()

    assert (plan_tool.name, all_tool.name) == ("coach_plan", "all_coach_plans")
    assert history_tool.name == "plan_history" and list(history_tool.args) == ["coach", "date"]
    assert "one trading coach's plan" in plan_tool.description
    assert "every trading coach's plan" in all_tool.description
    schema = plan_tool.tool_call_schema.model_json_schema()  # type: ignore[union-attr]
    assert schema["required"] == ["coach"]
    assert "d (Day Trading)" in schema["properties"]["coach"]["description"]
    assert "'yesterday'" in schema["properties"]["date"]["description"]
    assert list(all_tool.args) == ["date"]


def test_langchain_tools_answer_through_invoke(server: ContractServer) -> None:
    """invoke/ainvoke, as an agent executor calls them, give the same text as the functions."""
    server.add_plan("d", "2024-11-08", "NVDA bull flag.")
    plan_tool, all_tool, _ = tools.get_langchain_tools()

    text = plan_tool.invoke({"coach": "d", "date": "2024-11-08"})
    assert text == coach_plan_text("d", "2024-11-08")
    assert all_tool.invoke({"date": "2024-11-08"}).startswith(
        "Coach plans for Friday 2024-11-08: 1 of 4 coaches posted a plan."
    )
    # ainvoke runs the blocking function in a worker thread, off the agent's loop.
    assert asyncio.run(plan_tool.ainvoke({"coach": "d", "date": "2024-11-08"})) == text
    assert plan_tool.invoke({"coach": "q", "date": "2024-11-08"}).startswith("Unknown coach")


def test_langchain_argument_errors_come_back_as_text() -> None:
    """Arguments the schema rejects are answered with what the tool takes, not raised."""
    plan_tool, *_ = tools.get_langchain_tools()
    answer = plan_tool.invoke({"date": "2024-11-08"})
    assert answer.startswith("Invalid arguments. coach_plan takes `coach` (one of: d (Day")


def test_langchain_missing_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without langchain-core, asking for the tools says what to install (as docs/agents.md)."""
    monkeypatch.setitem(sys.modules, "langchain_core.tools", None)
    with pytest.raises(ImportError, match=r'pip install -e "\.\[agents\]"'):
        tools.get_langchain_tools()


# -- edit history ------------------------------------------------------------------
def add_three_edits(server: ContractServer) -> None:
    server.add_plan("d", "2024-11-08", "Long NVDA over 950, stop 925.",
                    edited_at="2024-11-08T10:02:00")  # fmt: skip
    server.add_edits(
        "d",
        "2024-11-08",
        ("Long NVDA over 950, stop 920.", "mod_rachel", "2024-11-08T10:02:00"),
        ("Long NVDA over 945, stop 920.", "coach_d_handle", "2024-11-08T09:40:00"),
        ("Long NVDA over 945.", "coach_d_handle", "2024-11-08T09:05:00"),
    )


def test_plan_history_text_lists_each_edit_with_its_changed_words(server: ContractServer) -> None:
    """An agent reads who changed what and when, newest first, then the first version."""
    add_three_edits(server)
    assert tools.plan_history_text("d", "2024-11-08") == "\n".join(
        [
            "Edit history of the plan of the Day Trading coach (d) for Friday 2024-11-08: "
            "3 edits, newest first (America/New_York time). In each, removed words are in "
            "~~ ~~ and added words in ** **.",
            "Edit 3 by mod_rachel, 2024-11-08 10:02 EST: Long NVDA over 950, stop ~~920.~~ "
            "**925.**",
            "Edit 2 by coach_d_handle, 2024-11-08 09:40 EST: Long NVDA over ~~945,~~ **950,** "
            "stop 920.",
            "Edit 1 by coach_d_handle, 2024-11-08 09:05 EST: Long NVDA over ~~945.~~ **945, "
            "stop 920.**",
            "First posted by coach_d_handle, 2024-11-08 08:31 EST:",
            "Long NVDA over 945.",
        ]
    )


def test_plan_history_text_for_no_edits_no_plan_and_a_failure(server: ContractServer) -> None:
    """Each case is one sentence; a failure names no URL."""
    server.add_plan("s", "2024-11-08", "Swing plan.")
    server.fail("status", status=500, endpoint="history", times=9)
    assert tools.plan_history_text("n", "2024-11-08") == (
        "Could not get the edit history of the plan of the News/Events coach (n) for Friday "
        "2024-11-08: the plan service is unavailable right now. Try again in a few minutes."
    )
    server.faults.clear()
    assert tools.plan_history_text("s", "2024-11-08") == (
        "The plan of the Swing coach (s) for Friday 2024-11-08 has not been edited."
    )
    assert tools.plan_history_text("i", "2024-11-08") == (
        "No plan from the Intraday coach (i) for Friday 2024-11-08, so there is no edit history."
    )
    assert tools.plan_history_text("zz").startswith("Unknown coach")


def test_langchain_history_tool_answers_like_the_function(server: ContractServer) -> None:
    """`plan_history` is `plan_history_text` behind a typed schema."""
    add_three_edits(server)
    *_, history_tool = tools.get_langchain_tools()

    text = history_tool.invoke({"coach": "d", "date": "2024-11-08"})

    assert text == tools.plan_history_text("d", "2024-11-08") and "~~920.~~" in text
