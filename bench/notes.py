"""The words of docs/benchmarks.md: what each figure measures, and why a missed target is missed.

`MISSED[fig]` is printed only while a target of that figure is missed; it
names what limits the figure and the change that would fix it, with the
evidence measured for it: one-off ablations and microbenchmarks run on the same
machine when the note was written (2026-11-25), not part of the generated table.
"""

from __future__ import annotations

from typing import Final

FIGURES: Final = {
    "1": "Cache hit, async",
    "2": "Cache hit, sync facade",
    "3": "Miss",
    "4": "Coalescing",
    "5": "Fan-out",
    "6": "API down",
    "7": "Throughput",
    "8": "Memory",
    "9": "Start-up",
    "10": "The Discord path",
    "11": "Redis tier",
}

INTRO: Final = """
# Benchmarks

How close the plan client and the bot are to what the machine allows, and how
far they are from the earlier synchronous design of the seed report. Generated
by `python -m bench` (this file and `bench/results.json`); do not edit by hand.
CI runs `python -m bench --quick`, which checks that every figure runs, never
its numbers, and writes elsewhere.

**How to read it.** These machines are shared and noisy, so no figure is an
absolute number on its own: each is measured next to a floor (or the seed-style
baseline) in the same run, in rounds (5 in full mode; 3 for the figures that
mostly wait on timers or spawn processes), alternating which side goes first.
"ours" and "floor" are medians over rounds of a per-round statistic (p50, p95,
wall time); the ratio is computed per round and reported as the median with its
spread (min–max over rounds). A row without a target is reported for context.

**The upstream.** `bench/upstream.py`, a minimal Coach Plan API (aiohttp.web)
in its own process on 127.0.0.1, keeping connections alive and answering any
coach and day with a contract-shaped plan after `--delay-ms`. Both sides of
every ratio talk to the same server process. The reference server
(`python -m bot.reference_api`) closes every connection and reads SQLite, so it
would measure a TCP handshake and a database instead of the client.

**The baseline.** `bench/seed_client.py`, the seed report's design rebuilt as
it describes it: a `requests.Session`, an `OrderedDict` LRU with a TTL, linear
sleeps (1 s, 2 s) between its 3 attempts, calls made one after another. It is
kept in `bench/` and never shipped.

Clients keep connections alive (the default connector), library logging defaults (no
handlers configured, so the client's DEBUG/INFO lines are skipped on both sides)
and otherwise their defaults.
"""

NOTES: Final = {
    "1": """
`await client.fetch_coach_plan("d", day)` on a cached key, against an
`@alru_cache(maxsize=100)` coroutine function with the same two arguments that
returns the same plan (a bare async-lru hit). Each round times 20,000 calls
one by one with `perf_counter`; p50 and p95 are of those samples.
""",
    "2": """
`SyncCoachPlanClient.fetch_coach_plan` called from a plain thread (no event loop
in it) on a cached key, against the seed-style client's hit on the same key
(5,000 calls per round). The reference row times the thread hop alone:
`asyncio.run_coroutine_threadsafe` of a coroutine that returns at once, from the
same thread to the facade's loop thread, which is what every facade call pays
before it reaches the cache.
""",
    "3": """
p50 of a fetch of a key the client has never seen (a new past day each call),
against a raw `aiohttp` GET + `json()` on one keep-alive session, same server,
no delay. All variants are interleaved call by call with a rotating order
(400 calls each per round). Reference rows: the raw GET run the way the client
must run it, step by step (in its own task, which coalesced callers share;
shielded, so one caller's cancellation does not end it; under a per-call
`asyncio.timeout`), and an `@alru_cache`-wrapped raw GET (async-lru's own miss
path). They bound what the required behaviour costs by itself; everything the
client adds beyond them (validation, parsing into frozen models, the cached
copy, stale store, metrics, the log line) must fit in the rest.
""",
    "4": """
1,000 concurrent `fetch_coach_plan` calls (one `asyncio.gather`) for one
uncached key: upstream requests counted by the server, and wall time against
one miss of the same client (median of 5 single misses per round). Reference
rows: 1,000 concurrent calls of an `@alru_cache`-wrapped raw GET, and one raw
GET awaited by 1,000 bare tasks, each against one raw GET. At 0 ms the single
miss is well under a millisecond, so the ratio is dominated by the cost of
1,000 callers; it is reported, not targeted.
""",
    "5": """
100 distinct keys with a 20 ms server delay: one `asyncio.gather` through a
client with `max_concurrency=10`, against the seed-style client fetching them in
a loop, and against a client whose limit does not bind (`max_concurrency=100`).
With a limit of 10 the best possible speed-up over the loop is 10x. Every
client is warmed up (connections open) before the timed rounds.
""",
    "6": """
A dead API, with `timeout=0.5` s per attempt and 3 attempts on both sides.
Connection refused: a loopback port bound but not listening. First call: a
fresh client (breaker closed), which retries with full-jitter backoff
(0.5 s, then 1 s caps) and answers with a fallback; the seed-style client
sleeps 1 s then 2 s. Breaker open: the same client once its breaker has opened
(5 failures in a row), 2,000 calls timed one by one; the answer is the
fallback, produced without touching the network. Never answers: a server
process that accepts and reads the request but never replies. The first-call
times vary from round to round by design: the backoff is random (full jitter).
""",
    "7": """
Cache-hit calls per second. One loop: 100 tasks, each looping over
`fetch_coach_plan` on one of 4 cached keys, against the same 100 tasks calling
an `@alru_cache` function. Threads: 8 threads through one
`SyncCoachPlanClient`, against 8 threads sharing one seed-style client. The
ratio is our rate as a fraction of the floor's (1 would match it). The
threads' rate is bounded by the facade's thread hop (figure 2): every call is
served by the one loop thread, so more threads add contention, not calls.
""",
    "8": """
20,000 distinct keys (4 coaches x 5,000 days, 10 at a time) through a client
with `max_cache_size=100` (so the stale store holds 1,000), in a fresh process
(`bench/memory.py`). RSS (from `/proc/self/statm`) and Python's allocated
blocks are read after `gc.collect()` every 1,000 keys; growth is the last
reading minus the 1,000-key reading, flatness the highest reading above it. The
same keys through a bare aiohttp session show the process's own drift. The
latency percentiles of `get_metrics()` come from a window of at most 1,024
samples per endpoint, whatever the number of calls.
""",
    "9": """
Fresh interpreters: `python -c "import bot.plans"` against `python -c "import
aiohttp, async_lru"`, 4 runs a side per round, alternating which goes first.
The targeted row is the import itself, timed with `perf_counter` inside each
interpreter, with bytecode cached (`PYTHONPYCACHEPREFIX` in a temporary
folder, as after any install); the wall time of the whole command is reported
from the same runs. Differences are taken run by run against the floor run
next to it (the median of those pairs), so they can differ from the
difference of the two medians shown. This environment sets
`PYTHONDONTWRITEBYTECODE`, under which `bot.plans` is compiled from source at
every start while site-packages ship compiled: that row is reported as well.
A probe lists any `discord` or `cogs` module that `import bot.plans` loads
(there must be none). End to end: `python -m bot --offline --run "/plan d"`
(its own demo API, SimCord, one command, shutdown), reported.
""",
    "10": """
The real bot, built by `create_bot(Settings.from_env({...}))` as `python -m
bot` builds it (connections closed after use, as offline), in SimCord
(`settle_timeout=15`), in its own process (`bench/discord_path.py`).
`member.slash(channel, "plan", coach="d", date=...)` is timed on a hit (one
cached day) and on a miss (a new day each time), 30 of each per round, against
`/cachestats`, a command that fetches nothing: SimCord's own cost of one
command, about 50 ms here, which is its settle loop's `idle=0.05` polling
interval (it waits for the bot's tasks to finish before an actor verb returns),
not the bot. Timers wrapped around the client's `fetch_coach_plan`,
`one_plan.plan_embed` and the two Discord calls (`defer`, followup `send`) split
a hit into the client's share and the cog's own (render + respond). The
client's share here is one cold call per command (after SimCord's own work,
through the timing wrapper, with a `date` object rather than a string), so it
is larger than figure 1's hot-loop hit; it is still a small part of a command.
""",
    "11": """
The shared tier (`redis_url=`) on a real redis-server started on loopback (nothing on
disk); without one the figure reports a row saying so. Redis-tier hit: a client with
`max_cache_size=1` alternating two keys, so every call misses its process cache and is
answered by one Redis GET (the row's note checks every call was), against redis-py's
async `GET` of the same two keys (the floor) and a process-cache hit. The reference
rows add to the raw GET what the tier must do anyway: a timeout around the command
(`asyncio.timeout`, 50 ms), then decoding the stored value. What limits the hit: those
two cost most of the gap (about 1.2x and 1.45x of the floor), leaving the client's
own path (adopting the value into an entry, the process cache's insert and eviction)
about 0.2x; 1.3x would need a cheaper bound than a timer per GET (a socket timeout on
the connection) and a lighter decode. Processes: 8 processes (`python -m
bench.figures_redis worker`), each making 1,000 concurrent calls of one uncached key
(20 ms server delay); upstream requests counted by the server; round trips as the
clients count them (a script is one), commands as Redis counts them (INFO
commandstats, including those run inside the scripts). What limits it: on 2 cores, 8
processes each starting 1,000 tasks stall their loops past the default
`redis_timeout_seconds` (50 ms, on the loop's clock), so some lookups time out, those
processes back off and ask the API themselves; with 0.5 s (reference row) the same
crowd makes one request. Redis down: `redis_url` on a loopback port bound but never
listening (connection refused), against a client without `redis_url`: a hit never
touches Redis; a miss tries it once, then skips it while backing off (the note says
how often it tried), so it costs one refused connection per back-off period.
""",
}

MISSED: Final[dict[str, str]] = {
    "2": """
The thread hop. Every facade call, a hit included, goes through
`asyncio.run_coroutine_threadsafe(...).result()`: a coroutine object, a
`concurrent.futures.Future`, a write to the loop's self-pipe, a wake-up of the
loop thread, a callback back and a wake-up of the caller. The reference row
shows the hop alone already costs some 50x a seed-style hit; the cache lookup
on the loop adds the rest. No tuning of the hop reaches 3x; the fix is to not
hop on a hit. `SyncCoachPlanClient` can keep a thread-safe snapshot of fresh
answers, `{(coach, day): (expires_at, cached plan)}`, written on the loop
thread whenever the client stores an entry (and dropped by `clear_cache`),
and answer a fresh hit in the calling thread after the same key
normalisation the async client memoises, counting it in the client's
metrics; a miss, an expired entry or an entry past its refresh-ahead mark
still goes to the loop. Measured with a 20-line prototype of that snapshot
(not shipped): a hit from a plain thread took 0.51 µs at p50 against the
seed-style client's 1.63 µs, 0.31x, five rounds out of five. It would also
lift figure 7's 8-thread throughput, which the hop bounds today (one loop
thread serves every call, so threads add contention, not throughput).
""",
    "3": """
What is left is the client's own Python on the miss path, and how deep it
runs. Done since the first run (1.47x): the cached copy is one positional
constructor call instead of `dataclasses.replace`, the day comes from the
memoised `today_iso()`, one `ClientTimeout` is reused while the budget is the
full `timeout`, a body of known length is read in one `read()`, and callers
joining a load arm no timer. An interleaved A/B on this machine, new key each
call, against the same upstream (2026-11-25, not part of the table): the
transport alone (`Upstream.get_json`) 1.05-1.07x of the raw GET; plus parsing
and building the entry (`PlanFetcher.fetch`) 1.13x; the full miss 1.26-1.5x
across runs, the spread following the machine's load. The required part (own task, shield,
deadline) and async-lru's own miss are 1.11-1.13x here, so the layers between
the caller and the fetch (async-lru's task and shield, `PlanCache`, the
client's `_get` with its deadline) cost about 0.15x, more than their warm
micro-benchmarks (a few µs each) suggest: every I/O wake-up of the load
resumes a chain of about nine coroutine frames (`PlanCache._load`,
`client._load`, `PlanFetcher.fetch`, `Upstream.get_json`, `_attempt`,
`_read_json`, aiohttp's). What would fix it: a flatter load path (the cache
calling the fetcher directly, `_read_json` folded into `_attempt`), and
building the entry without a second `CoachPlan` for hits (mark `from_cache` on
the entry and let hits read it from there). Expect 0.05-0.1x from each.
""",
    "4": """
async-lru's per-waiter cost, on a machine slower than the issue's. Done since
the first run (2.73x): a caller that joins a load already under way with a
deadline no earlier than the load's arms no timer of its own (the load is
bounded by its own deadline: per-attempt budgets, and a wait for a connection
slot that is bounded too), which brought the client from 66 µs to about 45 µs
per joining caller. The reference rows of the same run show async-lru's own
coalescing (2.1-2.6x of one raw GET here across runs, as the machine's load
varies; the issue measured 1.9-2.0x on its machine) and 1,000 bare tasks
(1.5-1.7x): the client stays within about 0.1-0.2x of async-lru alone.
Meeting <= 2.0x on this machine needs coalescing below async-lru's per-waiter
path (its `__call__`, a wrapper coroutine and a `shield` per waiter). Measured
apart (1,000 joiners of one 20 ms load, 7 rounds): bare `await task` 1.43x,
`asyncio.shield(task)` 1.68x, `asyncio.wait((task,))` 1.75x, async-lru 2.10x.
Joiners shielding the load's task directly would save about 0.4x, but
async-lru cancels a load when the last waiter *it counts* leaves, so uncounted
joiners would lose the load whenever its first caller is cancelled (the
cancellation rule of the resilience issue). Doing it safely means running the
upstream fetch in a task of its own under async-lru's (about +0.03x on figure
3) and registering it for joiners; we kept the simpler, safe path.
""",
    "9": """
Module execution: this environment sets PYTHONDONTWRITEBYTECODE, and
without a bytecode cache Python compiles `bot.plans` from source at every
start (24 ms of `compile` in a profile), while site-packages ship compiled;
with the cache (any normal install) the difference is well inside the target.
Of what remains, most is `dataclasses` building six classes (0.8-1.4 ms each
on this machine), `zoneinfo` (3 ms) and the `sync` facade (1.5 ms). A lazy
`SyncCoachPlanClient` import (module `__getattr__`) and plain `__slots__`
classes for `Reply` and `Entry` would cut it further.
""",
}
