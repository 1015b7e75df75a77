"""The words of docs/benchmarks.md: what each figure measures, and why a missed target is missed.

`MISSED[fig]` is printed only while a target of that figure is missed; it
names what limits the figure and the change that would fix it, with the
evidence measured for it (see the ablation notes, which are one-off
measurements on the same machine, not part of the generated table).
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
(`python -m bot.plans.server`) closes every connection and reads SQLite, so it
would measure a TCP handshake and a database instead of the client.

**The baseline.** `bench/seed_client.py`, the seed report's design rebuilt as
it describes it: a `requests.Session`, an `OrderedDict` LRU with a TTL, linear
sleeps (1 s, 2 s) between its 3 attempts, calls made one after another. It is
kept in `bench/` and never shipped.

Clients use `force_close=False` (keep-alive), library logging defaults (no
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
must run it (in its own task, shielded, under `asyncio.timeout`), and an
`@alru_cache`-wrapped raw GET (async-lru's own miss path). They bound what the
required behaviour costs by itself; everything the client adds beyond them
(validation, parsing into frozen models, the cached copy, stale store,
metrics, the log line) is the rest.
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
process that accepts and reads the request but never replies.
""",
    "7": """
Cache-hit calls per second. One loop: 100 tasks, each looping over
`fetch_coach_plan` on one of 4 cached keys, against the same 100 tasks calling
an `@alru_cache` function. Threads: 8 threads through one
`SyncCoachPlanClient`, against 8 threads sharing one seed-style client. The
ratio is the floor's rate over ours (how many times more calls the floor makes).
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
Fresh interpreters, timed from the parent: `python -c "import bot.plans"`
against `python -c "import aiohttp, async_lru"` (median of 6 runs per round,
interleaved), and a probe that lists any `discord` or `cogs` module loaded by
`import bot.plans` (there must be none). End to end: `python -m bot --offline
--run "/plan d"` (its own demo API, SimCord, one command, shutdown), reported.
""",
    "10": """
The real bot, built by `create_bot(Settings.from_env({...}))` as `python -m
bot` builds it (connections closed after use, as offline), in SimCord
(`settle_timeout=15`), in its own process (`bench/discord_path.py`).
`member.slash(channel, "plan", coach="d", date=...)` is timed on a hit (one
cached day) and on a miss (a new day each time), 30 of each per round, against
`/cachestats`, a command that fetches nothing: SimCord's own cost of one
command. Timers wrapped around the client's `fetch_coach_plan`,
`render.plan_embed` and the two Discord calls (`defer`, followup `send`) split
a hit into the client's share and the cog's own (render + respond).
""",
}

MISSED: Final[dict[str, str]] = {}
