"""Discord markdown, read the way Discord's parser reads it: escaping, links, code, cuts.

Text from the API or configuration is untrusted. `escape` shows a name exactly
as written; `plan_body` keeps a plan's formatting but rewrites every masked
link as `text (real-address)`, so what a plan shows is what its links do;
neither can mention anyone. `cut` shortens text on a word boundary and never
leaves a code block or inline code open; `plain` is `escape` then `cut`. The
reply modules of `cogs.render` build their embeds on top of these.
"""

from __future__ import annotations

import bisect
import re
import string
from collections.abc import Iterator
from typing import Final

from cogs.render.limits import URL_LIMIT

ELLIPSIS: Final = "…"

_LAST_WORD: Final = re.compile(r"\s+\S*\Z")

# -- Discord's inline grammar ------------------------------------------------------
# As far as it decides what a reader sees and where a click goes: escapes, code,
# masked links, autolinks and mentions. The patterns follow Discord's parser
# (simple-markdown); their bounds keep them linear on hostile input, and a link
# they miss does no harm, because every bracket outside a recognised link is escaped.
_LINK_TEXT_CHARS: Final = 512
_ESCAPE: Final = r"\\[^0-9A-Za-z\s]"
_LINK: Final = (
    rf"\[(?P<text>(?:\[[^\[\]]{{0,{_LINK_TEXT_CHARS}}}\]|[^\[\]]"
    rf"|\](?=[^\[\]]{{0,{_LINK_TEXT_CHARS}}}\])){{0,{_LINK_TEXT_CHARS}}})\]"
    rf"\(\s*<?(?P<target>(?:\([^()\s]{{0,{URL_LIMIT}}}\)|[^\s\\()]|\\.){{1,{URL_LIMIT}}}?)>?"
    rf"""(?:\s+(?:"[^"]{{0,{_LINK_TEXT_CHARS}}}"|'[^']{{0,{_LINK_TEXT_CHARS}}}'))?\s*\)"""
)
_AUTOLINK: Final = r"<[^: >]+:/[^ >]+>"
_URL: Final = r"""(?:https?|steam)://[^\s<]+[^<.,:;"'\]\s]"""
# A mention needs its "@" right before the name or id: a zero-width space there defuses it.
_MENTION: Final = r"@(?=(?i:everyone|here)|[!&]?[0-9])"
_BRACKET: Final = r"\]\(?|\["
#: A plan's own markdown: its escapes are the coach's, links are rewritten.
_PROSE: Final = re.compile(
    rf"(?P<escape>{_ESCAPE})|(?P<link>{_LINK})|(?P<autolink>{_AUTOLINK})|(?P<url>{_URL})"
    rf"|(?P<bracket>{_BRACKET})|(?P<mention>{_MENTION})"
)
#: Text shown exactly as written: every markdown character is escaped.
_LITERAL: Final = re.compile(
    rf"(?P<autolink>{_AUTOLINK})|(?P<url>{_URL})|(?P<bracket>{_BRACKET})"
    rf"|(?P<special>[\\*_~|`<>#])|(?P<bullet>^[ \t]*-)|(?P<mention>{_MENTION})",
    re.MULTILINE,
)
_MENTION_ONLY: Final = re.compile(_MENTION)
_CODE_TOKEN: Final = re.compile(rf"{_ESCAPE}|`+")
_BACKTICKS: Final = re.compile(r"`+")
_LANGUAGE_LINE: Final = re.compile(r"[a-z0-9_+\-.#]+\n", re.IGNORECASE)
_FENCED: Final = re.compile(r"```(?:[a-z0-9_+\-.#]+?\n)?\n*[^\n][\s\S]*?\n*```", re.IGNORECASE)
ZERO_WIDTH_SPACE: Final = "\u200b"
FENCE: Final = "```"


def escape(text: str) -> str:
    """`text` shown exactly as written: no markdown, no masked link, no mention.

    For names and other labels from configuration, the API or a user. Plain
    URLs stay clickable (the address shown is the address opened), and no
    `](` pair survives, even for a reader that ignores backslashes.
    """
    return _LITERAL.sub(_literal_token, text)


def plan_body(text: str, *, keep: int | None = None) -> str:
    """A plan's markdown as Discord should show it: what a plan shows is what a link does.

    The coach's formatting and code stay. A masked link `[text](target)`, in
    any of its variants, becomes `text (target)`, so its real address is shown
    and is the link; any other bracket that could start one is escaped. Plain
    URLs stay clickable, and mentions are defused, inside code too.

    With `keep`, work stops once more than `keep` characters are out: cut to
    `keep`, the result is the same, and a 1 MB plan costs what a short one does.
    """
    out: list[str] = []
    size = 0
    done = 0
    for start, end, _ in [*code_spans(text), (len(text), len(text), "")]:
        for piece in _prose_pieces(text, done, start):
            out.append(piece)
            size += len(piece)
            # Never after a backtick: part of a run could close code that the whole run does not.
            if keep is not None and size > keep and piece and piece[-1] != "`":
                return "".join(out)
        out.append(_MENTION_ONLY.sub("@" + ZERO_WIDTH_SPACE, text[start:end]))
        size += len(out[-1])
        done = end
    return "".join(out)


def _prose_pieces(text: str, start: int, end: int) -> Iterator[str]:
    at = start
    for match in _PROSE.finditer(text, start, end):
        yield text[at : match.start()]
        yield _prose_token(match)
        at = match.end()
    yield text[at:end]


def code_spans(text: str) -> list[tuple[int, int, str]]:
    """`(start, end, opener)` of each code block and inline code span, as Discord reads them.

    A block is three backticks, an optional language line, content that starts
    with something other than a newline, and the next three backticks; an
    inline span opens with a run of backticks and closes at the next run of
    exactly that length. An opener without a closer, or a backtick escaped
    outside code, is just a character.
    """
    # Inside code nothing is escaped, so closers are the raw runs, found once.
    closers: dict[str, list[int]] = {}
    for raw in _BACKTICKS.finditer(text):
        closers.setdefault(raw.group(), []).append(raw.start())
    spans: list[tuple[int, int, str]] = []
    no_fence_from = len(text)  # once a block has no closer, no later one has
    at = 0
    while (token := _CODE_TOKEN.search(text, at)) is not None:
        start, run = token.start(), token.group()
        at = token.end()
        if run[0] == "\\":
            continue
        if len(run) >= 3 and start < no_fence_from:
            fenced = _FENCED.match(text, start)
            if fenced is None:
                no_fence_from = start
            else:
                spans.append((start, fenced.end(), FENCE))
                at = fenced.end()
                continue
        starts = closers.get(run, [])
        index = bisect.bisect_left(starts, at)
        if index < len(starts):
            at = starts[index] + len(run)
            spans.append((start, at, run))
    return spans


def _prose_token(match: re.Match[str]) -> str:
    if match["link"] is not None:
        text = _PROSE.sub(_prose_token, match["text"]).strip()
        target = _shown_url(match["target"])
        if text in ("", target, f"<{target}>"):
            return target
        if text.startswith("`"):
            # Dropping "[" would join its backticks to any just before: escape it instead.
            return "\\[" + _PROSE.sub(_prose_token, match.group()[1:])
        return f"{text} ({target})"
    if match["autolink"] is not None or match["url"] is not None:
        return _shown_url(match.group())
    if match["bracket"] is not None:
        return "".join("\\" + ch for ch in match.group())
    if match["mention"] is not None:
        return "@" + ZERO_WIDTH_SPACE
    return match.group()  # an escape: the coach's own


def _literal_token(match: re.Match[str]) -> str:
    if match["autolink"] is not None or match["url"] is not None:
        return _shown_url(match.group())
    if match["bracket"] is not None:
        return "".join("\\" + ch for ch in match.group())
    if match["bullet"] is not None:
        return match.group()[:-1] + "\\-"
    if match["mention"] is not None:
        return "@" + ZERO_WIDTH_SPACE
    return "\\" + match.group()


def _shown_url(url: str) -> str:
    """A URL shown as text that links to itself, with nothing markdown could read in it."""
    encoded = url.replace("[", "%5B").replace("]", "%5D").replace("`", "%60")
    return _MENTION_ONLY.sub("%40", encoded)


# -- text --------------------------------------------------------------------------
def plain(text: str, limit: int) -> str:
    """User or API text shown as-is: no markdown, no mentions, within `limit`."""
    return cut(escape(text), limit)


def cut(text: str, limit: int, mark: str = ELLIPSIS) -> str:
    """`text` if it fits, else its longest word-bounded prefix plus `mark`, within `limit`.

    A cut never leaves code open (or the mark and everything after the text
    would render as code): inside a code block or span it closes it, or falls
    before it when none of its content fits.
    """
    if len(text) <= limit:
        return text
    room = limit - len(mark)
    if room <= 0:
        return mark[:limit]
    spans = code_spans(text)
    before = ""
    for _ in range(3):  # a closer takes room: shrink and look again, a few times at most
        head = _word_prefix(text, room)
        span = _span_at(spans, len(head))
        if span is None:
            return _settled(head, text, spans) + mark
        before = _settled(text[: span[0]].rstrip(), text, spans)
        closed = _closed(head, span, text)
        if closed is None:
            break
        if len(closed) + len(mark) <= limit:
            return closed + mark
        room -= len(closed) + len(mark) - limit
        if room <= 0:
            break
    return before + mark


def _word_prefix(text: str, room: int) -> str:
    head = text[:room]
    if not text[room].isspace():
        # Drop the partial last word, unless that would throw away half the room.
        match = _LAST_WORD.search(head)
        if match is not None and match.start() >= room // 2:
            head = head[: match.start()]
    return head.rstrip()


def _span_at(spans: list[tuple[int, int, str]], index: int) -> tuple[int, int, str] | None:
    """The code span that a cut at `index` falls strictly inside, if any."""
    at = bisect.bisect_left(spans, (index,)) - 1
    if at >= 0 and spans[at][0] < index < spans[at][1]:
        return spans[at]
    return None


def _closed(head: str, span: tuple[int, int, str], text: str) -> str | None:
    """`head`, cut inside `span`, with the span closed; None if none of its content made it."""
    start, _, opener = span
    content_start = start + len(opener)
    # No backticks at its end: they would run into the closer and make it another run.
    content = head[content_start:].rstrip(string.whitespace + "`")
    shown = content
    if opener == FENCE:
        language = _LANGUAGE_LINE.match(text, content_start)
        if language is not None:  # "```py\n" names a language; it is not content
            shown = content[language.end() - content_start :]
    if not shown.strip():
        return None
    return head[:content_start] + content + ("\n" + FENCE if opener == FENCE else opener)


def _settled(head: str, text: str, spans: list[tuple[int, int, str]]) -> str:
    """`head`, outside code, ending where it reads as it does in `text`."""
    if head.endswith("`") and text[len(head)] == "`":
        # Part of a run of backticks is another run, which could close code the whole does not.
        at = bisect.bisect_left(spans, (len(head),)) - 1
        head = head[: max(spans[at][1] if at >= 0 else 0, len(head.rstrip("`")))].rstrip()
    # A backslash whose partner was cut off would escape the mark instead.
    trailing = len(head) - len(head.rstrip("\\"))
    return head[:-1] if trailing % 2 else head
