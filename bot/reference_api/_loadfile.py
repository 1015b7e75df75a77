"""Reading a load file for `python -m bot.reference_api load`: every refusal is one sentence.

A file can be missing, huge, binary, not UTF-8, not JSON, nested too deeply
or hold a number Python will not parse; each case gets its sentence here, and
`__main__` prints it. A module of its own because that list outgrew `__main__`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

# A plan is about a kilobyte: this is tens of thousands of plans, and it keeps a stray
# `load /dev/zero` or a huge file from exhausting memory.
MAX_LOAD_FILE_BYTES: Final = 16 * 1024 * 1024


def shown(path: object) -> str:
    """A path as one printable line: a name with a newline or undecodable bytes is quoted."""
    text = str(path)
    return text if text.isprintable() else repr(text)


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


class LoadFileRejected(Exception):
    """The load file cannot be used; the message is the whole sentence for stderr."""


def read_rows(path: Path) -> object:
    """The JSON value in `path`, or `LoadFileRejected` saying in one sentence why there is none."""
    name = shown(path)
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_LOAD_FILE_BYTES + 1)
    except OSError as exc:
        raise LoadFileRejected(f"cannot read {name}: {exc.strerror or one_line(exc)}") from None
    if len(raw) > MAX_LOAD_FILE_BYTES:
        raise LoadFileRejected(f"{name} is too large: over {MAX_LOAD_FILE_BYTES // 2**20} MiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = raw[exc.start]
        raise LoadFileRejected(
            f"{name} is not valid JSON: not UTF-8 text (byte {byte:#04x} at offset {exc.start})"
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise LoadFileRejected(f"{name} is not valid JSON: {exc.msg} at {where}") from None
    except RecursionError:
        raise LoadFileRejected(f"{name} is nested too deeply to load") from None
    except ValueError:  # the only other one: an integer past Python's digit limit
        raise LoadFileRejected(f"{name} holds a number too long to load") from None
    except MemoryError:
        raise LoadFileRejected(f"{name} is too large to load") from None
