"""The bundled avatar set (seed 000's DRRR login lets a guest pick one)."""

from __future__ import annotations

import hashlib

from django.templatetags.static import static

AVATARS: tuple[str, ...] = (
    "fox", "owl", "cat", "bear", "frog", "panda", "whale", "tiger", "koala", "otter", "robot", "ghost",
)  # fmt: skip
DEFAULT_AVATAR = "fox"


def avatar_url(key: str) -> str:
    return static(f"avatars/{key if key in AVATARS else DEFAULT_AVATAR}.svg")


def avatar_for(username: str) -> str:
    """A stable default for accounts that never chose one, so people are told apart at a glance."""
    digest = hashlib.sha256(username.casefold().encode()).digest()
    return AVATARS[digest[0] % len(AVATARS)]
