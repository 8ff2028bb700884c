"""People managed by staff in the web client (issue 31): the list, deactivating and
reactivating accounts, and the sign-in log of anyone.

Who may do what:
- only staff (`is_staff`) reach any of it;
- nobody deactivates themselves (an administrator would lock the door behind them);
- staff deactivate and reactivate ordinary accounts; a staff account only a superuser
  does (staff cannot remove each other, so one account taken over cannot lock out the
  others).

Deactivating keeps the row and every message; every login ends at once: tokens (their
devices are told why on their next call), the sessions those logins opened (so
reactivating does not revive them), and every open socket, closed with the reason
`account_deactivated` (`parley.accounts.signout`). Reactivating lets the person sign in
again; nothing else of theirs changed.

The list holds registered accounts: guests come and go (moderation handles them) and
deleted accounts are only tombstones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from parley.accounts import services, signins
from parley.accounts.models import AuthToken, SignIn, User
from parley.common.errors import Forbidden, NotFound

ACTIVE, DEACTIVATED, ALL = "active", "deactivated", "all"
STATES = (ACTIVE, DEACTIVATED, ALL)


def staff_only(actor: User) -> None:
    if not (actor.is_active and actor.is_staff):
        raise Forbidden(_("Only staff can manage people."), code="staff_only")


def _people() -> QuerySet[User]:
    # A username starting with "_" is Parley's own (the system account, a deleted account's
    # tombstone): no person registers one (`services.USERNAME_RE`).
    return User.objects.filter(is_guest=False, is_bot=False, deleted_at__isnull=True).exclude(
        username__startswith="_"
    )


@dataclass(frozen=True)
class Page:
    people: Sequence[User]
    count: int
    has_more: bool


def people_list(*, actor: User, q: str = "", state: str = ALL, offset: int = 0, limit: int = 50) -> Page:
    """Accounts whose username, display name or address contains `q`, newest first, each
    with its last sign-in (`last_sign_in_at`, `last_sign_in_method`) annotated."""
    staff_only(actor)
    qs = _people()
    if state == ACTIVE:
        qs = qs.filter(is_active=True)
    elif state == DEACTIVATED:
        qs = qs.filter(is_active=False)
    q = q.strip()
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(display_name__icontains=q) | Q(email__icontains=q))
    last = SignIn.objects.filter(user=OuterRef("pk")).order_by("-at", "-pk")
    qs = qs.annotate(
        last_sign_in_at=Subquery(last.values("at")[:1]),
        last_sign_in_method=Subquery(last.values("method")[:1]),
    )
    count = qs.count()
    rows = list(qs.order_by("-date_joined", "-pk")[offset : offset + limit])
    return Page(rows, count, offset + len(rows) < count)


def person_get(*, actor: User, user_id: int) -> User:
    staff_only(actor)
    last = SignIn.objects.filter(user=OuterRef("pk")).order_by("-at", "-pk")
    user = (
        _people()
        .annotate(
            last_sign_in_at=Subquery(last.values("at")[:1]),
            last_sign_in_method=Subquery(last.values("method")[:1]),
        )
        .filter(pk=user_id)
        .first()
    )
    if user is None:
        raise NotFound(_("No such person."), code="person_not_found")
    return user


def _may_change(actor: User, target: User) -> None:
    if target.pk == actor.pk:
        raise Forbidden(_("You cannot deactivate or reactivate yourself."), code="self")
    if (target.is_staff or target.is_superuser) and not actor.is_superuser:
        raise Forbidden(
            _("Only a superuser can deactivate or reactivate a staff account."), code="target_is_staff"
        )


def person_deactivate(*, actor: User, user_id: int) -> User:
    """Deactivate an account: every login and socket ends at once, messages stay."""
    target = person_get(actor=actor, user_id=user_id)
    _may_change(actor, target)
    if target.is_active:
        keys = [k for k in AuthToken.objects.filter(user=target).values_list("session_key", flat=True) if k]
        services.user_deactivate(user=target)
        signins.sessions_end(keys)
    return person_get(actor=actor, user_id=user_id)


def person_reactivate(*, actor: User, user_id: int) -> User:
    """Let a deactivated account sign in again."""
    target = person_get(actor=actor, user_id=user_id)
    _may_change(actor, target)
    if not target.is_active:
        User.objects.filter(pk=target.pk).update(is_active=True)
    return person_get(actor=actor, user_id=user_id)


def person_sign_ins(*, actor: User, user_id: int) -> list[SignIn]:
    """Someone's kept sign-ins, newest first (staff)."""
    target = person_get(actor=actor, user_id=user_id)
    return list(SignIn.objects.filter(user=target).select_related("token").order_by("-at", "-pk"))
