"""Logging for `python -m bot`: discord.py's standard setup plus a redaction filter.

Only `__main__` calls `setup_logging`; modules just `logging.getLogger(__name__)`.
The filter is insurance: nothing of ours logs the token, and the filter makes
sure nothing else (a library's debug line, a traceback) prints it either.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Final, final

import discord

REDACTED: Final = "[redacted]"


@final
class RedactSecrets(logging.Filter):
    """Replaces each secret in a record's message and traceback text."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        if any(secret in message for secret in self._secrets):
            record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def setup_logging(level: str, *, secrets: Iterable[str] = ()) -> None:
    """discord.py's coloured/stream setup on the root logger, with secrets redacted."""
    discord.utils.setup_logging(level=logging.getLevelName(level), root=True)
    redact = RedactSecrets(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
