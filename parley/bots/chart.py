"""A small bar chart as a PNG, drawn with the standard library (zlib + struct).

/stats needs one picture: 24 bars, one per hour. Pillow or matplotlib would be a large
dependency for that; a PNG is a header, rows of pixels and a checksum.
"""

from __future__ import annotations

import struct
import zlib

BAR = (79, 70, 229, 255)  # the client's accent
BASE = (148, 163, 184, 255)  # a grey that reads on light and dark pages
CLEAR = (0, 0, 0, 0)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bar_chart_png(values: list[int], *, bar: int = 10, gap: int = 2, height: int = 80) -> bytes:
    """One bar per value, scaled to the largest, on a transparent background with a base line."""
    width = len(values) * (bar + gap) + gap
    top = max(values, default=0) or 1
    heights = [round(v / top * (height - 4)) if v else 0 for v in values]
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")  # filter type 0 for each scanline
        level = height - 2 - y  # pixels above the base line
        for x in range(width):
            i, offset = divmod(x - gap, bar + gap)
            if y == height - 1:
                px = BASE
            elif x >= gap and offset < bar and i < len(values) and 0 <= level < heights[i]:
                px = BAR
            else:
                px = CLEAR
            row.extend(px)
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )
