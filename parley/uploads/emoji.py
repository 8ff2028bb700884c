"""Custom emoji pictures: what is accepted and how it is made small. Pure functions over bytes.

The type is read from the content by Pillow (PNG, GIF, WebP; an SVG, a JPEG or anything
named .png that is not one is refused). A still picture is decoded within the bound of
`parley.common.images` and stored as a PNG at most EMOJI_BOX. An animated one keeps moving:
one that already fits is stored as sent, a larger one has each frame shrunk (at most
EMOJI_FRAMES frames, each within IMAGE_DECODE_MAX_PIXELS), in its own format.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from PIL import Image, ImageSequence

from parley.common import images
from parley.uploads.models import EMOJI_TYPES

EMOJI_BOX = (128, 128)
EMOJI_FRAMES = 300
_EXTENSIONS = {"PNG": "png", "GIF": "gif", "WEBP": "webp"}


class NotAnEmoji(ValueError):
    """The file is not a picture an emoji may be (type, size in pixels, frames)."""


@dataclass(frozen=True)
class Prepared:
    data: bytes
    content_type: str
    extension: str
    animated: bool


def prepare(data: bytes) -> Prepared:
    """The picture to store for an emoji, or NotAnEmoji."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
        with image:
            kind = image.format or ""
            if kind not in EMOJI_TYPES:
                raise NotAnEmoji(kind or "unknown")
            width, height = image.size
            frames = getattr(image, "n_frames", 1)
            animated = bool(getattr(image, "is_animated", False)) and frames > 1
            if not animated:
                return _still(data, kind)
            if frames > EMOJI_FRAMES or width * height > settings.IMAGE_DECODE_MAX_PIXELS:
                raise NotAnEmoji("too many frames or pixels")
            if width <= EMOJI_BOX[0] and height <= EMOJI_BOX[1]:
                return Prepared(data, EMOJI_TYPES[kind], _EXTENSIONS[kind], True)
            return _shrunk_animation(image, kind)
    except NotAnEmoji:
        raise
    except Exception as exc:  # Pillow's many ways of saying "not a picture I can read"
        raise NotAnEmoji(str(exc)) from exc


def _still(data: bytes, kind: str) -> Prepared:
    frame = images.small_copy(io.BytesIO(data), EMOJI_BOX, formats=set(EMOJI_TYPES))
    out = io.BytesIO()
    frame.save(out, format="PNG", optimize=True)
    return Prepared(out.getvalue(), "image/png", "png", False)


def _shrunk_animation(image: Image.Image, kind: str) -> Prepared:
    frames: list[Image.Image] = []
    durations: list[int] = []
    for frame in ImageSequence.Iterator(image):
        small = frame.convert("RGBA")
        small.thumbnail(EMOJI_BOX)
        frames.append(small)
        durations.append(int(frame.info.get("duration", 100)) or 100)
    out = io.BytesIO()
    extra = {"disposal": 2} if kind == "GIF" else {}
    frames[0].save(
        out,
        format=kind,
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=image.info.get("loop", 0),
        **extra,
    )
    return Prepared(out.getvalue(), EMOJI_TYPES[kind], _EXTENSIONS[kind], True)
