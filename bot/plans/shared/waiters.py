"""Callers waiting for another holder's answer, woken by the listener, never by polling.

A waiter registers *before* its lookup runs, so an answer published between
the lookup and the wait is not lost: it is kept until the lookup tells the
waiter which holder (lock token) it waits for, and then taken if it is that
holder's. Answers of other holders (one that started before a clear, or
whose lock expired and was taken over) are ignored. `wake_all` tells every
waiter to look again: the listener calls it whenever its subscription was
(re)made or lost, the moments when a publication may have been missed.
"""

from __future__ import annotations

import asyncio
from typing import Final, final

from .messages import Done

#: What a woken waiter receives when it should run its lookup again.
LOOK_AGAIN: Final = Done("", "", "released")


@final
class Waiter:
    __slots__ = ("_early", "future", "name", "token")

    def __init__(self, name: str) -> None:
        self.name = name
        self.token: str | None = None
        self.future: asyncio.Future[Done] = asyncio.get_running_loop().create_future()
        self._early: list[Done] = []

    def offer(self, done: Done) -> None:
        if self.future.done():
            return
        if done is LOOK_AGAIN or (self.token is not None and done.token == self.token):
            self.future.set_result(done)
        elif self.token is None:
            self._early.append(done)

    def expect(self, token: str) -> None:
        """The lookup named the holder: take its answer if it came already."""
        self.token = token
        early, self._early = self._early, []
        for done in early:
            self.offer(done)


@final
class Waiters:
    def __init__(self) -> None:
        self._by_name: dict[str, set[Waiter]] = {}

    def register(self, name: str) -> Waiter:
        waiter = Waiter(name)
        self._by_name.setdefault(name, set()).add(waiter)
        return waiter

    def unregister(self, waiter: Waiter) -> None:
        group = self._by_name.get(waiter.name)
        if group is not None:
            group.discard(waiter)
            if not group:
                del self._by_name[waiter.name]

    def dispatch(self, done: Done) -> None:
        for waiter in tuple(self._by_name.get(done.name, ())):
            waiter.offer(done)

    def wake_all(self) -> None:
        for group in tuple(self._by_name.values()):
            for waiter in tuple(group):
                waiter.offer(LOOK_AGAIN)

    def __len__(self) -> int:
        return sum(len(g) for g in self._by_name.values())
