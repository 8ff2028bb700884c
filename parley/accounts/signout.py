"""Why a login ended, so a signed-out device can say so (issue 27).

When the account's side ends logins (a password changed or reset, the account deactivated
or deleted, a guest removed, a sign-out), two things carry the reason:

- the open sockets close with it as the WebSocket close reason (`publish.user_close`);
- the next REST call with that login answers 401 `signed_out` with `error.reason`:
  for a token, the reason is remembered by the token's hash for `REMEMBER_SECONDS` (the
  cache; the token row itself is gone); for a session, it is read from the database when
  the session still names its user (the account deleted or deactivated, or its password
  hash changed since the session signed in).

The reason codes are the `SignedOut.REASONS` of `parley.common.errors`.
"""

from __future__ import annotations

from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.core.cache import cache
from django.db.models import QuerySet
from django.utils.crypto import constant_time_compare

from parley.accounts import selectors
from parley.accounts.models import AuthToken, User
from parley.realtime import publish

REMEMBER_SECONDS = 30 * 86400
_PREFIX = "signed-out:"

LOGGED_OUT = "logged_out"
PASSWORD_CHANGED = "password_changed"
PASSWORD_RESET = "password_reset"
ACCOUNT_DEACTIVATED = "account_deactivated"
ACCOUNT_DELETED = "account_deleted"
GUEST_REMOVED = "guest_removed"


def tokens_end(tokens: QuerySet[AuthToken], reason: str) -> None:
    """Delete these tokens, remembering why by their hashes (one cache write for all)."""
    hashes = list(tokens.values_list("key_hash", flat=True))
    if hashes:
        cache.set_many({f"{_PREFIX}{h}": reason for h in hashes}, timeout=REMEMBER_SECONDS)
        AuthToken.objects.filter(key_hash__in=hashes).delete()


def account_end(*, user: User, reason: str, code: int = 4003) -> None:
    """End every login of the account: its tokens (remembered) and its sockets (told why)."""
    tokens_end(AuthToken.objects.filter(user=user), reason)
    publish.user_close(user_id=user.pk, auth_ids=None, reason=reason, code=code)


def token_reason(key: str) -> str | None:
    """Why this token (no longer found) was ended, if it was ended by the account's side."""
    if not key or len(key) > 128:
        return None
    value = cache.get(f"{_PREFIX}{selectors.token_hash(key)}")
    return value if isinstance(value, str) else None


def session_snapshot(session: object) -> tuple[str | None, str | None]:
    """The user id and password hash a session signed in with, read before Django resolves
    the user (which flushes a session whose hash no longer matches)."""
    get = getattr(session, "get", None)
    if get is None:
        return None, None
    return get(SESSION_KEY), get(HASH_SESSION_KEY)


def session_reason(user_id: str | None, session_hash: str | None) -> str | None:
    """Why a session that named `user_id` no longer signs anyone in (None: it still would,
    or it named nobody)."""
    if user_id is None:
        return None
    try:
        user = User.objects.filter(pk=int(user_id)).first()
    except (TypeError, ValueError):
        return None
    if user is None or user.deleted_at is not None:
        return ACCOUNT_DELETED
    if not user.is_active:
        return GUEST_REMOVED if user.is_guest else ACCOUNT_DEACTIVATED
    if session_hash and not constant_time_compare(session_hash, user.get_session_auth_hash()):
        return PASSWORD_CHANGED
    return None
