"""A compact word diff: what an edit changed, as words in context, within a length.

Removed words show as `~~old~~` and added ones as `**new**` (strikethrough and
bold in Discord and most markdown), with a few unchanged words around each
change and `…` for the unchanged text between changes; the whole stays within
`limit` characters, ending in `…` when it had to stop. Words are what
whitespace separates, so an edit of spacing or line breaks alone changes no
word: the diff is then "" and the caller says so in its own words.

Every word goes through `escape` before it is marked: the bot escapes Discord
markdown (a plan's words must not format, link or mention), agents get the
words as written. The matching is difflib's `SequenceMatcher` on words, and
only the first `MAX_WORDS` of each text are compared, which bounds the work a
huge text can cause on the event loop.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Final, Literal

#: Unchanged words shown on each side of a change.
CONTEXT_WORDS: Final = 3
#: Fewer unchanged words than this between two contexts are shown, not replaced by GAP.
MIN_GAP_WORDS: Final = 3
DEFAULT_LIMIT: Final = 300
#: Words of each text compared; a change past them is not shown (the diff ends in GAP).
MAX_WORDS: Final = 2000
GAP: Final = "…"

Kind = Literal["same", "old", "new", "gap"]
_MARKS: Final[dict[Kind, str]] = {"same": "", "old": "~~", "new": "**", "gap": ""}


def _as_is(word: str) -> str:
    return word


def word_diff(
    old: str,
    new: str,
    *,
    limit: int = DEFAULT_LIMIT,
    context: int = CONTEXT_WORDS,
    escape: Callable[[str], str] = _as_is,
) -> str:
    """The words `new` changed from `old`, in context; "" when no word changed."""
    if limit < 1 or context < 0:
        raise ValueError("limit must be positive and context not negative")
    before, after = old.split(), new.split()
    cut_short = len(before) > MAX_WORDS or len(after) > MAX_WORDS
    segments = _segments(before[:MAX_WORDS], after[:MAX_WORDS], context)
    if not segments:
        return GAP[:limit] if cut_short else ""
    if cut_short and segments[-1][0] != "gap":
        segments.append(("gap", []))
    return _render(segments, limit, escape)


def _segments(before: list[str], after: list[str], context: int) -> list[tuple[Kind, list[str]]]:
    """The changes as runs of words, unchanged runs cut to `context` words on each side."""
    ops = difflib.SequenceMatcher(None, before, after).get_opcodes()
    if all(tag == "equal" for tag, *_ in ops):
        return []
    out: list[tuple[Kind, list[str]]] = []
    for index, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag in ("replace", "delete"):
            out.append(("old", before[i1:i2]))
        if tag in ("replace", "insert"):
            out.append(("new", after[j1:j2]))
        if tag != "equal":
            continue
        words = before[i1:i2]
        head = words[:context] if index > 0 else []  # after the change before this run
        tail = words[-context:] if context and index < len(ops) - 1 else []
        if len(words) - len(head) - len(tail) < MIN_GAP_WORDS:
            out.append(("same", words))
            continue
        if head:
            out.append(("same", head))
        out.append(("gap", []))
        if tail:
            out.append(("same", tail))
    return out


def _render(
    segments: list[tuple[Kind, list[str]]], limit: int, escape: Callable[[str], str]
) -> str:
    """The segments as text within `limit`; a segment that does not fit is cut, then GAP."""
    room = limit - len(GAP) - 1  # always keep room for " …"
    out: list[str] = []
    size = -1  # no space before the first piece
    for index, (kind, words) in enumerate(segments):
        piece = GAP if kind == "gap" else _marked(kind, [escape(w) for w in words])
        # The last piece may use the room kept for the closing mark.
        last = index == len(segments) - 1
        if size + 1 + len(piece) <= (limit if last else room):
            out.append(piece)
            size += 1 + len(piece)
            continue
        if kind != "gap":
            partial = _longest_marked(kind, [escape(w) for w in words], room - size - 1)
            if partial:
                out.append(partial)
        out.append(GAP)
        break
    text = " ".join(out)
    return text if len(text) <= limit else GAP[:limit]


def _marked(kind: Kind, words: list[str]) -> str:
    mark = _MARKS[kind]
    return f"{mark}{' '.join(words)}{mark}"


def _longest_marked(kind: Kind, words: list[str], room: int) -> str:
    """The most leading words of a run that fit `room` once marked, or "" if none do."""
    mark = _MARKS[kind]
    size = 2 * len(mark) - 1
    count = 0
    for word in words:
        if size + 1 + len(word) > room:
            break
        size += 1 + len(word)
        count += 1
    return _marked(kind, words[:count]) if count else ""
