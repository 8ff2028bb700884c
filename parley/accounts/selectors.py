from __future__ import annotations

import hashlib

from parley.accounts.models import AuthToken, User


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_lookup(*, key: str) -> AuthToken | None:
    if not key or len(key) > 128:
        return None
    return AuthToken.objects.select_related("user").filter(key_hash=token_hash(key)).first()


def user_by_username(*, username: str) -> User | None:
    return User.objects.filter(username__iexact=username).first()


def name_is_taken(*, name: str) -> bool:
    """True when `name` would read as someone else: a username, a display name or a guest nickname."""
    return (
        User.objects.filter(username__iexact=name).exists()
        or User.objects.filter(display_name__iexact=name, is_active=True).exists()
    )
