"""The bundled avatar set (seed 000's DRRR login lets a guest pick one)."""

from __future__ import annotations

import hashlib
import re

from django.templatetags.static import static

AVATARS: tuple[str, ...] = (
    "fox", "owl", "cat", "bear", "frog", "panda", "whale", "tiger", "koala", "otter", "robot", "ghost",
)  # fmt: skip
DEFAULT_AVATAR = "fox"


# An uploaded picture's key: the prefix and the stem of its file under `avatars/` in storage.
UPLOAD_PREFIX = "img:"
UPLOAD_RE = re.compile(r"^[0-9a-f]{16}(?:_[A-Za-z0-9]{1,12})?$")


def uploaded_name(key: str) -> str:
    """The storage name of an uploaded picture's key, or "" for a bundled avatar."""
    stem = key.removeprefix(UPLOAD_PREFIX)
    if stem == key or not UPLOAD_RE.fullmatch(stem):
        return ""
    return f"avatars/{stem}.png"


def avatar_url(key: str) -> str:
    if key.startswith(UPLOAD_PREFIX):
        # A new upload gets a new random name, so the URL can be cached for good.
        return f"/api/v1/avatars/{key.removeprefix(UPLOAD_PREFIX)}.png"
    return static(f"avatars/{key if key in AVATARS else DEFAULT_AVATAR}.svg")


def avatar_for(username: str) -> str:
    """A stable default for accounts that never chose one, so people are told apart at a glance."""
    digest = hashlib.sha256(username.casefold().encode()).digest()
    return AVATARS[digest[0] % len(AVATARS)]
