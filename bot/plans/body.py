"""The API's answer bodies: a bounded read of the decoded bytes, then JSON Python can use.

Apart from `transport.py`, which decides when and how often to ask: what makes
a body usable (its type, its size once decompressed, valid JSON, text that
encodes) does not depend on how or how often it was fetched.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

import aiohttp

from .models import BadResponse

MAX_BODY_BYTES: Final = 1024 * 1024
READ_CHUNK_BYTES: Final = 64 * 1024
#: A JSON escape of a UTF-16 surrogate half: the only way JSON text carries one.
_SURROGATE_ESCAPE: Final = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


async def read_json(resp: aiohttp.ClientResponse, *, max_bytes: int = MAX_BODY_BYTES) -> object:
    """The body as JSON, read no further than the size limit on the *decoded* bytes.

    Content-Length counts what was sent, which for a gzip, deflate, br or zstd
    body is the compressed size: a 1 MB body may inflate to gigabytes. So the
    body is always read in chunks as aiohttp decodes them (it decompresses a
    bounded amount per chunk) and the read stops at the limit; memory stays
    within the limit per request in flight.
    """
    if resp.content_type != "application/json":
        raise BadResponse("the answer is not JSON", status=resp.status)
    if resp.content_length is not None and resp.content_length > max_bytes:
        raise BadResponse("the answer is larger than the limit", status=resp.status)
    buf = bytearray()
    async for chunk in resp.content.iter_chunked(READ_CHUNK_BYTES):
        buf += chunk
        if len(buf) > max_bytes:
            raise BadResponse("the answer is larger than the limit", status=resp.status)
    return decode_json(buf, resp.status)


def decode_json(raw: bytes | bytearray, status: int | None = None) -> object:
    """JSON from the API, or BadResponse for anything Python's parser cannot make use of.

    Deep nesting raises RecursionError, not ValueError; strings may carry lone
    surrogates (`"\\ud800"`), which no encoder accepts later: they are repaired
    (U+FFFD) here, once, so nothing downstream meets them.
    """
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise BadResponse("the answer is not valid JSON", status=status) from exc
    if _SURROGATE_ESCAPE.search(raw) is not None:
        body = repair_text(body)
    return body


def repair_text(value: object) -> object:
    """`value` with every string made encodable (lone surrogates become U+FFFD).

    Iterative, not recursive: the structure may be as deep as the parser allowed.
    """
    root: list[Any] = [value]
    stack: list[tuple[Any, Any]] = [(root, 0)]  # (container, index or key) of each item
    while stack:
        container, index = stack.pop()
        item = container[index]
        if isinstance(item, str):
            container[index] = _repair_str(item)
        elif isinstance(item, list):
            stack.extend((item, i) for i in range(len(item)))
        elif isinstance(item, dict):
            repaired = {_repair_str(k): v for k, v in item.items()}  # JSON keys are strings
            item.clear()
            item.update(repaired)
            stack.extend((item, k) for k in item)
    return root[0]


def _repair_str(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # utf-16 with surrogatepass keeps valid pairs and lets "replace" mark lone halves.
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text
