from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parley.accounts.models import AuthToken, ExternalLogin, User
from parley.common.errors import Forbidden


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_lookup(*, key: str) -> AuthToken | None:
    """The token `key` names, unless it is older than TOKEN_TTL (issued or last renewed)."""
    if not key or len(key) > 128:
        return None
    tokens = AuthToken.objects.select_related("user").filter(key_hash=token_hash(key))
    if settings.TOKEN_TTL > 0:
        tokens = tokens.filter(created_at__gt=timezone.now() - timedelta(seconds=settings.TOKEN_TTL))
    return tokens.first()


def token_expires_at(token_created_at: datetime) -> datetime | None:
    """When a token issued (or renewed) at `token_created_at` stops working; None: never."""
    if settings.TOKEN_TTL <= 0:
        return None
    return token_created_at + timedelta(seconds=settings.TOKEN_TTL)


def user_by_username(*, username: str) -> User | None:
    return User.objects.filter(username__iexact=username).first()


def name_is_taken(*, name: str) -> bool:
    """True when `name` would read as someone else: a username, a display name or a guest nickname."""
    return (
        User.objects.filter(username__iexact=name).exists()
        or User.objects.filter(display_name__iexact=name, is_active=True).exists()
    )


def directory_managed(*, user: User) -> bool:
    """Whether the account's password lives in an LDAP directory (parley.accounts.sso): no
    local password may be set or reset for it."""
    return ExternalLogin.objects.filter(user=user, kind=ExternalLogin.LDAP).exists()


def user_for_reset(*, login: str) -> User | None:
    """The active, registered account a reset request names: by username, or by verified address."""
    if not login or len(login) > 254:
        return None
    users = User.objects.filter(is_active=True, is_guest=False).exclude(email="")
    if "@" in login:
        found = list(users.filter(email__iexact=login, email_verified=True)[:2])
        return found[0] if len(found) == 1 else None
    return users.filter(username__iexact=login).first()


def user_search(*, viewer: User, q: str, limit: int, offset: int = 0) -> tuple[list[User], bool]:
    """Active registered people whose username or display name contains `q` (the "New
    message" picker), the viewer left out; (page, has_more). Prefix matches come first.
    Guests cannot start direct messages, so they get no list of everyone registered either."""
    if viewer.is_guest:
        raise Forbidden(_("Guests cannot start direct messages; register an account first."), code="guest")
    qs = User.objects.filter(is_active=True, is_guest=False).exclude(pk=viewer.pk)
    q = q.strip()
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    rows = list(qs.order_by("username", "id")[offset : offset + limit + 1])
    page, more = rows[:limit], len(rows) > limit
    if q:
        low = q.lower()
        page.sort(
            key=lambda u: not (u.username.lower().startswith(low) or u.shown_name.lower().startswith(low))
        )
    return page, more
