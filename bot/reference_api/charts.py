"""Demo chart images, drawn in memory so the offline mode needs neither network nor PIL.

The pictures are candlestick charts from a seeded random walk: each name always draws
the same chart, so previews and snapshots stay stable between runs.
"""

from __future__ import annotations

import functools
import itertools
import random
import struct
import zlib
from collections.abc import Sequence
from typing import Final

PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
CHART_WIDTH_PX: Final = 600
CHART_HEIGHT_PX: Final = 300

DEMO_CHART_NAMES: Final[tuple[str, ...]] = (
    "spy-5m",
    "qqq-15m",
    "nvda-daily",
    "aapl-daily",
    "tsla-1h",
    "es-futures-1h",
    "msft-daily",
    "cpi-reaction-spy-1m",
)

Color = tuple[int, int, int]

_BACKGROUND: Final[Color] = (30, 31, 34)
_GRID: Final[Color] = (54, 57, 63)
_UP: Final[Color] = (38, 166, 154)
_DOWN: Final[Color] = (239, 83, 80)
_AVERAGE: Final[Color] = (255, 183, 77)
_VOLUME_UP: Final[Color] = (30, 90, 86)
_VOLUME_DOWN: Final[Color] = (110, 48, 50)

_CANDLES: Final = 60
_MOVING_AVERAGE_PERIOD: Final = 9


def encode_png(width: int, height: int, rows: Sequence[bytes | bytearray]) -> bytes:
    """Encode 8-bit RGB rows (3 bytes per pixel) as a PNG with filter type 0 on every row."""
    if len(rows) != height or any(len(row) != width * 3 for row in rows):
        raise ValueError("rows must be `height` rows of `width * 3` bytes")
    raw = b"".join(b"\x00" + bytes(row) for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        (
            PNG_SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(raw, 9)),
            _chunk(b"IEND", b""),
        )
    )


@functools.cache
def chart_png(name: str) -> bytes:
    """The PNG for one demo chart name, drawn once per process."""
    return _Canvas(CHART_WIDTH_PX, CHART_HEIGHT_PX).candles(random.Random(name)).png()


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


class _Canvas:
    """An RGB framebuffer with just the primitives a candle chart needs."""

    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self.rows = [bytearray(bytes(_BACKGROUND) * width) for _ in range(height)]

    def png(self) -> bytes:
        return encode_png(self.width, self.height, self.rows)

    def rect(self, x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
        """Fill the inclusive box, clipped to the canvas."""
        x0, x1 = sorted((max(0, x0), min(self.width - 1, x1)))
        y0, y1 = sorted((max(0, y0), min(self.height - 1, y1)))
        span = bytes(color) * (x1 - x0 + 1)
        for y in range(y0, y1 + 1):
            self.rows[y][x0 * 3 : (x1 + 1) * 3] = span

    def line(self, x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
        """Bresenham, two pixels thick so the average reads at preview size."""
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err = dx + dy
        while True:
            self.rect(x0, y0, x0 + 1, y0 + 1, color)
            if (x0, y0) == (x1, y1):
                return
            doubled = 2 * err
            if doubled >= dy:
                err += dy
                x0 += sx
            if doubled <= dx:
                err += dx
                y0 += sy

    def candles(self, rng: random.Random) -> _Canvas:
        bars = _random_walk(rng, _CANDLES)
        low = min(bar[2] for bar in bars)
        high = max(bar[1] for bar in bars)
        top, price_bottom, volume_top, bottom = 12, 222, 236, self.height - 10
        left, right = 10, self.width - 10

        def y_of(price: float) -> int:
            return round(price_bottom - (price - low) / (high - low) * (price_bottom - top))

        for gy in range(top, price_bottom + 1, (price_bottom - top) // 5):
            self.rect(left, gy, right, gy, _GRID)
        step = (right - left) / _CANDLES
        for gx in range(0, _CANDLES, 10):
            x = round(left + gx * step)
            self.rect(x, top, x, bottom, _GRID)
        max_volume = max(bar[4] for bar in bars)
        centres: list[tuple[int, float]] = []
        for index, (open_, high_, low_, close, volume) in enumerate(bars):
            x_mid = round(left + (index + 0.5) * step)
            half = max(1, round(step * 0.35))
            rising = close >= open_
            colour = _UP if rising else _DOWN
            self.rect(x_mid, y_of(high_), x_mid, y_of(low_), colour)
            self.rect(
                x_mid - half, y_of(max(open_, close)), x_mid + half, y_of(min(open_, close)), colour
            )
            volume_y = round(bottom - volume / max_volume * (bottom - volume_top))
            self.rect(
                x_mid - half, volume_y, x_mid + half, bottom, _VOLUME_UP if rising else _VOLUME_DOWN
            )
            centres.append((x_mid, close))
        average = _moving_average([close for _, close in centres], _MOVING_AVERAGE_PERIOD)
        points = [(x, y_of(value)) for (x, _), value in zip(centres, average, strict=True)]
        for (xa, ya), (xb, yb) in itertools.pairwise(points):
            self.line(xa, ya, xb, yb, _AVERAGE)
        return self


def _random_walk(rng: random.Random, count: int) -> list[tuple[float, float, float, float, float]]:
    """OHLCV bars with a gentle drift, so charts look like trends rather than noise."""
    price = rng.uniform(80, 900)
    drift = rng.uniform(-0.004, 0.006)
    bars = []
    for _ in range(count):
        open_ = price
        close = open_ * (1 + drift + rng.gauss(0, 0.012))
        high = max(open_, close) * (1 + abs(rng.gauss(0, 0.005)))
        low = min(open_, close) * (1 - abs(rng.gauss(0, 0.005)))
        bars.append((open_, high, low, close, rng.uniform(0.3, 1.0)))
        price = close
    return bars


def _moving_average(values: list[float], period: int) -> list[float]:
    averages = []
    for index in range(len(values)):
        window = values[max(0, index - period + 1) : index + 1]
        averages.append(sum(window) / len(window))
    return averages
