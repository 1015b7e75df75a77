"""What a reader sees is what they get: links, code and mentions in untrusted text.

Categories: masked links in plan bodies (every variant shows its real
address, plain URLs stay clickable, the coach's formatting stays); mentions;
cuts that never leave code open, at every cut point; configured coach names
escaped in titles, fields, choices, the /plans overview and replies.

The checks here read the output the simple way a suspicious reader would
(brackets, `](`, backtick runs), independently of how `render` parses.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import re

import pytest

from bot.plans import CoachPlan, InvalidInput, inputs
from bot.plans.market import market_calendar
from cogs import options, render

NYSE = market_calendar("NYSE")
DAY = dt.date(2024, 11, 8)
FETCHED = dt.datetime(2024, 11, 8, 14, 0, tzinfo=dt.UTC)
EVIL = "https://evil.example/login"


def a_plan(text: str, **changes: object) -> CoachPlan:
    plan = CoachPlan(
        coach="d", day=DAY, plan=text, charts=(), author="coach_d", found=True, fetched_at=FETCHED
    )
    return dataclasses.replace(plan, **changes)  # type: ignore[arg-type]


def without_code(text: str) -> str:
    """`text` with fenced blocks and inline spans removed, read the simplest way."""
    parts = text.split("```")
    prose = "".join(parts[0::2])
    return re.sub(r"(`+)[^`]+?\1(?!`)", "", prose)


def unescaped(text: str, chars: str) -> list[str]:
    """The characters of `chars` in `text` that no backslash escapes."""
    return re.findall(rf"(?<!\\)(?:\\\\)*([{re.escape(chars)}])", text)


def assert_no_masked_link(text: str) -> None:
    prose = without_code(text)
    assert "](" not in prose, text
    assert not unescaped(prose, "["), text


def assert_no_mention(text: str) -> None:
    assert not re.search(r"@(everyone|here)", text, re.IGNORECASE), text
    assert not re.search(r"<@[!&]?\d", text), text


def left_open(text: str) -> bool:
    """Whether a code block or inline span is left open: fences pair, then runs pair by length."""
    parts = text.split("```")
    if len(parts) % 2 == 0:
        return True
    opener = None
    for run in re.findall(r"`+", "".join(parts[0::2])):
        if opener is None:
            opener = run
        elif run == opener:
            opener = None
    return opener is not None


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
    text = render.plan_embed(a_plan(body), "Day Trading", calendar=NYSE).description or ""

    assert shown in text
    assert_no_masked_link(text)


def test_the_plan_embed_shows_link_targets_in_the_description_and_the_overview() -> None:
    plan = a_plan(f"Entry 945. [Chart](<{EVIL}>) and [https://bank.example]({EVIL})")

    embed = render.plan_embed(plan, "Day Trading", calendar=NYSE)
    overview = render.plans_embed({"d": plan}, {"d": "Day Trading"}, DAY, calendar=NYSE)

    assert embed.description is not None and EVIL in embed.description
    assert_no_masked_link(embed.description)
    [excerpt] = [f.value or "" for f in overview.fields]
    assert EVIL in excerpt
    assert_no_masked_link(excerpt)


def test_plain_urls_stay_clickable_and_formatting_stays() -> None:
    body = "**NVDA** _bull flag_: https://www.tradingview.com/x/AbC_12/ and <https://t.example/a_b>"
    assert render.plan_body(body) == body


def test_brackets_in_a_plain_url_cannot_start_a_link() -> None:
    text = render.plan_body(f"https://ok.example/[bank]({EVIL})")
    assert_no_masked_link(text)


def test_code_keeps_its_brackets_and_the_coachs_escapes_stay() -> None:
    """Inside code nothing is a link; an escaped bracket was never one."""
    body = "`a[0](1)` then ```\nx = [1](2)\n``` and \\[not a link\\]"
    assert render.plan_body(body) == body


def test_hostile_bracket_runs_are_handled_in_linear_time() -> None:
    """A plan of 100,000 brackets still renders (the link pattern is bounded)."""
    for body in ("[" * 100_000, "[a" + "]" * 50_000 + "(", "[" + "(" * 50_000):
        assert_no_masked_link(render.plan_body(body))


@pytest.mark.parametrize("keep", [0, 1, 7, 40, 100, 1000])
def test_a_body_made_for_a_cut_is_the_same_once_cut(keep: int) -> None:
    """`keep` only skips work that the cut throws away."""
    body = "Levels `945` [chart](<https://c.example/a>) ```\nx [y](z)\n``` @everyone " * 40
    full, kept = render.plan_body(body), render.plan_body(body, keep=keep)
    assert full.startswith(kept) and len(kept) > min(keep, len(full) - 1)
    assert render.cut(kept, keep) == render.cut(full, keep)


# -- mentions ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    ["@everyone", "@here now", "<@123>", "<@!123456789012345678>", "<@&123>", "`@everyone`"],
)
def test_mentions_in_a_plan_are_defused(body: str) -> None:
    embed = render.plan_embed(a_plan(body), "Day Trading", calendar=NYSE)
    assert_no_mention(embed.description or "")


def test_author_and_channel_cannot_mention() -> None:
    embed = render.plan_embed(
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
@pytest.mark.parametrize("mark", [render.ELLIPSIS, render.CUT_MARK])
def test_a_cut_never_leaves_code_open_at_any_cut_point(text: str, mark: str) -> None:
    """An unclosed fence turns the cut mark, and all that follows, into code."""
    assert not left_open(text)
    for limit in range(1, len(text) + 1):
        out = render.cut(text, limit, mark)
        assert len(out) <= limit
        assert not left_open(out), (limit, out)


def test_an_escaped_backtick_opens_nothing() -> None:
    text = "an escaped \\` backtick, then `real code` and words"
    assert render.cut(text, 40) == "an escaped \\` backtick, then `real`…"


def test_a_cut_inside_code_keeps_what_fits_and_closes_it() -> None:
    text = "Plan:\n```\n" + "line of code\n" * 40 + "```"
    out = render.cut(text, 120)
    assert out.startswith("Plan:\n```\nline of code\n") and out.endswith("\n```…")


def test_a_cut_inside_an_opening_falls_before_it() -> None:
    assert render.cut("Plan: ```py\nlong code here```", 14) == "Plan:…"
    assert render.cut("Plan: `x y z`", 8) == "Plan:…"


def test_a_long_plan_of_code_fits_and_is_closed() -> None:
    levels = "\n".join(f"level {n}: [x](https://c.example/{n})" for n in range(600))
    body = f"```\n{levels}\n```"
    embed = render.plan_embed(a_plan(body), "Day Trading", calendar=NYSE)
    assert embed.description is not None and embed.description.endswith(render.CUT_MARK)
    assert not left_open(embed.description)
    assert len(embed.description) <= render.DESCRIPTION_LIMIT


def outside_code(text: str) -> str:
    """`text` without its code, as `render` reads it."""
    parts, done = [], 0
    for start, end, _ in render.code_spans(text):
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
        body = render.plan_body(text)
        spans = render.code_spans(body)
        assert len(spans) == len(render.code_spans(text)), (text, body)
        assert not unescaped(outside_code(body), "["), (text, body)
        for limit in range(2, len(body) + 1):
            out = render.cut(body, limit)
            kept = out.removesuffix(render.ELLIPSIS)
            out_spans = render.code_spans(out)
            assert {s for s, _, _ in spans if s < len(kept)} <= {s for s, _, _ in out_spans}
            assert all(e <= len(kept) for _, e, _ in out_spans), (body, limit, out)
            assert render.cut(render.plan_body(text, keep=limit), limit) == out


# -- coach names -----------------------------------------------------------------------
HOSTILE_NAMES = {
    "b": "**Bold** [x](https://evil.example)",
    "r": "<@&123>",
    "e": "@everyone",
    "u": "__Under__ ~~strike~~ ||spoiler|| `code` # Head",
}


def assert_escaped(text: str) -> None:
    """No formatting, link or mention that came from a name survives."""
    assert_no_mention(text)
    assert "](" not in text and not unescaped(text, "[")
    assert not unescaped(text, "*_~|`"), text


def test_coach_names_are_escaped_in_the_plan_embed() -> None:
    for cid, name in HOSTILE_NAMES.items():
        found = render.plan_embed(a_plan("x", coach=cid), name, calendar=NYSE)
        missing = render.plan_embed(CoachPlan.missing(cid, DAY, FETCHED), name, calendar=NYSE)
        assert_escaped(found.title or "")
        assert_escaped(missing.title or "")
        assert_escaped(missing.description or "")


def test_coach_names_are_escaped_in_the_overview() -> None:
    plans = {cid: a_plan("x", coach=cid) for cid in HOSTILE_NAMES}
    embed = render.plans_embed(plans, HOSTILE_NAMES, DAY, calendar=NYSE)
    assert len(embed.fields) == len(HOSTILE_NAMES)
    for f in embed.fields:
        assert_escaped(f.name or "")


def test_coach_names_are_escaped_in_autocomplete_choices() -> None:
    choices = options.coach_choices("", HOSTILE_NAMES)
    assert [c.value for c in choices] == list(HOSTILE_NAMES)
    for choice in choices:
        assert_escaped(choice.name)
        assert len(choice.name) <= options.CHOICE_NAME_LIMIT


def test_coach_names_are_escaped_in_the_cleared_cache_reply() -> None:
    for name in HOSTILE_NAMES.values():
        assert_escaped(render.cleared_text(2, name, DAY))


def test_coach_names_are_escaped_in_the_bad_input_reply() -> None:
    with pytest.raises(InvalidInput) as caught:
        inputs.parse_coach("nobody", HOSTILE_NAMES)
    text = options.bad_input_text(caught.value)
    assert "nobody" in text
    assert_escaped(text)


def test_an_escaped_name_reads_as_written() -> None:
    """Escaping adds backslashes only; Discord shows the name exactly as configured."""
    for name in [*HOSTILE_NAMES.values(), "Day Trading", "News/Events", "a\\b", "- dash"]:
        escaped = render.escape(name)
        assert (
            re.sub(r"\\(.)", r"\1", escaped)
            .replace(render.ZERO_WIDTH_SPACE, "")
            .replace("%5D", "]")
            == name
        )
