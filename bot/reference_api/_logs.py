"""Repeated identical log records are written once, then counted: a flood must not fill a disk.

When clients flood the server, every request can fail the same way (no file
descriptors left, a database it cannot open, malformed requests), and one traceback
per failure once wrote 69 MB of stderr in 40 s. `RepeatFilter` lets the first record
of a kind through; identical ones in the next `window_seconds` are only counted, and
the first one after that carries the count. "Identical" means the same logger, level,
message template and exception type, so records that differ only in their arguments
(a peer address, a row id) are one kind. Records below WARNING always pass: the
access log is not an error.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final, final

REPEAT_WINDOW_SECONDS: Final = 60.0
# Bounds memory when records arrive pre-formatted, so that every message is its own kind.
MAX_KINDS: Final = 256
# Set on a record once a RepeatFilter has judged it: a filter on the logger and another
# on the handler (the CLI has both) must not count one record twice.
_JUDGED: Final = "_repeat_judged"

_Kind = tuple[str, int, str, str]


@dataclass(slots=True)
class _Run:
    started: float
    suppressed: int = 0


@final
@dataclass(frozen=True, slots=True)
class Suppressed:
    """Records of one kind counted but not written since the last one that was."""

    logger: str
    level: int
    message: str
    count: int


@final
class RepeatFilter(logging.Filter):
    """Passes the first record of each kind per window and counts the rest.

    Thread-safe: the server logs from `asyncio.to_thread` workers too. `clock` is
    injectable so tests move time instead of waiting for it.
    """

    def __init__(
        self,
        *,
        window_seconds: float = REPEAT_WINDOW_SECONDS,
        min_level: int = logging.WARNING,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        if window_seconds <= 0:
            raise ValueError("window_seconds must be positive")
        self.window_seconds = window_seconds
        self.min_level = min_level
        self._clock = clock
        self._runs: OrderedDict[_Kind, _Run] = OrderedDict()
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < self.min_level or getattr(record, _JUDGED, False):
            return True
        setattr(record, _JUDGED, True)
        kind = _kind(record)
        now = self._clock()
        with self._lock:
            run = self._runs.get(kind)
            if run is not None and now - run.started < self.window_seconds:
                run.suppressed += 1
                return False
            self._runs[kind] = _Run(now)
            self._runs.move_to_end(kind)
            while len(self._runs) > MAX_KINDS:
                self._runs.popitem(last=False)
        if run is not None and run.suppressed:
            # No "%" in the suffix, so the record formats the same with or without args.
            record.msg = (
                f"{record.msg} (and {run.suppressed} more like this in the "
                f"{self.window_seconds:g} s before, not shown)"
            )
        return True

    def drain(self) -> list[Suppressed]:
        """What was counted but never written; resets the counts. Call it at shutdown."""
        with self._lock:
            pending = [
                Suppressed(name, level, message, run.suppressed)
                for (name, level, message, _), run in self._runs.items()
                if run.suppressed
            ]
            for run in self._runs.values():
                run.suppressed = 0
        return pending


def log_suppressed(logger: logging.Logger, pending: Iterable[Suppressed]) -> None:
    """One line per kind still counted, so a flood that stopped is not lost from the log."""
    for item in pending:
        logger.warning(
            "%d more %s records like %r from %s were not shown",
            item.count,
            logging.getLevelName(item.level),
            item.message,
            item.logger,
            extra={_JUDGED: True},
        )


@contextmanager
def filtering(repeats: RepeatFilter, names: Iterable[str]) -> Iterator[RepeatFilter]:
    """`repeats` on the named loggers for the block; their own records only, not children's."""
    loggers = [logging.getLogger(name) for name in names]
    for logger in loggers:
        logger.addFilter(repeats)
    try:
        yield repeats
    finally:
        for logger in loggers:
            logger.removeFilter(repeats)


def _kind(record: logging.LogRecord) -> _Kind:
    error = record.exc_info[0] if record.exc_info else None
    return (
        record.name,
        record.levelno,
        str(record.msg),
        "" if error is None else error.__qualname__,
    )
