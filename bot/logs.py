"""Logging for `python -m bot`: discord.py's standard setup plus a redaction filter.

Only `__main__` calls `setup_logging`; modules just `logging.getLogger(__name__)`.

Colour only on a terminal: discord.py also colours in Docker, whatever the
stream, so `python -m bot 2>bot.log` in a container wrote escape codes into
the file. We pick the plain formatter ourselves unless the stream is a TTY,
and `NO_COLOR` (https://no-color.org) turns colour off on a TTY too. NO_COLOR
is read here, not in `bot.settings`: like `TERM`, it describes the person's
terminal, not the bot, and it belongs to every program they run.

The filter is insurance: nothing of ours logs the token, and the filter makes
sure nothing else (a library's debug line, a traceback, a stack) prints it
either, nor the password of a URL.

Why a filter that rewrites the record, not a formatter: the handler's
formatter is whatever discord.py picked (its colour formatter on a TTY or in
Docker, which re-renders `exc_info` itself) or whatever someone sets later.
So the filter renders everything a formatter could print from the record
(message with its args, traceback, stack) into one redacted message and
clears `exc_info`, `exc_text` and `stack_info`; every formatter then prints
only redacted text. The cost: tracebacks print in the message's colour.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Mapping
from typing import Final, TextIO, final

import discord

from bot.plans.redact import REDACTED, mask_url_credentials, redact

__all__ = ["REDACTED", "RedactSecrets", "log_warnings", "setup_logging"]

#: Renders tracebacks as logging's default formatter does.
_PLAIN: Final = logging.Formatter()
#: discord.py's layout without colour (what `discord.utils.setup_logging` uses off a TTY).
PLAIN_FORMAT: Final = "[{asctime}] [{levelname:<8}] {name}: {message}"
DATE_FORMAT: Final = "%Y-%m-%d %H:%M:%S"
_settings_log: Final = logging.getLogger("bot.settings")


@final
class RedactSecrets(logging.Filter):
    """Redacts secrets (and parts of them) and URL passwords from every string of a record.

    Attach it to handlers, not loggers: a logger's filters miss records that
    propagate from child loggers. It is idempotent, so several handlers may
    share one record.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)

    def redact(self, text: str) -> str:
        return redact(mask_url_credentials(text), self._secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # bad %-args: logging would print them raw in handleError
            text = f"{record.msg!s} (unformattable args: {record.args!r})"
        if record.exc_info and not record.exc_text:
            record.exc_text = _PLAIN.formatException(record.exc_info)
        for extra in (record.exc_text, record.stack_info):
            if extra:
                text = text.removesuffix("\n") + "\n" + extra
        record.msg, record.args = text, ()
        record.exc_info = record.exc_text = record.stack_info = None
        for name, value in list(vars(record).items()):
            if isinstance(value, str):
                setattr(record, name, self.redact(value))
        return True


def setup_logging(
    level: str,
    *,
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
    environ: Mapping[str, str] = os.environ,
) -> None:
    """discord.py's setup on the root logger (stderr by default), with secrets redacted.

    Coloured only when `stream` is a terminal and `NO_COLOR` is unset or empty.
    """
    handler = logging.StreamHandler(sys.stderr if stream is None else stream)
    number = logging.getLevelName(level)
    if wants_colour(handler.stream, environ):
        # discord.py's colour formatter (it checks the stream once more, e.g. on Windows).
        discord.utils.setup_logging(handler=handler, level=number)
    else:
        plain = logging.Formatter(PLAIN_FORMAT, DATE_FORMAT, style="{")
        discord.utils.setup_logging(handler=handler, formatter=plain, level=number)
    redact_filter = RedactSecrets(secrets)
    for each in logging.getLogger().handlers:
        each.addFilter(redact_filter)


def wants_colour(stream: TextIO, environ: Mapping[str, str] = os.environ) -> bool:
    """A terminal, and no `NO_COLOR` with a value (no-color.org: empty means unset)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not environ.get("NO_COLOR")


def log_warnings(warnings: Iterable[str]) -> None:
    """What reading the settings found odd (`Settings.warnings`), once logging is set up."""
    for warning in warnings:
        _settings_log.warning("%s", warning)
