"""What a suspicious reader checks in rendered text: links, mentions, formatting, open code.

These read the output the simple way (brackets, `](`, backtick runs),
independently of how `cogs.render.markdown` parses, so the unit tests here and
the SimCord wiring in `tests/cogs/test_untrusted_text.py` judge it the same way.
"""

from __future__ import annotations

import re


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


def assert_escaped(text: str) -> None:
    """No formatting, link or mention that came from a name survives."""
    assert_no_mention(text)
    assert "](" not in text and not unescaped(text, "[")
    assert not unescaped(text, "*_~|`"), text


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
