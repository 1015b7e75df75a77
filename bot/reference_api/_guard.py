"""The server accepts connections itself, so slow or idle clients cannot take it down.

Left to asyncio and aiohttp, nothing but aiohttp's keep-alive timer (an hour by
default, and version-dependent before the first request) bounds how long a client
may take over its request head, and the server accepts until the process runs out of
file descriptors, logging a traceback for each accept that fails. 1,100 connections
that never finished their headers once made `/health` time out. Here:

- A connection must finish its request head within `header_timeout` seconds of
  connecting. Trickling bytes does not extend it. Later heads on a connection kept
  alive are bounded by aiohttp's keep-alive timer, which the runner sets to the same
  value.
- At most `max_connections` connections are open. At the cap, the oldest connection
  still waiting for its head is closed to make room for the new one, so `/health`
  answers during a flood. When every open connection is busy with a request, the
  server stops accepting (new clients wait in the kernel's queue) until one closes.
- If file descriptors run out anyway (other code in the process holds them), the
  oldest waiting connection is closed and the accept retried.

Each drop is logged at WARNING; the runner puts a `RepeatFilter` on this module's
logger, so a flood writes a few lines with counts rather than one per connection.

It stays one module past ~300 lines: `Listener` and `_Connection` are two halves
of one policy that call each other's hooks, and the limits above are theirs.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import math
import os
import socket
from collections.abc import Callable
from contextlib import suppress
from typing import Final, final

log = logging.getLogger(__name__)

DEFAULT_HEADER_TIMEOUT_SECONDS: Final = 10.0
# Below the usual 1,024 open files, with room for SQLite, logs and the process itself.
CONNECTION_CEILING: Final = 512
# Descriptors kept free of connections: SQLite opens three per worker thread (file,
# -wal, -shm), plus the listening sockets, the event loop, logs and the interpreter.
FD_RESERVE: Final = 128
# Connections the kernel completes before we accept them; they hold no descriptor of ours.
LISTEN_BACKLOG: Final = 1024
# How long to wait before accepting again after an error that is not about resources.
ACCEPT_RETRY_SECONDS: Final = 1.0
_OUT_OF_RESOURCES: Final = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_TRANSIENT: Final = frozenset({errno.ECONNABORTED, errno.EPROTO, errno.EINTR, errno.EAGAIN})


def default_max_connections() -> int:
    """512, or half the soft open-file limit when that is lower (macOS's 256 gives 128)."""
    soft = _open_file_limit()
    return CONNECTION_CEILING if soft is None else max(1, min(CONNECTION_CEILING, soft // 2))


def usable_max_connections(requested: int) -> int:
    """`requested`, lowered (with a warning) to leave `FD_RESERVE` of the open-file limit.

    Past that, SQLite cannot open the database and `/health` fails with the rest.
    """
    soft = _open_file_limit()
    if soft is None or requested <= soft - FD_RESERVE:
        return requested
    usable = max(1, soft - FD_RESERVE)
    log.warning(
        "max_connections %d does not fit the open-file limit (%d): using %d",
        requested,
        soft,
        usable,
    )
    return usable


def _open_file_limit() -> int | None:
    try:
        import resource
    except ImportError:  # not POSIX
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY or soft <= 0 else soft


async def bind(host: str, port: int) -> list[socket.socket]:
    """Listening sockets for every address of `host`, all on one port (port 0 picks it)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            if os.name == "posix":  # as asyncio does: a restart may rebind a port in TIME_WAIT
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            if len(sockets) > 1:  # the port the first socket got, when port 0 asked for one
                address = (address[0], sockets[0].getsockname()[1], *address[2:])
            sock.bind(address)
            sock.listen(LISTEN_BACKLOG)
            sock.setblocking(False)
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


@final
class Listener:
    """Accepts on `sockets` into `factory`'s protocols, within the limits above."""

    def __init__(
        self,
        factory: Callable[[], asyncio.Protocol],
        sockets: list[socket.socket],
        *,
        max_connections: int,
        header_timeout: float,
    ) -> None:
        self.sockets = sockets
        self.max_connections = max_connections
        self.header_timeout = header_timeout
        self._factory = factory
        self._open: dict[_Connection, None] = {}  # insertion order: oldest first
        self._freed = asyncio.Event()
        self._tasks = [asyncio.create_task(self._accept(sock)) for sock in sockets]

    @classmethod
    async def open(
        cls,
        factory: Callable[[], asyncio.Protocol],
        host: str,
        port: int,
        *,
        max_connections: int,
        header_timeout: float,
    ) -> Listener:
        """Bind `host`:`port` and start accepting; `close()` stops."""
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        if not 0 < header_timeout < math.inf:
            raise ValueError("header_timeout must be a positive number of seconds")
        sockets = await bind(host, port)
        return cls(factory, sockets, max_connections=max_connections, header_timeout=header_timeout)

    @property
    def port(self) -> int:
        return int(self.sockets[0].getsockname()[1])

    @property
    def open_connections(self) -> int:
        """Connections counted against the cap (not those already being closed)."""
        return len(self._open)

    async def close(self) -> None:
        """Stop accepting; open connections are left to the runner's shutdown."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError):
                await task
        for sock in self.sockets:
            sock.close()

    async def _accept(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._room()
            try:
                conn, _ = await loop.sock_accept(sock)
            except OSError as exc:
                await self._accept_failed(exc)
                continue
            try:
                await loop.connect_accepted_socket(self._protocol, conn)
            except Exception:  # keep accepting whatever one connection did
                conn.close()
                log.exception("could not set up an accepted connection")
            # Accept first, then close the oldest waiting connection: waiting for its
            # close before accepting would let the kernel's queue overflow in a flood,
            # and a client whose connection attempt is dropped retries only after 1 s.
            if len(self._open) > self.max_connections:
                self._drop_oldest_waiting(
                    f"the connection limit ({self.max_connections}) was reached"
                )

    async def _room(self) -> None:
        """Wait while the cap is reached and every open connection is busy with a request."""
        while len(self._open) >= self.max_connections and not self._any_waiting():
            self._freed.clear()
            await self._freed.wait()

    async def _accept_failed(self, exc: OSError) -> None:
        if exc.errno in _TRANSIENT:
            return
        if exc.errno not in _OUT_OF_RESOURCES:
            log.warning("accepting a connection failed: %s", exc)
        elif self._drop_oldest_waiting(f"accepting failed ({exc.strerror or exc})"):
            self._freed.clear()
            await self._freed.wait()  # until its file descriptor is closed
            return
        # Nothing to drop, or an unknown error: wait for a close, or retry a little later.
        self._freed.clear()
        with suppress(TimeoutError):
            await asyncio.wait_for(self._freed.wait(), ACCEPT_RETRY_SECONDS)

    def _protocol(self) -> asyncio.Protocol:
        return _Connection(self, self._factory())

    def _any_waiting(self) -> bool:
        return any(conn.waiting for conn in self._open)

    def _drop_oldest_waiting(self, reason: str) -> bool:
        """Close the oldest connection still sending its head; False if every one is busy."""
        oldest = next((conn for conn in self._open if conn.waiting), None)
        if oldest is None:
            return False
        # The reason is an argument, so the RepeatFilter counts these as one kind.
        log.warning("%s: closed the oldest connection still sending its request head", reason)
        oldest.drop()
        return True

    def _opened(self, conn: _Connection) -> None:
        self._open[conn] = None

    def _dropping(self, conn: _Connection) -> None:
        """No longer counted against the cap: its close is under way."""
        self._open.pop(conn, None)

    def _closed(self, conn: _Connection) -> None:
        self._open.pop(conn, None)
        self._freed.set()


@final
class _Connection(asyncio.Protocol):
    """Wraps aiohttp's protocol for one connection and times its request head.

    The head ends at the first empty line after something other than blank lines
    (RFC 9112 lets a server skip empty lines before the request line). Bytes are
    passed on to aiohttp unchanged; this only watches them.
    """

    def __init__(self, listener: Listener, inner: asyncio.Protocol) -> None:
        self._listener = listener
        self._inner = inner
        self._transport: asyncio.BaseTransport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._started = False
        self._tail = b""
        self.waiting = True
        self.dropping = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        self._listener._opened(self)
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self._listener.header_timeout, self._expire)
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self.waiting and self._head_ends_in(data):
            self.waiting = False
            self._cancel_timer()
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timer()
        self._listener._closed(self)
        self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def drop(self) -> None:
        self.dropping = True
        self._cancel_timer()
        self._listener._dropping(self)
        if self._transport is not None:
            self._transport.close()

    def _expire(self) -> None:
        self._timer = None
        if self.waiting and not self.dropping:
            log.warning(
                "closed a connection that sent no complete request head within %g s",
                self._listener.header_timeout,
            )
            self.drop()

    def _head_ends_in(self, data: bytes) -> bool:
        if not self._started:
            data = data.lstrip(b"\r\n")
            if not data:
                return False
            self._started = True
        seen = self._tail + data
        if b"\n\n" in seen or b"\n\r\n" in seen:
            return True
        self._tail = seen[-2:]
        return False

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
