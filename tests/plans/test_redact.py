"""Redaction helpers: URL credentials masked, a secret and each part of it hidden.

Categories: URL credentials in every shape (password, bare login, raw `@`
or `/` in a password, several URLs, none); what counts as a part of a secret;
`redact` merging runs; `contains_secret`; token-shaped values.
"""

from __future__ import annotations

import pytest

from bot.plans.redact import (
    MIN_FRAGMENT_CHARS,
    REDACTED,
    contains_secret,
    fragments,
    looks_like_token,
    mask_url_credentials,
    redact,
)

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GAbCdE.s3cr3t-t0k3n_value_ABCDEFGHIJKLMNOPQRSTUV"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("http://user:pw@127.0.0.1:5000", "http://user:***@127.0.0.1:5000"),
        (
            "HTTPS://admin:s3cret@plans.example.com/base/",
            "HTTPS://admin:***@plans.example.com/base/",
        ),
        ("https://u:p%40ss@h", "https://u:***@h"),
        ("https://u:p@ss@host/x", "https://u:***@host/x"),
        ("http://u:pa/ss#frag@host", "http://u:***@host"),
        ("http://:pw@host", "http://:***@host"),
        ("https://ghp_apikey123@github.com/x", "https://***@github.com/x"),
        ("got 'http://a:b@c' and http://d:e@f.", "got 'http://a:***@c' and http://d:***@f."),
        ("URL('http://user:pw@h/api')", "URL('http://user:***@h/api')"),
    ],
)
def test_url_credentials_are_masked(text: str, masked: str) -> None:
    """Only the password (or a bare login, which may be an API key) is masked; the rest reads."""
    assert mask_url_credentials(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "http://localhost:5000",
        "https://discord.com/api/v10/users/@me",
        "mail coach@example.com about http://host/path",
        "no url here: user:pw@host",
    ],
)
def test_text_without_url_credentials_is_unchanged(text: str) -> None:
    assert mask_url_credentials(text) == text


def test_a_part_is_any_run_of_eight_characters_or_a_dot_separated_part() -> None:
    """The 6-character middle part of a Discord token counts; a shorter run does not."""
    parts = fragments(TOKEN)
    assert TOKEN in parts and "GAbCdE" in parts
    assert TOKEN[30:30 + MIN_FRAGMENT_CHARS] in parts  # fmt: skip
    assert TOKEN[:7] not in parts
    assert fragments("") == frozenset()
    assert fragments("pw") == {"pw"}


def test_redact_hides_the_secret_and_every_part_merging_runs() -> None:
    text = f"a {TOKEN} b {TOKEN[3:15]}{TOKEN[40:52]} c GAbCdE d {TOKEN[:5]}"
    assert redact(text, [TOKEN]) == f"a {REDACTED} b {REDACTED} c {REDACTED} d {TOKEN[:5]}"
    assert redact(text, []) == text
    assert redact("pw in pwd", ["pw"], mask="*") == "* in *d"


def test_contains_secret_finds_any_part() -> None:
    assert contains_secret(f"role {TOKEN[10:30]}", [TOKEN])
    assert contains_secret("x.GAbCdE.y", [TOKEN])
    assert not contains_secret("Day Trading", [TOKEN])
    assert not contains_secret(TOKEN, [])


def test_token_shaped_values_are_recognised() -> None:
    """A token pasted somewhere we do not know it yet (or a JWT) is still a secret."""
    assert looks_like_token(f"mods {TOKEN}")
    assert looks_like_token("eyJhbGciOiJIUzI1NiJ9x.eyJzdWIiOiIxIn0.SflKxwRJSMeKKF2QT4fwpMeJf36P")
    assert not looks_like_token("bot.plans.redact")
