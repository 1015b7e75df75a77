"""Repeated identical errors are written once with a count, so a flood cannot fill a disk.

Categories: what counts as one kind, the window on an injected clock, the count
carried by the next record and by `drain`, and the filter's scope on loggers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.reference_api._logs import RepeatFilter, filtering, log_suppressed

LOGGER = "tests.reference_api.repeats"


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    @property
    def messages(self) -> list[str]:
        return [record.getMessage() for record in self.records]


@pytest.fixture
def clock() -> _Clock:
    return _Clock()


@pytest.fixture
def repeats(clock: _Clock) -> RepeatFilter:
    return RepeatFilter(window_seconds=60, clock=clock)


@pytest.fixture
def written(repeats: RepeatFilter) -> Iterator[_Records]:
    """What reaches a handler on LOGGER, with `repeats` on the logger."""
    logger = logging.getLogger(LOGGER)
    handler = _Records()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        with filtering(repeats, [LOGGER]):
            yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)


def _fail(peer: int) -> None:
    try:
        raise OSError(24, "Too many open files")
    except OSError:
        logging.getLogger(LOGGER).exception("reading the plan for %s failed", peer)


def test_a_thousand_identical_errors_are_written_once(written: _Records) -> None:
    """The flood that wrote 69 MB of tracebacks now writes one record, traceback and all."""
    for peer in range(1000):
        _fail(peer)
    assert written.messages == ["reading the plan for 0 failed"]
    assert written.records[0].exc_info is not None


def test_the_first_record_after_the_window_carries_the_count(
    written: _Records, clock: _Clock
) -> None:
    """Nothing is lost: the next record of the kind says how many were not shown."""
    for peer in range(5):
        _fail(peer)
    clock.now += 59.9
    _fail(5)
    clock.now += 0.1
    _fail(6)
    assert written.messages == [
        "reading the plan for 0 failed",
        "reading the plan for 6 failed (and 5 more like this in the 60 s before, not shown)",
    ]


def test_kinds_differ_by_template_level_and_exception(written: _Records) -> None:
    """Only the arguments may differ: another message, level or error is another kind."""
    log = logging.getLogger(LOGGER)
    for _ in range(3):
        log.warning("health check: database unusable: %s", "a")
        log.error("health check: database unusable: %s", "b")
        log.warning("another message")
        try:
            raise ValueError("x")
        except ValueError:
            log.exception("reading the plan for %s failed", 1)
        _fail(1)
    assert len(written.records) == 5


def test_records_below_warning_always_pass(written: _Records) -> None:
    """The access log is not an error: every request keeps its line."""
    for _ in range(10):
        logging.getLogger(LOGGER).info("GET /health -> 200")
    assert len(written.records) == 10


def test_drain_reports_what_was_counted_and_resets(
    written: _Records, repeats: RepeatFilter
) -> None:
    """At shutdown the counts of a flood that stopped still reach the log, once."""
    for peer in range(4):
        _fail(peer)
    log_suppressed(logging.getLogger(LOGGER), repeats.drain())
    assert written.messages[-1] == (
        f"3 more ERROR records like 'reading the plan for %s failed' from {LOGGER} were not shown"
    )
    assert repeats.drain() == []


def test_a_record_is_judged_once_by_stacked_filters(
    written: _Records, repeats: RepeatFilter, clock: _Clock
) -> None:
    """The CLI filters on its handler as well as on the server's loggers: no double count."""
    on_handler = RepeatFilter(window_seconds=60, clock=clock)
    written.addFilter(on_handler)
    for peer in range(3):
        _fail(peer)
    assert len(written.records) == 1
    assert on_handler.drain() == []
    assert [item.count for item in repeats.drain()] == [2]


def test_filtering_leaves_the_loggers_as_it_found_them(repeats: RepeatFilter) -> None:
    """A server that stops takes its filter with it; other code logging there is unaffected."""
    logger = logging.getLogger(LOGGER)
    with filtering(repeats, [LOGGER]):
        assert repeats in logger.filters
    assert repeats not in logger.filters


def test_window_must_be_positive() -> None:
    """A zero window would silently turn the filter off."""
    with pytest.raises(ValueError, match="window_seconds"):
        RepeatFilter(window_seconds=0)
