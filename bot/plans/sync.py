"""SyncCoachPlanClient: the same client, blocking, for scripts and synchronous agents.

One private event loop runs in one daemon thread for the life of the facade;
every call is handed to it with `run_coroutine_threadsafe`, so any number of
threads may call at once and all share one cache and one connection pool.
Calling it from a thread that runs an event loop would block that loop, so it
refuses with RuntimeError instead. A forked child inherits the facade but not
its thread (fork copies only the calling thread), so a call there would wait
forever: it raises RuntimeError instead. A facade nobody closed is closed at
interpreter exit (or when collected), session included, so nothing is
reported as unclosed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import os
import threading
import weakref
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, Self, TypeVar, Unpack, final

from .client import CoachPlanClient
from .config import ClientArgs, ClientConfig
from .history import PlanHistory
from .models import CoachPlan

T = TypeVar("T")


@final
class SyncCoachPlanClient:
    """Blocking facade over CoachPlanClient; takes exactly the same arguments."""

    def __init__(
        self,
        api_base_url: str | None = None,
        *,
        config: ClientConfig | None = None,
        **args: Unpack[ClientArgs],
    ) -> None:
        self._client = CoachPlanClient(api_base_url, config=config, **args)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="coach-plan-client", daemon=True
        )
        self._lock = threading.Lock()
        self._closed = False
        self._pid = os.getpid()
        self._thread.start()
        # Runs once: at close(), when the facade is collected, or at interpreter exit.
        self._finalizer = weakref.finalize(
            self, _shut_down, self._client, self._loop, self._thread, self._pid
        )

    @property
    def client(self) -> CoachPlanClient:
        """The async client underneath (use it only from its own loop)."""
        return self._client

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _run(self, coro_fn: Callable[[], Coroutine[Any, Any, T]]) -> T:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise RuntimeError(
                "SyncCoachPlanClient was called from a running event loop, which it would "
                "block; use `await` on CoachPlanClient there instead."
            )
        if self._closed:
            raise RuntimeError("this SyncCoachPlanClient is closed")
        self._check_process()
        try:
            return asyncio.run_coroutine_threadsafe(coro_fn(), self._loop).result()
        except concurrent.futures.CancelledError:
            # close() from another thread cancelled this call's fetch.
            raise RuntimeError("SyncCoachPlanClient was closed during this call") from None

    def fetch_coach_plan(
        self, coach: str, date: str | dt.date | None = None, *, deadline: float | None = None
    ) -> CoachPlan:
        if not self._closed and os.getpid() == self._pid:
            hit = self._client.peek_fresh(coach, date)  # a fresh hit needs no thread hop
            if hit is not None:
                return hit
        return self._run(lambda: self._client.fetch_coach_plan(coach, date, deadline=deadline))

    def fetch_all_coach_plans(
        self, date: str | dt.date | None = None, *, deadline: float | None = None
    ) -> dict[str, CoachPlan]:
        return self._run(lambda: self._client.fetch_all_coach_plans(date, deadline=deadline))

    def fetch_plan_history(
        self, coach: str, date: str | dt.date | None = None, *, deadline: float | None = None
    ) -> PlanHistory:
        return self._run(lambda: self._client.fetch_plan_history(coach, date, deadline=deadline))

    def check_health(self) -> dict[str, Any]:
        return self._run(self._client.check_health)

    def get_server_metrics(self) -> dict[str, Any]:
        return self._run(self._client.get_server_metrics)

    def get_metrics(self) -> dict[str, Any]:
        return self._run(self._on_loop(self._client.get_metrics))

    def clear_cache(self, coach: str | None = None, date: str | dt.date | None = None) -> int:
        """`CoachPlanClient.clear_cache`, returning once the shared clear (with `redis_url`)
        has reached Redis and the other processes: the caller's next line may rely on it."""

        async def clear() -> int:
            dropped, shared = self._client._clear(coach, date)
            if shared is not None:
                await shared
            return dropped

        return self._run(clear)

    def clear_cache_everywhere(
        self, coach: str | None = None, date: str | dt.date | None = None
    ) -> int:
        return self._run(lambda: self._client.clear_cache_everywhere(coach, date))

    def close(self) -> None:
        """Close the client on its loop, then stop the loop and join the thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._finalizer()

    def _check_process(self) -> None:
        if os.getpid() != self._pid:
            raise RuntimeError(
                "this SyncCoachPlanClient was made in another process (before a fork); "
                "its thread did not come along: make a new one in this process"
            )

    @staticmethod
    def _on_loop(fn: Callable[[], T]) -> Callable[[], Coroutine[Any, Any, T]]:
        """Run a plain method on the client's loop thread, where its state lives."""

        async def call() -> T:
            return fn()

        return call


def _shut_down(
    client: CoachPlanClient,
    loop: asyncio.AbstractEventLoop,
    thread: threading.Thread,
    pid: int,
) -> None:
    """Close `client` on its loop, stop the loop, join its thread (in the owning process)."""
    if os.getpid() != pid or not thread.is_alive():
        return  # a forked child: the thread and its loop live in the parent only
    try:
        asyncio.run_coroutine_threadsafe(client.close(), loop).result()
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()
