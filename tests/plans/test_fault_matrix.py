"""The fault matrix: every way the API can fail, one row each, and docs/reliability.md.

Each row injects one persistent fault into the loopback contract server and
checks, for a key with no earlier answer and for one with a stale copy: what
the caller gets, how many attempts reached the server, how long the call took
on the injected clock, and that the first call after the server recovers
succeeds. `docs/reliability.md` is rendered from this table and compared by
`test_reliability_doc_matches_the_matrix`, so the doc cannot drift; run
`REGENERATE_DOCS=1 pytest tests/plans/test_fault_matrix.py` after changing a row.

No row waits for real time, so none depends on the machine's speed: the client
has its default 10 s per attempt, which a working answer never comes near, and
a hang or a trickle times it out by jumping the event loop's clock past it
(`clock_jump`) once the request has reached the server.
"""

from __future__ import annotations

import dataclasses
import email.utils
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver

if TYPE_CHECKING:  # a TypedDict only since aiohttp 3.10; a plain dict before
    from aiohttp.abc import ResolveResult

from bot.plans import CoachPlanClient
from tests.conftest import TODAY, FakeTime
from tests.contract_server import ContractServer, Fault

Make = Callable[..., CoachPlanClient]
DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"
TIMEOUT = 10  # seconds per attempt, the default: only a stalled answer (clock jump) reaches it
STALL = TIMEOUT + 1  # how far a hang or a trickle jumps the loop's clock


@dataclasses.dataclass(frozen=True)
class Row:
    name: str
    fault: Callable[[], Fault] | None  # None: the row sets its own failure up
    outcome: str  # what a caller without a stale copy gets
    category: str | None
    attempts: int
    clock: tuple[float, float]  # seconds on the injected clock, low..high


def _http_date(seconds_ahead: float) -> str:
    return email.utils.formatdate(time.time() + seconds_ahead, usegmt=True)


ROWS = [
    Row("connection refused", None, "fallback", "unavailable", 0, (1.5, 1.5)),
    Row("accepts, never answers", lambda: Fault("hang", times=99, clock_jump=STALL), "fallback", "timeout", 3, (1.5, 1.5)),
    Row("body trickled slower than the timeout",
        lambda: Fault("trickle", times=99, interval=0.2, clock_jump=STALL), "fallback", "timeout", 3, (1.5, 1.5)),
    Row("500", lambda: Fault("status", status=500, times=99), "fallback", "unavailable", 3, (1.5, 1.5)),
    Row("502 with an HTML error page",
        lambda: Fault("status", status=502, html=True, times=99), "fallback", "unavailable", 3, (1.5, 1.5)),
    Row("503 without Retry-After",
        lambda: Fault("status", status=503, times=99), "fallback", "unavailable", 3, (1.5, 1.5)),
    Row("503 with Retry-After: 2",
        lambda: Fault("status", status=503, retry_after="2", times=99), "fallback", "unavailable", 3, (4, 4)),
    Row("429 with Retry-After: 3 (seconds)",
        lambda: Fault("status", status=429, retry_after="3", times=99), "fallback", "unavailable", 3, (6, 6)),
    Row("429 with Retry-After as an HTTP-date (+4 s)",
        lambda: Fault("status", status=429, retry_after=_http_date(4), times=99),
        "fallback", "unavailable", 3, (5, 8)),
    Row("Retry-After (60 s) longer than the deadline (15 s)",
        lambda: Fault("status", status=503, retry_after="60", times=99), "fallback", "unavailable", 1, (0, 0)),
    Row("invalid JSON", lambda: Fault("invalid_json", times=99), "fallback", "bad_response", 1, (0, 0)),
    Row("200 with an HTML page", lambda: Fault("html", times=99), "fallback", "bad_response", 1, (0, 0)),
    Row("10 MiB body", lambda: Fault("huge", times=99), "fallback", "bad_response", 1, (0, 0)),
    Row("wrong field types", lambda: Fault("wrong_types", times=99), "fallback", "bad_response", 1, (0, 0)),
    Row("200 with an `error` key", lambda: Fault("error_200", times=99), "fallback", "bad_response", 1, (0, 0)),
    Row("connection dropped mid-body",
        lambda: Fault("cut", times=99), "fallback", "bad_response", 3, (1.5, 1.5)),
    Row("400 (refused request)", lambda: Fault("status", status=400, times=99), "fallback", "rejected", 1, (0, 0)),
    Row("404 (another deployment's \"no plan\")",
        lambda: Fault("not_found_404", times=99), "no plan", None, 1, (0, 0)),
    Row("host name that does not resolve", None, "fallback", "unavailable", 0, (1.5, 1.5)),
    Row("gzip body inflating to 64 MiB (Content-Length: the compressed size)",
        lambda: Fault("bomb", size=64 << 20, times=99), "fallback", "bad_response", 1, (0, 0)),
    Row("deflate body inflating to 64 MiB, chunked (no Content-Length)",
        lambda: Fault("bomb", size=64 << 20, encoding="deflate", chunked=True, times=99),
        "fallback", "bad_response", 1, (0, 0)),
    Row("JSON nested 100,000 deep", lambda: Fault("deep_json", size=100_000, times=99),
        "fallback", "bad_response", 1, (0, 0)),
    Row("text with lone surrogates (repaired, U+FFFD)", lambda: Fault("surrogates", times=99),
        "fresh", None, 1, (0, 0)),
    Row("503 with a Retry-After that is neither digits nor a date ('²')",
        lambda: Fault("status", status=503, retry_after="²", times=99),
        "fallback", "unavailable", 3, (1.5, 1.5)),
]  # fmt: skip


class SwitchableResolver(AbstractResolver):
    """Our seam for DNS: `plans.invalid` fails like a real lookup until `up` is set.

    It answers without any network traffic, and then only with 127.0.0.1.
    """

    def __init__(self) -> None:
        self.up = False

    async def resolve(
        self, host: str, port: int = 0, family: int = socket.AF_INET
    ) -> list[ResolveResult]:
        if not self.up or host != "plans.invalid":
            raise OSError(socket.EAI_NONAME, f"Name or service not known: {host}")
        result: ResolveResult = {"hostname": host, "host": "127.0.0.1", "port": port,
                                 "family": socket.AF_INET, "proto": 0,
                                 "flags": socket.AI_NUMERICHOST}  # fmt: skip
        return [result]

    async def close(self) -> None:
        return None


def kind_of(plan: Any) -> str:
    if plan["stale"]:
        return "stale"
    if plan["error"]:
        return "fallback"
    if not plan["found"]:
        return "no plan"
    return "cached" if plan["from_cache"] else "fresh"


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
async def test_fault_row(
    row: Row, make_client: Make, fake_time: FakeTime, unused_port: int
) -> None:
    """Each failure mode gives a stale copy or a clear fallback, and recovery is immediate."""
    server = ContractServer()
    resolver = SwitchableResolver()
    options: dict[str, Any] = {"timeout": TIMEOUT, "rand": lambda: 1.0, "breaker_failures": 1000,
                               "cache_ttl_seconds": 60, "refresh_ahead_ratio": 0}  # fmt: skip
    if row.name == "connection refused":
        await server.start(unused_port)
        await server.stop()
        base = f"http://127.0.0.1:{unused_port}"
    else:
        await server.start()
        base = server.url
    if row.name.startswith("host name"):
        port = server.url.rsplit(":", 1)[1]
        base = f"http://plans.invalid:{port}"
        options["connector_factory"] = lambda: aiohttp.TCPConnector(
            resolver=resolver, use_dns_cache=False, force_close=True
        )
        resolver.up = True
    try:
        client = make_client(api_base_url=base, **options)
        for coach in "dis":
            server.add_plan(coach, TODAY, f"plan {coach}")
        if row.name == "connection refused":
            await server.start(unused_port)
        primed = await client.fetch_coach_plan("d", TODAY)
        assert kind_of(primed) == "fresh"
        fake_time.advance(61)  # past the TTL: the next call must go upstream

        # The fault, persistent until the server "recovers".
        if row.name == "connection refused":
            await server.stop()
        elif row.name.startswith("host name"):
            resolver.up = False
        else:
            assert row.fault is not None
            server.faults.append(row.fault())
        hits_before = sum(server.hits.values())
        started = fake_time.clock()
        without_copy = await client.fetch_coach_plan("i", TODAY)
        elapsed = fake_time.clock() - started
        attempts = sum(server.hits.values()) - hits_before

        assert kind_of(without_copy) == row.outcome
        assert without_copy["error"] == row.category
        if row.outcome == "fresh":  # repaired text: encodable, the damage marked
            for text in (without_copy["plan"], without_copy["author"], *without_copy["charts"]):
                text.encode("utf-8")
            assert without_copy["plan"] == "\ufffdplan i\ufffd"
        assert attempts == row.attempts
        assert row.clock[0] <= round(elapsed, 2) <= row.clock[1]
        if row.outcome == "fallback":
            assert without_copy["charts"] == () and base not in without_copy["plan"]
            with_copy = await client.fetch_coach_plan("d", TODAY)
            assert kind_of(with_copy) == "stale" and with_copy["plan"] == "plan d"
            assert with_copy["fetched_at"] == primed["fetched_at"]

        # Recovery: the very next call succeeds.
        server.faults.clear()
        if row.name == "connection refused":
            await server.start(unused_port)
        resolver.up = True
        recovered = await client.fetch_coach_plan("s", TODAY)
        assert kind_of(recovered) == "fresh" and recovered["plan"] == "plan s"
    finally:
        await server.stop()


def render_doc() -> str:
    lines = [
        "# Reliability: the fault matrix",
        "",
        "What a caller of `fetch_coach_plan` gets when the Coach Plan API fails, one row per",
        "failure mode. Generated from `tests/plans/test_fault_matrix.py`, whose tests assert",
        "every cell against a real loopback server; a test fails if this file drifts.",
        "",
        f"Client settings: timeout {TIMEOUT} s per attempt (the default), `max_retries=3`",
        "(attempts), deadline 15 s, backoff at its full-jitter cap (0.5 s, then 1.0 s),",
        "breaker out of the way (it has its own tests). *Attempts* counts requests that",
        "reached the server; *clock* is time spent waiting on the client's injected clock",
        "(backoff and Retry-After), not the timeouts or wall time. With a stale copy of",
        "the key, every failure row answers that copy (`stale` True, its `fetched_at` kept)",
        "instead of the fallback. After each fault the server recovers and the very next",
        "call answers fresh.",
        "",
        "| failure | answer (no stale copy) | `error` | attempts | clock (s) | with a stale copy | after recovery |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in ROWS:
        clock = f"{r.clock[0]:g}" if r.clock[0] == r.clock[1] else f"{r.clock[0]:g}–{r.clock[1]:g}"
        stale = "stale copy" if r.outcome == "fallback" else "—"
        lines.append(f"| {r.name} | {r.outcome} | {r.category or '—'} | {r.attempts} | {clock} "
                     f"| {stale} | fresh |")  # fmt: skip
    lines += [
        "",
        "Categories: `timeout` (no answer in time), `unavailable` (connection refused,",
        "DNS, 5xx, 429), `bad_response` (an answer that breaks the contract),",
        "`rejected` (a 4xx other than 429: not retried, and not a failure of the API).",
        "Fallback text is fixed per category and never holds the URL or exception text.",
        "",
        "## Beyond single calls",
        "",
        "- **Deadline**: every call ends within its deadline (`deadline_seconds`, default 15,",
        "  or `deadline=` per call); a Retry-After or backoff that does not fit ends it at once.",
        "- **Backoff** (defaults): exponential with full jitter, the wait before retry *n* uniform",
        "  in `[0, min(wait_max, wait_initial * wait_exp_base ** (n - 1))]` with `wait_initial`",
        "  0.5 s, `wait_max` 5 s, `wait_exp_base` 2; `max_retries` (3) counts attempts. A",
        "  `Retry-After` on 429/503 (seconds or HTTP-date) replaces the backoff when it fits.",
        "- **Stale copies**: the last good answer per key is kept `stale_ttl_seconds` (86400),",
        "  at most 10 x `max_cache_size` keys, and served marked `stale` when a fetch fails.",
        "- **Freshness**, by trading session: the current session's plans are cached",
        '  `cache_ttl_seconds` (3600) and its "no plan" `not_found_ttl_seconds` (60); closed',
        '  sessions, plan or "no plan", `past_ttl_seconds` (86400); a hit in the last',
        "  `refresh_ahead_ratio` (0.1) of a TTL refreshes the key in the background.",
        "- **Circuit breaker**: after `breaker_failures` (5) failed requests in a row, calls",
        "  answer at once (stale or `unavailable`) for `breaker_cooldown_seconds` (30), then",
        '  one probe decides. 4xx and "no plan" answers do not count as failures.',
        "- **Overload**: at most `max_concurrency` (10) requests in flight per client.",
        "- **Cancellation**: a cancelled caller never cancels a fetch others wait on.",
        "- **Bodies**: the size limit (`max_body_bytes`, 1 MiB) holds on the decoded bytes,",
        "  read in chunks, whatever the content encoding or Content-Length; any body the client",
        "  cannot use (too deep, not JSON, wrong shape) is `bad_response`, counted, and answered",
        "  with a stale copy when there is one. Unencodable text is repaired on the way in.",
        "- **Clears**: a clear wins over every load that started before it (a plan, `/all` or",
        "  a background refresh in flight never writes its answer back afterwards), and an",
        "  older load never overwrites a newer answer: one answer per key.",
        "- **Joining**: a caller joining a load in flight (a background refresh included) still",
        "  answers within its own deadline.",
        "- **Close**: after `close()` no request is sent and no session made; every call, and",
        "  every call cut short by the close, raises the same RuntimeError. The blocking",
        "  facade refuses to work in a forked child and is closed at interpreter exit.",
        "- **Settings**: constructor keywords pass the environment's checks (no NaN, no",
        "  infinity, no query in the base URL, no repeated coach id).",
        "- **Soak**: `tests/plans/test_soak.py` runs thousands of mixed calls against ~20 %",
        "  injected faults of every kind and checks the invariants above.",
        "",
    ]
    return "\n".join(lines)


def test_reliability_doc_matches_the_matrix() -> None:
    """docs/reliability.md is exactly the matrix the row tests assert."""
    text = render_doc()
    if os.environ.get("REGENERATE_DOCS"):
        DOC.parent.mkdir(exist_ok=True)
        DOC.write_text(text, encoding="utf-8")
    assert DOC.read_text(encoding="utf-8") == text, "run: REGENERATE_DOCS=1 pytest " + __file__
