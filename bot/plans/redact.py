"""Keeping secrets out of text: URL credentials masked, a secret and its parts redacted.

Pure functions on strings, shared by the bot (settings, logging) and the agent
tools, so both hide the same things the same way.

What counts as "a part" of a secret (`fragments`): the secret itself, every
substring of `MIN_FRAGMENT_CHARS` characters (so any longer piece, wherever
it is cut, contains one), and each dot-separated part of at least
`MIN_PART_CHARS` characters (a Discord token's 6-character timestamp part is
shorter than a fragment but still identifies the token). Shorter pieces are
let through: a 3-character run of a random token says nothing, and matching
it would redact ordinary words.

URL credentials (`mask_url_credentials`): in every `scheme://user:password@`
the password becomes `***`, and a bare `scheme://login@` (an API key used as
the user name) becomes `scheme://***@`. The password runs to the last `@`
before whitespace, so a password with a raw `@`, `/` or `#` in it is masked
whole; the price is that `http://host:80/a/@b` is masked too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Final

__all__ = [
    "MIN_FRAGMENT_CHARS",
    "MIN_PART_CHARS",
    "REDACTED",
    "URL_MASK",
    "contains_secret",
    "fragments",
    "looks_like_token",
    "mask_url_credentials",
    "redact",
]

REDACTED: Final = "[redacted]"
URL_MASK: Final = "***"
#: Any run of this many characters of a secret counts as a part of it.
MIN_FRAGMENT_CHARS: Final = 8
#: A dot-separated part of a secret this long or longer counts as a part of it.
MIN_PART_CHARS: Final = 6

#: Three dot-separated base64url parts, long ones at the ends: a Discord bot token, a JWT.
_TOKEN_LIKE: Final = re.compile(r"[A-Za-z0-9_\-]{20,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{20,}")
_USERINFO: Final = re.compile(
    r"(?<![A-Za-z0-9+.\-])(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)"
    r"(?:(?P<user>[^\s:/?#@]*):\S*|[^\s:/?#]+)@"
)


def mask_url_credentials(text: str) -> str:
    """`text` with the password (or a bare login) of every URL in it replaced by `***`."""

    def mask(match: re.Match[str]) -> str:
        user = match["user"]
        login = URL_MASK if user is None else f"{user}:{URL_MASK}"
        return f"{match['scheme']}{login}@"

    return _USERINFO.sub(mask, text)


def looks_like_token(text: str) -> bool:
    """Whether `text` holds something shaped like a bearer token, known to us or not."""
    return _TOKEN_LIKE.search(text) is not None


def fragments(secret: str) -> frozenset[str]:
    """The strings whose presence in a text reveals `secret` (see the module docstring)."""
    if not secret:
        return frozenset()
    windows = (
        secret[i : i + MIN_FRAGMENT_CHARS] for i in range(len(secret) - MIN_FRAGMENT_CHARS + 1)
    )
    parts = (part for part in secret.split(".") if len(part) >= MIN_PART_CHARS)
    return frozenset((secret, *windows, *parts))


def contains_secret(text: str, secrets: Iterable[str]) -> bool:
    """Whether `text` holds any of `secrets` or a part of one."""
    return any(needle in text for needle in _needles(tuple(secrets)))


def redact(text: str, secrets: Iterable[str], *, mask: str = REDACTED) -> str:
    """`text` with each run that holds a secret or parts of it replaced by one `mask`.

    Overlapping and adjacent parts merge into a single mask, so the output
    says where something was hidden, not how long it was.
    """
    hidden = bytearray(len(text))
    for needle in _needles(tuple(secrets)):
        start = text.find(needle)
        while start != -1:
            hidden[start : start + len(needle)] = b"\x01" * len(needle)
            start = text.find(needle, start + 1)
    if not any(hidden):
        return text
    pieces: list[str] = []
    run_start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or hidden[i] != hidden[run_start]:
            pieces.append(mask if hidden[run_start] else text[run_start:i])
            run_start = i
    return "".join(pieces)


@functools.lru_cache(maxsize=16)
def _needles(secrets: tuple[str, ...]) -> frozenset[str]:
    """All fragments of `secrets`, cached: logging asks for the same few secrets per record."""
    return frozenset().union(*(fragments(secret) for secret in secrets))
