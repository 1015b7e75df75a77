"""Logging: the token and URL passwords never print, whatever formats the record.

Categories: each place a record carries text (message, args, traceback,
stack, extra attributes) under each kind of formatter (logging's plain one,
discord.py's colour one, a custom one that renders `exc_info` itself); the
real `setup_logging` as it runs on a TTY or in Docker; formatters swapped
after setup; several handlers sharing one record.
"""

from __future__ import annotations

import io
import json
import logging
import traceback
from collections.abc import Iterator

import discord
import pytest

from bot.logs import REDACTED, RedactSecrets, log_warnings, setup_logging

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GAbCdE.s3cr3t-t0k3n_value_ABCDEFGHIJKLMNOPQRSTUV"
URL = "http://agent:hunter2-pass@127.0.0.1:5000/base"


def leaks(text: str) -> list[str]:
    """Every piece of the token or the URL password in `text`: dot parts and 8-character runs."""
    pieces = [*TOKEN.split("."), *(TOKEN[i : i + 8] for i in range(len(TOKEN) - 7)), "hunter2"]
    return [piece for piece in pieces if piece in text]


class JsonFormatter(logging.Formatter):
    """A custom formatter that renders the traceback, stack and extras itself."""

    def format(self, record: logging.LogRecord) -> str:
        exc = "".join(traceback.format_exception(*record.exc_info)) if record.exc_info else None
        return json.dumps(
            {
                "message": record.getMessage(),
                "exc": exc,
                "stack": record.stack_info,
                "detail": getattr(record, "detail", None),
            }
        )


FORMATTERS = {
    "plain": logging.Formatter,
    "discord colour": discord.utils._ColourFormatter,
    "custom json": JsonFormatter,
}


def log_everything(log: logging.Logger) -> None:
    """The token and the URL in every place a record carries text."""
    try:
        raise ValueError(f"login with {TOKEN} at {URL} failed")
    except ValueError:
        log.exception("the gateway refused us")
    log.warning("connecting with %s to %s", TOKEN, URL)
    log.info("detail follows", extra={"detail": f"token={TOKEN}"})
    stack = f'Stack (most recent call last):\n  File "x.py", line 1, in f\n    login("{TOKEN}")'
    log.handle(log.makeRecord(log.name, logging.ERROR, "x.py", 1, "stacked", (), None, sinfo=stack))


@pytest.fixture
def root_logging() -> Iterator[logging.Logger]:
    """The root logger as setup_logging leaves it, restored afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield root
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


@pytest.mark.parametrize("formatter", FORMATTERS.values(), ids=FORMATTERS.keys())
def test_nothing_leaks_under_any_formatter(formatter: type[logging.Formatter]) -> None:
    """Redaction happens before formatting: no formatter can re-render a raw traceback."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter())
    handler.addFilter(RedactSecrets([TOKEN]))
    log = logging.getLogger(f"tests.logs.{formatter.__name__}")
    log.addHandler(handler)
    log.propagate = False
    try:
        log_everything(log)
    finally:
        log.removeHandler(handler)

    text = out.getvalue()
    assert leaks(text) == []
    assert REDACTED in text and "http://agent:***@127.0.0.1:5000/base" in text
    assert "Traceback (most recent call last)" in text and "ValueError: login with" in text
    assert "login(" in text  # the stack is still printed, only redacted


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as stderr does in an interactive shell."""

    def isatty(self) -> bool:
        return True


def test_setup_logging_with_discords_colour_formatter_hides_the_token(
    root_logging: logging.Logger,
) -> None:
    """On a terminal discord.py's colour formatter prints; the token stays hidden."""
    terminal = Terminal()
    setup_logging("DEBUG", secrets=[TOKEN], stream=terminal, environ={})
    handler = root_logging.handlers[-1]  # the one setup_logging added
    assert isinstance(handler.formatter, discord.utils._ColourFormatter)
    log_everything(logging.getLogger("tests.logs.setup"))

    text = terminal.getvalue()
    assert "\x1b[" in text  # coloured, as on a terminal
    assert leaks(text) == [] and "ValueError: login with [redacted]" in text


@pytest.mark.parametrize(
    ("stream", "environ"),
    [(io.StringIO(), {}), (Terminal(), {"NO_COLOR": "1"})],
    ids=["pipe", "NO_COLOR"],
)
def test_no_colour_codes_off_a_terminal_or_with_no_color(
    stream: io.StringIO,
    environ: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    root_logging: logging.Logger,
) -> None:
    """A log file written through a pipe is plain text, in Docker too (where discord.py
    would colour it), and NO_COLOR turns colour off on a terminal."""
    monkeypatch.setattr(discord.utils, "is_docker", lambda: True)
    setup_logging("INFO", stream=stream, environ=environ)
    logging.getLogger("tests.logs.plain").warning("retrying %d times", 2)

    line = stream.getvalue()
    assert "\x1b" not in line
    assert line.endswith("] [WARNING ] tests.logs.plain: retrying 2 times\n")


def test_an_empty_no_color_means_unset(root_logging: logging.Logger) -> None:
    """no-color.org: only a value turns colour off."""
    terminal = Terminal()
    setup_logging("INFO", stream=terminal, environ={"NO_COLOR": ""})
    logging.getLogger("tests.logs.empty").warning("hello")
    assert "\x1b[" in terminal.getvalue()


def test_the_settings_warnings_are_logged_once_each(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.settings"):
        log_warnings(["PLANS_X is not a setting; it is ignored"])
    assert [(r.name, r.getMessage()) for r in caplog.records] == [
        ("bot.settings", "PLANS_X is not a setting; it is ignored")
    ]


def test_a_formatter_set_after_setup_cannot_undo_the_redaction(
    capsys: pytest.CaptureFixture[str], root_logging: logging.Logger
) -> None:
    """The filter is on the handler, so swapping the handler's formatter keeps it."""
    setup_logging("INFO", secrets=[TOKEN])
    root_logging.handlers[-1].setFormatter(JsonFormatter())  # the one setup_logging added
    log_everything(logging.getLogger("tests.logs.swapped"))

    assert leaks(capsys.readouterr().err) == []


def test_url_passwords_are_masked_even_without_secrets(
    capsys: pytest.CaptureFixture[str], root_logging: logging.Logger
) -> None:
    """The offline mode passes no token; a URL password still never prints."""
    setup_logging("INFO")
    logging.getLogger("tests.logs.url").info("API at %s", URL)

    err = capsys.readouterr().err
    assert "hunter2" not in err and "http://agent:***@127.0.0.1:5000/base" in err


def test_handlers_sharing_a_record_each_print_the_redacted_traceback() -> None:
    """A formatter that clears `exc_text` (discord.py's does) cannot cost the next handler."""
    outs = [io.StringIO(), io.StringIO()]
    log = logging.getLogger("tests.logs.shared")
    log.propagate = False
    redact = RedactSecrets([TOKEN])
    for out in outs:
        handler = logging.StreamHandler(out)
        handler.setFormatter(discord.utils._ColourFormatter())
        handler.addFilter(redact)
        log.addHandler(handler)
    try:
        try:
            raise RuntimeError(TOKEN)
        except RuntimeError:
            log.exception("boom")
    finally:
        log.handlers.clear()

    for out in outs:
        assert "RuntimeError: [redacted]" in out.getvalue() and leaks(out.getvalue()) == []


def test_bad_format_arguments_do_not_print_the_token_raw(
    capsys: pytest.CaptureFixture[str], root_logging: logging.Logger
) -> None:
    """logging prints a failed record's args raw in handleError; the filter formats first."""
    setup_logging("INFO", secrets=[TOKEN])
    logging.getLogger("tests.logs.bad").info("%s and %s", TOKEN)

    err = capsys.readouterr().err
    assert leaks(err) == [] and "unformattable args" in err
