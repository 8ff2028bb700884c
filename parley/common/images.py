"""Decoding pictures people upload within a fixed memory bound, whatever their header says.

A picture's header names its size, and decoding allocates width x height x (1 to 4) bytes
before a single pixel is read: a 35-byte GIF that claims 7000 x 7000 costs 49 MB as a palette
and four times that once converted. So the size is read from the header first, and:

- a JPEG is decoded at a reduced scale (`Image.draft`: 1/2, 1/4 or 1/8 while still at least
  the size wanted), so a large photo never sits in memory whole;
- anything else is decoded only when width x height <= IMAGE_DECODE_MAX_PIXELS
  (12 million by default); above it the caller gets `TooManyPixels` and makes no thumbnail.

The peak while making a small picture is then at most about IMAGE_DECODE_MAX_PIXELS x 5 bytes
(a palette frame and its RGBA conversion, or one RGBA frame, which is used as it is): 60 MB at
the default. Measured as a process's peak RSS growth (`parley/uploads/tests/test_image_memory.py`,
2026-12-07): a 35-byte GIF claiming 7000 x 7000 0 MiB (176 MiB before this bound), a 7000 x 7000
transparent PNG 0 MiB (418 MiB before), a 4000 x 4000 JPEG 0 MiB, 12 MP at the bound 34 MiB
(RGBA) and 45 MiB (palette with transparency; 126 and 57 MiB before).
"""

from __future__ import annotations

import warnings
from typing import IO

from django.conf import settings
from PIL import Image

# EXIF orientation -> the transposition that shows the picture upright (as ImageOps.exif_transpose).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class TooManyPixels(ValueError):
    """The picture would take more memory to decode than the bound allows."""


def small_copy(file: IO[bytes], box: tuple[int, int], *, formats: set[str] | None = None) -> Image.Image:
    """The first frame of the picture in `file`, upright by its EXIF orientation, in RGB or
    RGBA (when it has transparency), shrunk to fit `box`; decoded within the bound above.

    Raises TooManyPixels, or OSError/ValueError/SyntaxError for what Pillow cannot read."""
    limit = settings.IMAGE_DECODE_MAX_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        image = Image.open(file)
    with image:
        if formats is not None and image.format not in formats:
            raise ValueError(f"not one of {sorted(formats)}: {image.format}")
        width, height = image.size
        if width <= 0 or height <= 0:
            raise ValueError("an empty picture")
        image.seek(0)
        if image.format == "JPEG":
            image.draft("RGB", (box[0] * 2, box[1] * 2))  # a reduced decode, from the header alone
        decoded_w, decoded_h = image.size
        if decoded_w * decoded_h > limit:
            raise TooManyPixels(f"{width} x {height} is more than {limit} pixels to decode")
        orientation = image.getexif().get(0x0112, 1)
        mode = "RGBA" if _has_alpha(image) else "RGB"
        image.load()
        frame = image if image.mode == mode else image.convert(mode)
        frame.thumbnail(box)
        if frame is image:
            frame = frame.copy()  # outlives the file (the small frame, not the decode)
    method = _UPRIGHT.get(orientation)
    return frame.transpose(method) if method is not None else frame


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
