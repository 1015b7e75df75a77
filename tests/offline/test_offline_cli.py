"""`python -m bot --offline`: the real bot in SimCord, driven as a newcomer would drive it.

These run the real command in a subprocess: the reference API with demo data,
the bot built by `create_bot`, SimCord's world, and the console or `--run`.
"""

from __future__ import annotations

import datetime as dt
import io
import signal
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest

from bot.__main__ import main as bot_main
from bot.offline.commandline import parse_command
from bot.offline.console import Console
from bot.offline.world import OfflineWorld
from bot.settings import Settings
from tests.contract_server import ContractServer
from tests.offline.session import ROOT, offline_env, page_url, read_until, start_session

#: Tuesday 2026-11-24, 10:00 in New York: the demo's latest session is "today".
TUESDAY = "2026-11-24T10:00"
NEW_YORK = ZoneInfo("America/New_York")


def offline(
    *args: str,
    stdin: str | None = None,
    timeout: float = 90,
    tz: str | None = None,
    env_extra: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    proc = start_offline(*args, tz=tz, env_extra=env_extra)
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    finally:
        proc.kill()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def start_offline(
    *args: str, tz: str | None = None, env_extra: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """`python -m bot --offline ARGS` started, not awaited: several can run at once."""
    env = offline_env() | (env_extra or {})
    if tz is not None:
        env["TZ"] = tz
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "--offline", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )


def demo_plan_text(coach: str, day: str, today: str = TUESDAY[:10]) -> str:
    """The demo's text for one coach and session, as the offline API serves it."""
    from bot.reference_api.demo import demo_rows

    (text,) = [
        row["plan"]
        for row in demo_rows(today=dt.date.fromisoformat(today))
        if (row["coach"], row["date"]) == (coach, day)
    ]
    return str(text)


def flat(text: str) -> str:
    return " ".join(text.split())


def usage_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """`python -m bot --offline ARGS` run in this process must stop at its command line
    (exit 2, nothing started, so no subprocess needed): what it printed on stderr."""
    with pytest.raises(SystemExit) as stopped:
        bot_main(["--offline", *args])
    assert stopped.value.code == 2
    return capsys.readouterr().err


async def run_at(now: str, *lines: str) -> str:
    """What `--now NOW --run LINE...` prints, in this process: the same world and console."""
    out = io.StringIO()
    instant = dt.datetime.fromisoformat(now).replace(tzinfo=NEW_YORK)  # as --now reads it
    async with OfflineWorld(Settings(), now=instant) as world:
        console = Console(world, out=out)
        for line in lines:
            assert await console.handle(line), out.getvalue()
    return out.getvalue()


def test_run_prints_demo_plans_and_exits_0() -> None:
    """--run "/plan d" --run "/plans" --run "/cachestats" prints a demo plan and exits 0."""
    proc = offline("--now", TUESDAY, "--run", "/plan d", "--run", "/plans", "--run", "/cachestats")
    assert proc.returncode == 0, proc.stderr
    assert flat(demo_plan_text("d", "2026-11-24")) in flat(proc.stdout)
    assert "Markets are closed" not in proc.stdout
    assert "== Plan cache ==" in proc.stdout and "(only you can see this)" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_run_exits_1_when_a_command_fails() -> None:
    """A command that cannot run (unknown, or an unmatched quote) makes --run exit 1; the
    quote is explained in plain words, not in shlex's."""
    proc = offline("--run", "/plan d", "--run", "/nonsense", "--run", '/plan "Day Trading')
    assert proc.returncode == 1
    assert "unknown command /nonsense" in proc.stdout
    assert "! the quotes don't match" in proc.stdout
    assert "No closing quotation" not in proc.stdout + proc.stderr


def test_run_exits_1_when_an_answer_is_a_fallback(unused_port: int) -> None:
    """An API that is down: the bot still answers (a fallback), and --run says it failed."""
    dead = f"http://127.0.0.1:{unused_port}"
    proc = offline(
        "--api", dead, "--now", TUESDAY, "--run", "/plan d", "--run", "/plans",
        env_extra={"PLANS_MAX_RETRIES": "2"},  # one retry (logged), one short backoff
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    first, *_ = proc.stdout.splitlines()
    assert first == f"Plans come from the Coach Plan API at {dead} (--api)."
    assert "! the plan API failed: 1 answer came from a fallback" in proc.stdout
    assert "! the plan API failed: 4 answers came from a fallback" in proc.stdout
    assert "Traceback" not in proc.stderr
    assert "retrying plan" in proc.stderr and "\x1b" not in proc.stderr  # a pipe: no colour


async def test_an_old_copy_counts_as_a_failure(plan_server: ContractServer) -> None:
    """A stale copy served while the API fails is a failure too, as the client counts it,
    though the reply shows a real plan."""
    plan_server.add_plan("d", TUESDAY[:10], "Tuesday's plan")
    instant = dt.datetime.fromisoformat(TUESDAY).replace(tzinfo=NEW_YORK)
    async with OfflineWorld(Settings(), api_url=plan_server.url, now=instant) as world:
        console = Console(world, out=io.StringIO())
        fresh = await world.run("member", parse_command("/plan d", world.bot.tree))
        assert not fresh.failed and fresh.fallbacks == 0
        assert await console.handle("/as moderator") and await console.handle("/clearcache")
        plan_server.fail("status", status=503, times=100)
        old = await world.run("member", parse_command("/plan d", world.bot.tree))
    assert old.failed and old.fallbacks == 1 and old.problem is None
    assert "Tuesday's plan" in " ".join(str(e.description) for e in old.embeds)


def test_plans_api_url_is_not_used_offline(unused_port: int) -> None:
    """PLANS_API_URL in the environment (a dead one here) leaves the demo API in charge,
    and the first line says so."""
    env = {"PLANS_API_URL": f"http://127.0.0.1:{unused_port}"}
    proc = offline("--now", TUESDAY, "--run", "/plan d", env_extra=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith("Plans come from a demo Coach Plan API at http://127.0.0.1:")
    assert first.endswith("(--api URL picks another). PLANS_API_URL is not used offline.")
    assert str(unused_port) not in first
    assert flat(demo_plan_text("d", "2026-11-24")) in flat(proc.stdout)


def test_offline_help_lists_the_offline_options(capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m bot --offline --help` is the offline mode's help, not the bot's."""
    with pytest.raises(SystemExit) as stopped:
        bot_main(["--offline", "--help"])
    assert stopped.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m bot --offline")
    for option in ("--run", "--no-web", "--no-browser", "--port", "--api", "--now"):
        assert option in out, option
    assert "--check-config" not in out


def test_console_session_through_stdin() -> None:
    """A console session typed on stdin: plans, a refused /clearcache, then a moderator's."""
    script = (
        "/plan d\n/clearcache\n/as moderator\n/clearcache\n/plan coach:d date:yesterday\n/quit\n"
    )
    proc = offline("--no-web", "--now", TUESDAY, stdin=script)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert flat(demo_plan_text("d", "2026-11-24")) in flat(out)
    assert flat(demo_plan_text("d", "2026-11-23")) in flat(out)  # date:yesterday is Monday
    assert "only moderators can clear" in out
    assert "Now acting as the moderator." in out
    assert "Dropped" in out and "[moderator] /clearcache" in out
    assert "Traceback" not in proc.stderr


def test_ctrl_c_stops_cleanly() -> None:
    """SIGINT to a running session: exit 0, no traceback, no process left behind."""
    proc = start_session()
    assert proc.stdout is not None
    url = page_url(read_until(proc.stdout, "member> "))
    assert url, "the page address was not printed"
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the offline session did not stop on SIGINT")
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    port = int(url.split(":")[2].split("/")[0])
    import socket

    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "the page port is still open"


def test_a_taken_page_port_is_a_clear_error() -> None:
    """--port on a busy port: exit 2 and one sentence, not a traceback."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        proc = offline("--no-browser", "--port", str(port), stdin="/quit\n")
    assert proc.returncode == 2
    assert f"could not bind port {port}" in proc.stderr and "Traceback" not in proc.stderr


def test_a_bad_api_url_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    """--api that is not an http(s) URL: exit 2 with what is expected, before anything starts."""
    err = usage_error(capsys, "--api", "notaurl", "--run", "/plan d")
    assert "http:// or https://" in err and "Traceback" not in err


def test_a_newcomer_on_sunday_sees_fridays_half_day() -> None:
    """Sunday 15:00 in New York, whatever the machine's zone: Friday's plans, said plainly.

    The same run in three zones, the three processes at once (each mostly starts up).
    """
    runs = {
        tz: start_offline("--now", "2026-11-29T15:00-05:00", "--run", "/plan d",
                          "--run", "/plans", "--run", "/plan d previous", tz=tz)
        for tz in ("UTC", "America/New_York", "Asia/Tokyo")
    }  # fmt: skip
    try:
        done = {tz: proc.communicate(timeout=90) for tz, proc in runs.items()}
    finally:
        for proc in runs.values():
            proc.kill()
    note = "Markets are closed today (Sunday); latest session: Friday 2026-11-27 (half day)."
    for tz, (out, err) in done.items():
        assert runs[tz].returncode == 0, (tz, err)
        assert out.count(note) == 2, tz
        assert "== Day Trading · Friday 2026-11-27 (half day) ==" in out, tz
        assert flat(demo_plan_text("d", "2026-11-27", "2026-11-29")) in flat(out), tz
        assert "4 of 4 coaches posted a plan." in out, tz
        assert "Posted:\n    2026-11-27 08:05 EST" in out, tz  # the market's 08:05, in any TZ
        assert "== Day Trading · Wednesday 2026-11-25 ==" in out, tz  # skips Thanksgiving
        assert "Traceback" not in err, tz


async def test_thanksgiving_opens_on_wednesday_and_names_the_holiday() -> None:
    """In this process, as `--run` does it (see test_run_opens_on_the_current_session)."""
    out = await run_at("2026-11-26T10:00", "/plan s", "/plans 2026-11-26")
    assert (
        "Markets are closed today (Thanksgiving Day); latest session: Wednesday 2026-11-25." in out
    )
    assert "Markets were closed on Thursday 2026-11-26 (Thanksgiving Day)." in out


def test_a_bad_now_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    err = usage_error(capsys, "--now", "next sunday", "--run", "/plan d")
    assert "ISO 8601" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("now", "title"),
    [
        ("2026-11-28T12:00", "Friday 2026-11-27 (half day)"),  # Saturday
        ("2026-11-27T12:30", "Friday 2026-11-27 (half day)"),  # the half day
        ("2026-11-30T07:00", "Monday 2026-11-30"),  # before the open
        ("2027-01-19T08:00", "Tuesday 2027-01-19"),  # after a Monday holiday
        ("2026-03-08T23:59", "Friday 2026-03-06"),  # DST starts that night
        ("2026-03-09T00:00", "Monday 2026-03-09"),
        ("2026-11-01T23:59", "Friday 2026-10-30"),  # DST ended that night
        ("2026-11-02T00:00", "Monday 2026-11-02"),
    ],
)
async def test_run_opens_on_the_current_session(now: str, title: str) -> None:
    """`--run "/plan d"` at each pinned instant: the demo plan of the current session.

    In this process, as `--run` does it (the world of `--now`, the demo API, the
    console): a subprocess per instant only repeats the start-up, which the tests
    above cover, as they cover reading `--now` in another zone (Sunday, in Tokyo).
    """
    out = await run_at(now, "/plan d")
    assert f"== Day Trading · {title} ==" in out
    day = title.split()[1]
    assert flat(demo_plan_text("d", day, now[:10])) in flat(out)
