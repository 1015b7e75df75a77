"""One upstream request per key across processes: a short lock, and waiters woken by pub/sub.

A miss first reads the key with a plain GET: a hit costs that one command
and nothing else (the value carries its own expiry). Only a miss runs the
script (`LOOKUP`) that finds the value after all (written since the GET),
takes the key's lock (`SET NX PX`, a random token) or names the holder. The
holder fetches, keeps its lock alive while it does (a renewal every third of
the lock's TTL, on Redis's clock: real time), then stores, frees the lock
(compare-and-delete) and publishes the answer in one script (`DONE`). The
others wait for that publication, each within its own deadline and at most
the lock's remaining PTTL: a holder that died never publishes, its lock
expires, and the next lookup takes it over.

Commands per waiting caller: the GET and one `LOOKUP`, nothing else when the
holder answers (the value rides in the publication). Each further round
costs one more: a lock that expired under a slow holder, a listener
reconnect, or a holder that gave up. Rounds are capped (`MAX_ROUNDS`), after
which the caller goes on without the tier.

A value this version cannot read (foreign, corrupt, another schema, another
type of key) is a miss: the lookup then ignores it, and the holder's answer
overwrites it. So is a value the caller does not `accept` (a refresh that
wants a newer one than the value near its end).

A caller that would wait while the listener is not subscribed (Redis's
pub/sub lost, or not yet connected) goes to the API instead: nothing could
wake it, and Redis's trouble must not cost it a lock's TTL.

A lookup we gave up on (timeout) may still run in Redis and take the lock for
a caller who has left; a background compare-and-delete undoes it when it can.
When it cannot (it ran first), the lock lives out its TTL, as a dead holder's.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar, final

from ..cache import Key
from .codec import DecodeError, ValueCodec
from .guard import Guard, TierReplyError, TierUnavailable
from .keyspace import Keyspace
from .messages import Done
from .outcomes import Failed, Fetch, Found, Missed, Outcome, Unavailable
from .stats import TierStats
from .waiters import LOOK_AGAIN, Waiter, Waiters

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Lookups one call may make before it gives up on the tier.
MAX_ROUNDS: Final = 8
#: Waited past a lock's PTTL before looking again, so the expiry has happened.
EXPIRY_MARGIN_SECONDS: Final = 0.05


Script = Callable[..., Awaitable[Any]]
#: Whether a value found in Redis, with the seconds it has left (None: not said), will do.
Accept = Callable[[Any, float | None], bool]


@final
class Flight:
    def __init__(
        self,
        *,
        get: Script,
        lookup: Script,
        done: Script,
        release: Script,
        renew: Script,
        keys: Keyspace,
        guard: Guard,
        waiters: Waiters,
        stats: TierStats,
        lock_ttl_seconds: float,
        clock: Callable[[], float],
        wall_clock: Callable[[], float],
        spawn: Callable[[Awaitable[Any]], None],
        listening: Callable[[], bool],
    ) -> None:
        self._get = get
        self._lookup, self._done, self._release, self._renew = lookup, done, release, renew
        self._keys = keys
        self._guard = guard
        self._waiters = waiters
        self._stats = stats
        self._lock_ms = max(1, round(lock_ttl_seconds * 1000))
        self._clock = clock
        self._wall = wall_clock
        self._spawn = spawn
        self._listening = listening

    async def look(
        self, key: Key, codec: ValueCodec[T], accept: Accept | None = None
    ) -> Found[T] | Unavailable | Missed:
        """The hit path alone: one GET of `key`'s value."""
        try:
            raw = await self._guard.run(
                functools.partial(self._get, self._keys.redis_key("fresh", key))
            )
        except TierReplyError:  # another type of key under our name: foreign
            self._stats.decode_failures += 1
            return Missed(True, 1)
        except TierUnavailable as exc:
            return Unavailable(str(exc), int(exc.sent))
        if raw is None:
            return Missed(False, 1)
        found = self._read(raw, codec, accept, None, 1)
        return Missed(True, 1) if found is None else found

    async def load(
        self,
        key: Key,
        codec: ValueCodec[T],
        fetch: Fetch[T],
        deadline_at: float,
        accept: Accept | None = None,
        after: Missed | None = None,
    ) -> Outcome[T]:
        """`look`, then (no hit) the lookups; `after`: the caller looked already."""
        if after is None:
            first = await self.look(key, codec, accept)
            if not isinstance(first, Missed):
                return first
            after = first
        name = self._keys.name(key)
        keys = [self._keys.key_of("fresh", name), self._keys.key_of("lock", name)]
        keys.append(self._keys.generation)
        skip_value = "1" if after.unreadable else "0"
        return await self._lookups(
            name, keys, codec, fetch, deadline_at, accept, skip_value, after.commands
        )

    def _read(
        self,
        raw: bytes,
        codec: ValueCodec[T],
        accept: Accept | None,
        ttl_ms: int | None,
        used: int,
    ) -> Found[T] | None:
        """The value in `raw` as a hit, or None: unreadable (counted) or not accepted."""
        try:
            value, expires_at = codec.decode_with_expiry(raw)
        except DecodeError:
            self._stats.decode_failures += 1
            return None
        if ttl_ms is not None:
            ttl: float | None = ttl_ms / 1000 if ttl_ms > 0 else None
        else:
            ttl = max(0.0, expires_at - self._wall()) if expires_at else None
        if accept is not None and not accept(value, ttl):
            return None
        self._stats.hits += 1
        return Found(value, ttl, "redis", used)

    async def _lookups(
        self,
        name: str,
        keys: list[str],
        codec: ValueCodec[T],
        fetch: Fetch[T],
        deadline_at: float,
        accept: Accept | None,
        skip_value: str,
        used: int,
    ) -> Outcome[T]:
        token = secrets.token_hex(8)
        waited = False
        for _ in range(MAX_ROUNDS):
            waiter = self._waiters.register(name)  # before the lookup: no lost wake-up
            try:
                args = (codec.header, token, self._lock_ms, skip_value)
                try:
                    reply = await self._guard.run(functools.partial(self._lookup, keys, args))
                except TierUnavailable as exc:
                    if exc.sent:  # it may still run, and take the lock for nobody: undo
                        self._spawn(self._give_up(keys[1], Done(name, token, "released"), True))
                    return Unavailable(str(exc), used + int(exc.sent))
                used += 1
                status, data, gen, ms, foreign = reply
                if foreign and skip_value == "0":
                    self._stats.decode_failures += 1
                if status == b"hit":
                    found = self._read(data, codec, accept, ms, used)
                    if found is not None:
                        return found
                    skip_value = "1"
                    continue
                if not waited:
                    self._stats.misses += 1
                if status == b"lock":
                    self._waiters.unregister(waiter)
                    return await self._hold(name, codec, fetch, token, gen, used)
                if not self._listening():  # nothing would wake us: do not sit out the lock
                    return Unavailable("not subscribed to the other processes' news", used)
                if not waited:
                    self._stats.lock_waits += 1
                waited = True
                waiter.expect(data.decode())
                done = await self._wait(waiter, ms, deadline_at)
            finally:
                self._waiters.unregister(waiter)
            if done is None:
                if self._clock() >= deadline_at:
                    self._stats.lock_wait_timeouts += 1
                    return Failed("timeout", True, used)
                continue  # the lock expired: its holder is gone, look again
            if done is LOOK_AGAIN or done.status == "released":
                continue
            if done.status == "failed":
                self._stats.peer_failures += 1
                return Failed(done.detail or "unavailable", False, used)
            try:
                value = codec.decode(done.value)
            except DecodeError:  # another version holds the lock: look again, then fetch
                self._stats.decode_failures += 1
                skip_value = "1"
                continue
            self._stats.peer_answers += 1
            return Found(value, done.ttl_ms / 1000 if done.ttl_ms else None, "peer", used)
        return Unavailable("too many lookups", used)

    async def _wait(self, waiter: Waiter, lock_ms: int, deadline_at: float) -> Done | None:
        """The holder's publication, or None when the deadline or the lock's PTTL passed."""
        left = deadline_at - self._clock()
        try:
            async with asyncio.timeout(max(0.0, min(left, lock_ms / 1000 + EXPIRY_MARGIN_SECONDS))):
                return await waiter.future
        except TimeoutError:
            return None

    async def _hold(
        self, name: str, codec: ValueCodec[T], fetch: Fetch[T], token: str, gen: int, used: int
    ) -> Found[T]:
        """Fetch as the key's one holder; publish the answer (or the failure) however it ends."""
        self._stats.lock_acquired += 1
        lock = self._keys.key_of("lock", name)
        renewal = asyncio.get_running_loop().create_task(self._keep(lock, token))
        try:
            answer = await fetch(gen)
        except asyncio.CancelledError:
            self._spawn(self._give_up(lock, Done(name, token, "released")))
            raise
        except Exception as exc:
            # A holder stopped by its own deadline leaves the key to waiters with more time.
            released = getattr(exc, "by_deadline", False)
            category = str(getattr(exc, "category", "unavailable"))
            done = Done(name, token, "released" if released else "failed", detail=category)
            used += await self._give_up(lock, done)
            raise
        finally:
            renewal.cancel()
        ttl_ms = max(0, round(answer.ttl_seconds * 1000))
        try:
            value = codec.encode(answer.value, expires_at=self._wall() + ttl_ms / 1000)
        except Exception:  # a bug of ours must not cost the caller its answer
            log.exception("shared cache: could not encode the answer for %s", name)
            used += await self._give_up(lock, Done(name, token, "released"))
            return Found(answer.value, answer.ttl_seconds, "upstream", used)
        stale_ms = max(0, round(answer.stale_ttl_seconds * 1000))
        head = Done(name, token, "ok", ttl_ms).head()
        keys = [self._keys.key_of(kind, name) for kind in ("fresh", "stale", "lock")]
        keys.append(self._keys.generation)
        args = (value, ttl_ms, stale_ms, gen, token, self._keys.done_channel, head)
        used += 1
        try:
            stored = await self._guard.run(functools.partial(self._done, keys, args))
        except TierUnavailable:
            pass  # waiters find the lock expired and look again, or give up on the tier
        else:
            if stored:
                self._stats.puts += 1
            elif ttl_ms > 0:
                self._stats.puts_refused += 1
        return Found(answer.value, answer.ttl_seconds, "upstream", used)

    async def _give_up(self, lock: str, done: Done, force: bool = False) -> int:
        """Free the lock if it is ours and tell its waiters (compare-and-delete)."""
        args = (done.token, self._keys.done_channel, done.encode())
        with contextlib.suppress(TierUnavailable):
            await self._guard.run(functools.partial(self._release, [lock], args), force=force)
        return 1

    async def _keep(self, lock: str, token: str) -> None:
        """Renew the lock every third of its TTL until cancelled or no longer ours."""
        while True:
            await asyncio.sleep(self._lock_ms / 3000)
            try:
                if not await self._guard.run(
                    functools.partial(self._renew, [lock], (token, self._lock_ms))
                ):
                    return
            except TierUnavailable:
                continue
