"""Account writes: registration, guests, tokens, logout, password, deactivation."""

from __future__ import annotations

import re
import secrets

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from parley.accounts import selectors
from parley.accounts.avatars import AVATARS, DEFAULT_AVATAR, avatar_for
from parley.accounts.models import AuthToken, User
from parley.common.errors import Invalid
from parley.realtime import publish

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,29}$")
GUEST_PREFIX = "guest-"
NOT_AVAILABLE = "This name is not available."


def _clean_display(value: str, *, field: str, max_len: int) -> str:
    value = " ".join(value.split())
    if not value:
        raise Invalid("Enter a name.", fields={field: ["This field may not be blank."]})
    if len(value) > max_len:
        raise Invalid("The name is too long.", fields={field: [f"At most {max_len} characters."]})
    if any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or c in "\u200b\u200e\u200f\u202e" for c in value):
        raise Invalid(
            "The name has invisible characters.",
            fields={field: ["Invisible characters are not allowed."]},
        )
    return value


def user_register(*, username: str, password: str) -> User:
    if not USERNAME_RE.fullmatch(username) or username.lower().startswith(GUEST_PREFIX):
        raise Invalid(
            "Choose another username.",
            fields={"username": ["3-30 letters, digits, '.', '_' or '-', starting with a letter or digit."]},
        )
    if selectors.name_is_taken(name=username):
        raise Invalid("Choose another username.", fields={"username": [NOT_AVAILABLE]})
    candidate = User(username=username)
    try:
        password_validation.validate_password(password, candidate)
    except ValidationError as exc:
        raise Invalid("Choose a stronger password.", fields={"password": list(exc.messages)}) from exc
    try:
        with transaction.atomic():
            user = User(username=username, avatar=avatar_for(username))
            user.set_password(password)
            user.save()
    except IntegrityError as exc:  # a concurrent registration won the name
        raise Invalid("Choose another username.", fields={"username": [NOT_AVAILABLE]}) from exc
    return user


def guest_create(*, nickname: str, avatar: str | None = None) -> User:
    nickname = _clean_display(nickname, field="nickname", max_len=24)
    key = avatar or DEFAULT_AVATAR
    if key not in AVATARS:
        raise Invalid(
            "Pick one of the bundled avatars.",
            fields={"avatar": [f"One of: {', '.join(AVATARS)}."]},
        )
    if nickname.lower().startswith(GUEST_PREFIX) or selectors.name_is_taken(name=nickname):
        raise Invalid("Choose another nickname.", fields={"nickname": [NOT_AVAILABLE]})
    user = User(
        username=f"{GUEST_PREFIX}{secrets.token_hex(6)}",
        display_name=nickname,
        avatar=key,
        is_guest=True,
    )
    user.set_unusable_password()
    user.save()
    return user


def token_issue(*, user: User, session_key: str = "") -> str:
    """Create a token for one login and return its key; only the hash is kept."""
    key = secrets.token_urlsafe(32)
    AuthToken.objects.create(user=user, key_hash=selectors.token_hash(key), session_key=session_key or "")
    return key


def logout(*, user: User, token: AuthToken | None, session_key: str | None) -> None:
    """End one login: its token, the session's token and every socket opened with either."""
    tokens = AuthToken.objects.filter(user=user)
    ids: set[int] = set()
    if token is not None:
        ids.add(token.pk)
    if session_key:
        ids.update(tokens.filter(session_key=session_key).values_list("pk", flat=True))
    auth_ids = [f"t:{pk}" for pk in ids]
    if session_key:
        auth_ids.append(f"s:{session_key}")
    AuthToken.objects.filter(pk__in=ids).delete()
    publish.user_close(user_id=user.pk, auth_ids=auth_ids, reason="logged out")


def password_change(
    *, user: User, old_password: str, new_password: str, keep_token: AuthToken | None
) -> None:
    if user.is_guest or not user.check_password(old_password):
        raise Invalid("The current password is wrong.", fields={"old_password": ["Wrong password."]})
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise Invalid("Choose a stronger password.", fields={"new_password": list(exc.messages)}) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    stale = AuthToken.objects.filter(user=user)
    if keep_token is not None:
        stale = stale.exclude(pk=keep_token.pk)
    stale.delete()
    publish.user_close(user_id=user.pk, auth_ids=None, reason="password changed")


def user_deactivate(*, user: User) -> None:
    user.is_active = False
    user.save(update_fields=["is_active"])
    AuthToken.objects.filter(user=user).delete()
    publish.user_close(user_id=user.pk, auth_ids=None, reason="account deactivated")
