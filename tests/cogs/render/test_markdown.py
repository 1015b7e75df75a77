"""What a reader sees is what they get: links, code and mentions in untrusted text.

Categories: masked links in plan bodies (every variant shows its real
address, plain URLs stay clickable, the coach's formatting stays); mentions;
cuts that never leave code open, at every cut point; cutting plain text.
Configured coach names are `test_names.py`'s.

The checks (`reader.py`) read the output the simple way a suspicious reader
would (brackets, `](`, backtick runs), independently of how `markdown` parses.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest

from bot.plans import CoachPlan
from bot.plans.market import market_calendar
from cogs.render import limits, markdown, one_plan, overview
from tests.cogs.render.reader import (
    assert_no_masked_link,
    assert_no_mention,
    left_open,
    unescaped,
)

NYSE = market_calendar("NYSE")
DAY = dt.date(2024, 11, 8)
FETCHED = dt.datetime(2024, 11, 8, 14, 0, tzinfo=dt.UTC)
EVIL = "https://evil.example/login"


def a_plan(text: str, **changes: object) -> CoachPlan:
    plan = CoachPlan(
        coach="d", day=DAY, plan=text, charts=(), author="coach_d", found=True, fetched_at=FETCHED
    )
    return dataclasses.replace(plan, **changes)  # type: ignore[arg-type]


# -- masked links --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "shown"),
    [
        (f"Buy here: [my broker]({EVIL})", f"my broker ({EVIL})"),
        (f"[my broker](<{EVIL}>)", f"my broker ({EVIL})"),
        (f"[my broker]( {EVIL} 'Your bank')", f"my broker ({EVIL})"),
        (f"[a [nested] link]({EVIL})", EVIL),
        (f"[[https://bank.example]]({EVIL})", EVIL),
        (f"[https://bank.example]({EVIL})", f"https://bank.example ({EVIL})"),
        (f"[**Log in** to _your_ bank]({EVIL})", f"**Log in** to _your_ bank ({EVIL})"),
        (f"[two\nlines]({EVIL})", f"two\nlines ({EVIL})"),
        (f"[outer [inner](https://a.example) text]({EVIL})", EVIL),
        (f"[[inner](https://bank.example)]({EVIL})", f"(https://bank.example) ({EVIL})"),
        (f"\\\\[after a literal backslash]({EVIL})", f"after a literal backslash ({EVIL})"),
        (f"[no space] ({EVIL}) and [x]\n({EVIL})", EVIL),
        ("[click](javascript:alert(1))", "click (javascript:alert(1))"),
    ],
)
def test_a_masked_link_in_a_plan_shows_its_real_address(body: str, shown: str) -> None:
    """A link's text can claim anything; the reader must see where it goes."""
    text = one_plan.plan_embed(a_plan(body), "Day Trading", calendar=NYSE).description or ""

    assert shown in text
    assert_no_masked_link(text)


def test_the_plan_embed_shows_link_targets_in_the_description_and_the_overview() -> None:
    plan = a_plan(f"Entry 945. [Chart](<{EVIL}>) and [https://bank.example]({EVIL})")

    embed = one_plan.plan_embed(plan, "Day Trading", calendar=NYSE)
    glance = overview.plans_embed({"d": plan}, {"d": "Day Trading"}, DAY, calendar=NYSE)

    assert embed.description is not None and EVIL in embed.description
    assert_no_masked_link(embed.description)
    [excerpt] = [f.value or "" for f in glance.fields]
    assert EVIL in excerpt
    assert_no_masked_link(excerpt)


def test_plain_urls_stay_clickable_and_formatting_stays() -> None:
    body = "**NVDA** _bull flag_: https://www.tradingview.com/x/AbC_12/ and <https://t.example/a_b>"
    assert markdown.plan_body(body) == body


def test_brackets_in_a_plain_url_cannot_start_a_link() -> None:
    text = markdown.plan_body(f"https://ok.example/[bank]({EVIL})")
    assert_no_masked_link(text)


def test_code_keeps_its_brackets_and_the_coachs_escapes_stay() -> None:
    """Inside code nothing is a link; an escaped bracket was never one."""
    body = "`a[0](1)` then ```\nx = [1](2)\n``` and \\[not a link\\]"
    assert markdown.plan_body(body) == body


def test_hostile_bracket_runs_are_handled_in_linear_time() -> None:
    """A plan of 100,000 brackets still renders (the link pattern is bounded)."""
    for body in ("[" * 100_000, "[a" + "]" * 50_000 + "(", "[" + "(" * 50_000):
        assert_no_masked_link(markdown.plan_body(body))


@pytest.mark.parametrize("keep", [0, 1, 7, 40, 100, 1000])
def test_a_body_made_for_a_cut_is_the_same_once_cut(keep: int) -> None:
    """`keep` only skips work that the cut throws away."""
    body = "Levels `945` [chart](<https://c.example/a>) ```\nx [y](z)\n``` @everyone " * 40
    full, kept = markdown.plan_body(body), markdown.plan_body(body, keep=keep)
    assert full.startswith(kept) and len(kept) > min(keep, len(full) - 1)
    assert markdown.cut(kept, keep) == markdown.cut(full, keep)


# -- mentions ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    ["@everyone", "@here now", "<@123>", "<@!123456789012345678>", "<@&123>", "`@everyone`"],
)
def test_mentions_in_a_plan_are_defused(body: str) -> None:
    embed = one_plan.plan_embed(a_plan(body), "Day Trading", calendar=NYSE)
    assert_no_mention(embed.description or "")


def test_author_and_channel_cannot_mention() -> None:
    embed = one_plan.plan_embed(
        a_plan("x", author="<@&123> @everyone", channel="@here"), "Day Trading", calendar=NYSE
    )
    for f in embed.fields:
        assert_no_mention(f.value or "")


# -- cutting code ----------------------------------------------------------------------
CODE_TEXTS = [
    "Levels:\n```py\nentry = 945  # long\nstop = 930\n```\nThen `SPY 590` and ``a `tick` b``.",
    "`one` `two words` ```\nblock with `ticks` inside\n``` `three`",
    "Intro " + "`some code` " * 12 + "end",
    "```" + "x" * 80 + "```",
    "Watch:\n```\nA\n```\n```js\nconsole.log(1)\n```\nDone `x`.",
]


@pytest.mark.parametrize("text", CODE_TEXTS)
@pytest.mark.parametrize("mark", [markdown.ELLIPSIS, one_plan.CUT_MARK])
def test_a_cut_never_leaves_code_open_at_any_cut_point(text: str, mark: str) -> None:
    """An unclosed fence turns the cut mark, and all that follows, into code."""
    assert not left_open(text)
    for limit in range(1, len(text) + 1):
        out = markdown.cut(text, limit, mark)
        assert len(out) <= limit
        assert not left_open(out), (limit, out)


def test_an_escaped_backtick_opens_nothing() -> None:
    text = "an escaped \\` backtick, then `real code` and words"
    assert markdown.cut(text, 40) == "an escaped \\` backtick, then `real`…"


def test_a_cut_inside_code_keeps_what_fits_and_closes_it() -> None:
    text = "Plan:\n```\n" + "line of code\n" * 40 + "```"
    out = markdown.cut(text, 120)
    assert out.startswith("Plan:\n```\nline of code\n") and out.endswith("\n```…")


def test_a_cut_inside_an_opening_falls_before_it() -> None:
    assert markdown.cut("Plan: ```py\nlong code here```", 14) == "Plan:…"
    assert markdown.cut("Plan: `x y z`", 8) == "Plan:…"


def test_a_long_plan_of_code_fits_and_is_closed() -> None:
    levels = "\n".join(f"level {n}: [x](https://c.example/{n})" for n in range(600))
    body = f"```\n{levels}\n```"
    embed = one_plan.plan_embed(a_plan(body), "Day Trading", calendar=NYSE)
    assert embed.description is not None and embed.description.endswith(one_plan.CUT_MARK)
    assert not left_open(embed.description)
    assert len(embed.description) <= limits.DESCRIPTION_LIMIT


def outside_code(text: str) -> str:
    """`text` without its code, as `markdown.code_spans` reads it."""
    parts, done = [], 0
    for start, end, _ in markdown.code_spans(text):
        parts.append(text[done:start])
        done = end
    return "".join(parts) + text[done:]


PIECES = [
    *("`", "``", "```", "````", "```py\n", "\n", " ", "word", "x y z", "**", "_", "\\"),
    *("[", "]", "(", ")", "](", "\\`", "\\[", "@everyone", "<@&1>", "<https://a.example>"),
    *("[x](https://e.example/a)", "[a [b] c](<https://z.example>)", "https://u.example/p_q"),
]


@pytest.mark.parametrize("seed", range(4))
def test_random_markdown_keeps_its_code_and_loses_its_links(seed: int) -> None:
    """Property check on random mixes: code structure kept, no link formed, no cut left open."""
    rng = random.Random(seed)
    for _ in range(15):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 25)))
        body = markdown.plan_body(text)
        spans = markdown.code_spans(body)
        assert len(spans) == len(markdown.code_spans(text)), (text, body)
        assert not unescaped(outside_code(body), "["), (text, body)
        for limit in range(2, len(body) + 1):
            out = markdown.cut(body, limit)
            kept = out.removesuffix(markdown.ELLIPSIS)
            out_spans = markdown.code_spans(out)
            assert {s for s, _, _ in spans if s < len(kept)} <= {s for s, _, _ in out_spans}
            assert all(e <= len(kept) for _, e, _ in out_spans), (body, limit, out)
            assert markdown.cut(markdown.plan_body(text, keep=limit), limit) == out


# -- cutting text ----------------------------------------------------------------------
def test_cut_leaves_short_text_alone() -> None:
    assert markdown.cut("short", 10) == "short"


def test_cut_ends_on_a_word_with_the_mark_within_the_limit() -> None:
    text = "alpha beta gamma delta"
    assert markdown.cut(text, 14) == "alpha beta…"
    assert markdown.cut(text, 14, " [cut]") == "alpha [cut]"


def test_cut_splits_one_huge_word_rather_than_dropping_everything() -> None:
    assert markdown.cut("x" * 50, 10) == "x" * 9 + "…"


def test_cut_with_a_limit_below_the_mark() -> None:
    assert markdown.cut("abcdef", 2, "[cut]") == "[c"


def test_plain_text_cannot_mention_or_format() -> None:
    assert markdown.plain("@everyone **bold**", 100) == "@\u200beveryone \\*\\*bold\\*\\*"
