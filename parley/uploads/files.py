"""What a file is and what to show of it: the type from its first bytes, an image's size,
a thumbnail. Pure functions over file objects; the services store and publish."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import IO

import filetype
from django.conf import settings
from PIL import Image, UnidentifiedImageError

from parley.common import images
from parley.uploads.models import INLINE_IMAGE_TYPES

SNIFF_BYTES = 8192
THUMBNAIL_BOX = (480, 480)
THUMBNAIL_TYPE = "image/webp"

# Markup a browser would run if it were served inline: always served as an attachment.
_MARKUP = (b"<!doctype html", b"<html", b"<script", b"<svg", b"<?xml", b"<body", b"<iframe", b"<head")


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    width: int | None = None
    height: int | None = None


def sniff(head: bytes) -> str:
    """The content type of a file from its first bytes; the name plays no part.

    Binary formats by signature (filetype); otherwise text: HTML and SVG by their
    markup (so they are never shown inline), other UTF-8 as text/plain; the rest
    application/octet-stream."""
    kind = filetype.guess(head)
    if kind is not None:
        return str(kind.mime)
    if b"\x00" in head:
        return "application/octet-stream"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A cut in the middle of a character at the end of the sample is still text.
        if exc.start < len(head) - 3:
            return "application/octet-stream"
        text = head[: exc.start].decode("utf-8")
    lowered = text.lstrip("\ufeff \t\r\n").lower().encode()
    if b"<svg" in lowered[:2048] and (lowered.startswith((b"<svg", b"<?xml", b"<!doctype svg"))):
        return "image/svg+xml"
    if any(marker in lowered[:2048] for marker in _MARKUP):
        return "text/html"
    return "text/plain"


def inspect(file: IO[bytes]) -> Sniffed:
    """The sniffed type, and an image's width and height when Pillow can read its header.

    Only the header is read. An image of more pixels than UPLOAD_MAX_PIXELS (a
    decompression bomb, or just huge) keeps no size: it is shown as a file card."""
    file.seek(0)
    content_type = sniff(file.read(SNIFF_BYTES))
    file.seek(0)
    if content_type not in INLINE_IMAGE_TYPES:
        return Sniffed(content_type)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                width, height = image.size
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError):
        return Sniffed(content_type)
    finally:
        file.seek(0)
    if width <= 0 or height <= 0 or width * height > settings.UPLOAD_MAX_PIXELS:
        return Sniffed(content_type)
    return Sniffed(content_type, width, height)


def thumbnail(file: IO[bytes]) -> bytes:
    """A WebP at most THUMBNAIL_BOX in size: turned upright by its EXIF orientation, the
    first frame of an animation, decoded within IMAGE_DECODE_MAX_PIXELS (parley.common.images).
    Raises TooManyPixels, OSError or ValueError for what is not thumbnailed."""
    frame = images.small_copy(file, THUMBNAIL_BOX)
    out = io.BytesIO()
    frame.save(out, format="WEBP", quality=80, method=4)
    return out.getvalue()
