"""Logging for `python -m bot`: discord.py's standard setup plus a redaction filter.

Only `__main__` calls `setup_logging`; modules just `logging.getLogger(__name__)`.
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
from collections.abc import Iterable
from typing import Final, final

import discord

from bot.plans.redact import REDACTED, mask_url_credentials, redact

__all__ = ["REDACTED", "RedactSecrets", "setup_logging"]

#: Renders tracebacks as logging's default formatter does.
_PLAIN: Final = logging.Formatter()


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


def setup_logging(level: str, *, secrets: Iterable[str] = ()) -> None:
    """discord.py's coloured/stream setup on the root logger, with secrets redacted."""
    discord.utils.setup_logging(level=logging.getLevelName(level), root=True)
    redact_filter = RedactSecrets(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact_filter)
