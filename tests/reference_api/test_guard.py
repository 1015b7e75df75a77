"""Slow clients cannot take the server down: heads time out, connections are capped.

Categories: a head that never ends (trickled or not), a kept-alive connection's next
head, a flood of slow connections past the cap while `/health` answers and the log
stays small, the same flood past the process's file-descriptor limit in a real
process, and the options' bounds.

Waiting here is the behaviour under test: a header timeout is real time, so these
tests use a short one (`HEADER_TIMEOUT_SECONDS`) and wait for the server to act with
a generous bound (`PATIENCE_SECONDS`); a loaded machine only makes them slower. The
trickling client paces its bytes, as a slow client does; nothing waits on a sleep.
"""

from __future__ import annotations

import asyncio
import logging
import re
import select
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import aiohttp
import pytest

from bot.reference_api import RunningServer, serve
from bot.reference_api._guard import (
    CONNECTION_CEILING,
    default_max_connections,
    usable_max_connections,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
HEADER_TIMEOUT_SECONDS = 1.0
PATIENCE_SECONDS = 30.0
TRICKLE_PACE_SECONDS = 0.1
PARTIAL_HEAD = b"GET /health HTTP/1.1\r\nHost: localhost\r\n"


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def server_warnings() -> Iterator[_Records]:
    """Warnings and errors the server's loggers let through (after their filters)."""
    handler = _Records()
    logger = logging.getLogger("bot.reference_api")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@asynccontextmanager
async def _connections() -> AsyncIterator[list[Connection]]:
    """Raw client connections, all closed on the way out."""
    opened: list[Connection] = []
    try:
        yield opened
    finally:
        for _, writer in opened:
            writer.close()
        for _, writer in opened:
            with suppress(ConnectionError):
                await writer.wait_closed()


async def _open_slow(server: RunningServer, opened: list[Connection]) -> Connection:
    reader, writer = await asyncio.open_connection(server.host, server.port)
    opened.append((reader, writer))
    writer.write(PARTIAL_HEAD)
    await writer.drain()
    return reader, writer


async def _answer(reader: asyncio.StreamReader) -> bytes:
    """All the server sends until it closes the connection (a reset closes it too)."""
    async with asyncio.timeout(PATIENCE_SECONDS):
        try:
            return await reader.read()
        except ConnectionResetError:
            return b""


async def _trickle(writer: asyncio.StreamWriter, chunk: bytes) -> None:
    with suppress(ConnectionError):
        while not writer.is_closing():
            writer.write(chunk)
            await writer.drain()
            await asyncio.sleep(TRICKLE_PACE_SECONDS)  # pacing, as a slow client does


@pytest.mark.parametrize(
    ("first", "chunk"),
    [
        (PARTIAL_HEAD, b"X-Slow: 1\r\n"),
        (b"", b"\r\n"),
        (PARTIAL_HEAD, b""),
    ],
    ids=["header-lines", "blank-lines", "silent"],
)
async def test_a_head_that_never_ends_is_closed_without_an_answer(
    db_path: Path, first: bytes, chunk: bytes
) -> None:
    """Trickled headers, blank lines or silence: closed at the header timeout, not extended.

    Were the deadline reset by each byte, the header lines would run into aiohttp's
    limit of 128 headers and get a 400, and the others would never end.
    """
    async with (
        serve(db_path, header_timeout=HEADER_TIMEOUT_SECONDS) as server,
        _connections() as opened,
    ):
        reader, writer = await asyncio.open_connection(server.host, server.port)
        opened.append((reader, writer))
        writer.write(first)
        trickling = asyncio.create_task(_trickle(writer, chunk)) if chunk else None
        try:
            assert await _answer(reader) == b""
        finally:
            if trickling is not None:
                trickling.cancel()
                with suppress(asyncio.CancelledError):
                    await trickling


async def test_a_kept_alive_connection_must_send_its_next_head_in_time(db_path: Path) -> None:
    """After an answer, the next request's head has the same deadline (aiohttp's keep-alive)."""
    async with (
        serve(db_path, header_timeout=HEADER_TIMEOUT_SECONDS, close_connections=False) as server,
        _connections() as opened,
    ):
        reader, writer = await asyncio.open_connection(server.host, server.port)
        opened.append((reader, writer))
        writer.write(PARTIAL_HEAD + b"\r\n" + PARTIAL_HEAD)
        answer = await _answer(reader)
    assert answer.count(b"HTTP/1.1 200 OK") == 1


async def test_health_answers_while_slow_connections_overrun_the_limit(
    db_path: Path, http: aiohttp.ClientSession, server_warnings: _Records
) -> None:
    """Ten times the cap in held connections: the oldest are closed, `/health` answers.

    And the log stays small: one warning, not one per dropped connection.
    """
    limit = 20
    async with (
        serve(db_path, max_connections=limit, header_timeout=PATIENCE_SECONDS * 10) as server,
        _connections() as opened,
    ):
        slow = [await _open_slow(server, opened) for _ in range(10 * limit)]
        timeout = aiohttp.ClientTimeout(total=PATIENCE_SECONDS)
        async with http.get(f"{server.url}/health", timeout=timeout) as response:
            assert response.status == 200
            assert (await response.json())["status"] == "healthy"
        for reader, _ in slow[: 9 * limit - 1]:
            assert await _answer(reader) == b""
    assert len(server_warnings.records) <= 2, [r.getMessage() for r in server_warnings.records]


def _raise_fd_limit(needed: int) -> None:
    resource = pytest.importorskip("resource")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            pytest.skip(f"this test needs {needed} open files; the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def _limit_server_fds() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))


def _first_line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], PATIENCE_SECONDS)
    assert ready, "the server printed nothing in time"
    return process.stdout.readline()


@pytest.mark.skipif(sys.platform == "win32", reason="file-descriptor limits are POSIX")
def test_a_process_with_1024_files_survives_1100_slow_connections(tmp_path: Path) -> None:
    """The incident: 1,100 held connections, 1,024 descriptors. `/health` answers, stderr is small.

    Before, /health timed out and stderr took 69 MB of accept tracebacks in 40 s.
    """
    _raise_fd_limit(2048)
    stderr_path = tmp_path / "stderr.log"
    db = str(tmp_path / "plans.db")
    command = [sys.executable, "-m", "bot.reference_api", "--port", "0", "--db", db]
    held: list[socket.socket] = []
    with (
        stderr_path.open("w") as stderr,
        subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            preexec_fn=_limit_server_fds,
        ) as process,
    ):
        try:
            match = re.search(r"http://127\.0\.0\.1:(\d+)", _first_line(process))
            assert match, "the first line names the URL"
            port = int(match.group(1))
            for _ in range(1100):
                conn = socket.create_connection(("127.0.0.1", port), timeout=PATIENCE_SECONDS)
                held.append(conn)
                conn.sendall(PARTIAL_HEAD)
            with socket.create_connection(("127.0.0.1", port), PATIENCE_SECONDS) as health:
                health.sendall(PARTIAL_HEAD + b"Connection: close\r\n\r\n")
                answer = b""
                while chunk := health.recv(65536):
                    answer += chunk
            assert answer.startswith(b"HTTP/1.1 200 OK"), answer[:200]
            process.send_signal(signal.SIGTERM)
            process.wait(PATIENCE_SECONDS)
        finally:
            for conn in held:
                conn.close()
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0
    log = stderr_path.read_text("utf-8")
    assert "Traceback" not in log
    assert len(log) < 10_000, log[:2000]


async def test_timeouts_and_the_limit_must_be_positive(db_path: Path) -> None:
    """A zero timeout or cap would drop every client: refused before anything starts."""
    for options in ({"header_timeout": 0}, {"body_timeout": -1.0}, {"max_connections": 0}):
        with pytest.raises(ValueError):
            async with serve(db_path, **options):
                pass
    assert not await asyncio.to_thread(db_path.exists)


def test_the_default_limit_leaves_file_descriptors_to_spare() -> None:
    """At most 512 connections, at most half the open-file limit; more than it fits is lowered."""
    assert 1 <= default_max_connections() <= CONNECTION_CEILING
    huge = 10**9
    resource = pytest.importorskip("resource")
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        pytest.skip("no open-file limit to fit")
    assert usable_max_connections(huge) < soft
    assert usable_max_connections(1) == 1
