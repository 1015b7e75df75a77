"""The PNG encoder writes files any decoder accepts, checked here by decoding by hand."""

from __future__ import annotations

import struct
import zlib

import pytest

from bot.reference_api import DEMO_CHART_NAMES, PNG_SIGNATURE, chart_png
from bot.reference_api.charts import encode_png


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    assert png.startswith(PNG_SIGNATURE)
    chunks, offset = [], len(PNG_SIGNATURE)
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind = png[offset + 4 : offset + 8]
        data = png[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", png[offset + 8 + length : offset + 12 + length])
        assert crc == zlib.crc32(kind + data), kind
        chunks.append((kind, data))
        offset += 12 + length
    return chunks


def _decode(png: bytes) -> tuple[int, int, list[bytes]]:
    chunks = _chunks(png)
    assert chunks[0][0] == b"IHDR"
    assert chunks[-1] == (b"IEND", b"")
    width, height, depth, colour, *_ = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, colour) == (8, 2)
    raw = zlib.decompress(b"".join(data for kind, data in chunks if kind == b"IDAT"))
    stride = 1 + width * 3
    assert len(raw) == height * stride
    rows = [raw[y * stride : (y + 1) * stride] for y in range(height)]
    assert all(row[0] == 0 for row in rows)
    return width, height, [row[1:] for row in rows]


def test_encode_png_round_trips_pixels() -> None:
    """Pixels written are the pixels a decoder reads back."""
    rows = [bytes([255, 0, 0, 0, 255, 0]), bytes([0, 0, 255, 9, 9, 9])]
    assert _decode(encode_png(2, 2, rows)) == (2, 2, rows)


def test_encode_png_rejects_wrong_row_sizes() -> None:
    """A row of the wrong length is a caller bug, caught before encoding."""
    with pytest.raises(ValueError, match="rows"):
        encode_png(2, 2, [b"\x00" * 6])


def test_demo_charts_are_distinct_600_by_300_images() -> None:
    """Each demo name draws its own 600x300 chart in several colours, the same every time."""
    images = {name: chart_png(name) for name in DEMO_CHART_NAMES}
    assert len(set(images.values())) == len(DEMO_CHART_NAMES)
    width, height, rows = _decode(images["nvda-daily"])
    assert (width, height) == (600, 300)
    pixels = {bytes(row[x : x + 3]) for row in rows for x in range(0, len(row), 3)}
    assert len(pixels) >= 5
    chart_png.cache_clear()
    assert chart_png("nvda-daily") == images["nvda-daily"]
