"""A tiny upload cannot take a server's memory (issue 28, finding 3): thumbnails are decoded
within IMAGE_DECODE_MAX_PIXELS whatever the header claims. The bound is measured as the peak
RSS growth of a separate process making the thumbnail (Pillow's buffers are C memory, which
tracemalloc does not see)."""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from parley.uploads.tasks import upload_thumbnail
from parley.uploads.tests.conftest import upload

MIB = 1024 * 1024

# Makes one thumbnail in a fresh process and prints how much its peak RSS grew doing it.
_PROBE = """
import io, json, resource, sys
import django
django.setup()
from PIL import Image
from parley.uploads import files

warm = io.BytesIO()
Image.new("RGBA", (64, 64)).save(warm, format="PNG")
files.thumbnail(io.BytesIO(warm.getvalue()))  # codecs loaded, allocator warm
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    made = len(files.thumbnail(io.BytesIO(data))) > 0
except Exception as exc:
    made = False
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"made": made, "peak_growth": (after - before) * 1024}))
"""


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_claiming(width: int, height: int, *, rgba: bool = False) -> bytes:
    """A real, fully decodable PNG of `width` x `height` (transparent), written row by row so
    the test itself never holds the decoded picture."""
    packer = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * (width * (4 if rgba else 1))
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 6 if rgba else 3, 0, 0, 0)
    chunks = [_chunk(b"IHDR", header)]
    if not rgba:
        chunks += [_chunk(b"PLTE", b"\x00\x00\x00"), _chunk(b"tRNS", b"\x00")]
    chunks += [_chunk(b"IDAT", idat), _chunk(b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)


def gif_claiming(width: int, height: int) -> bytes:
    """35 bytes: a GIF whose screen is `width` x `height`, holding one 1 x 1 frame (Pillow
    pastes it onto a canvas of the screen's size)."""
    return (
        b"GIF89a" + struct.pack("<HH", width, height) + b"\x80\x00\x00" + b"\x00\x00\x00\xff\xff\xff"
        + b"\x2c\x00\x00\x00\x00" + struct.pack("<HH", 1, 1) + b"\x00"
        + b"\x02\x02\x44\x01\x00" + b"\x3b"
    )  # fmt: skip


def peak_growth(tmp_path: Path, data: bytes, **env: str) -> dict[str, Any]:
    path = tmp_path / "picture"
    path.write_bytes(data)
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(path)],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_a_35_byte_gif_claiming_7000_by_7000_costs_no_memory(tmp_path: Path) -> None:
    data = gif_claiming(7000, 7000)
    assert len(data) == 35
    found = peak_growth(tmp_path, data)
    assert not found["made"]
    assert found["peak_growth"] < 20 * MIB, found


def test_a_transparent_7000_by_7000_png_costs_no_memory(tmp_path: Path) -> None:
    data = png_claiming(7000, 7000)
    assert len(data) < 300 * 1024
    found = peak_growth(tmp_path, data)
    assert not found["made"]
    assert found["peak_growth"] < 20 * MIB, found


def test_a_large_jpeg_is_decoded_at_a_reduced_scale(tmp_path: Path) -> None:
    out = io.BytesIO()
    Image.new("RGB", (4000, 4000), "teal").save(out, format="JPEG", quality=50)
    found = peak_growth(tmp_path, out.getvalue())
    assert found["made"]
    assert found["peak_growth"] < 30 * MIB, found


def test_a_picture_at_the_bound_is_thumbnailed_within_the_documented_memory(tmp_path: Path) -> None:
    """The worst case the bound admits: an RGBA picture of IMAGE_DECODE_MAX_PIXELS (12 MP) costs
    about 4 bytes a pixel (48 MB); the documented bound is 5 bytes a pixel (60 MB)."""
    found = peak_growth(tmp_path, png_claiming(4000, 3000, rgba=True))
    assert found["made"]
    assert found["peak_growth"] < 12_000_000 * 5, found
    smaller = peak_growth(tmp_path, png_claiming(4000, 3000), IMAGE_DECODE_MAX_PIXELS="11000000")
    assert not smaller["made"] and smaller["peak_growth"] < 20 * MIB, smaller


@pytest.mark.django_db
def test_hostile_pictures_uploaded_through_the_api_keep_no_thumbnail(room: dict[str, Any]) -> None:
    for data, name in [(gif_claiming(7000, 7000), "bomb.gif"), (png_claiming(7000, 7000), "bomb.png")]:
        made = upload(room["m"], room["rid"], data, name).json()
        assert (made["width"], made["height"]) == (7000, 7000)
        assert upload_thumbnail.delay(made["id"]).get() is False
        assert room["m"].get(f"/api/v1/uploads/{made['id']}/thumbnail/t").status_code == 404
