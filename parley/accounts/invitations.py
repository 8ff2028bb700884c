"""Who may create an account (`REGISTRATION`), and the invitations staff mail (issue 31).

- `open` (the default): anyone registers; guests come in.
- `invite`: an account is created only with an invitation; no guests (a guest is someone
  nobody invited).
- `closed`: nobody signs up and no guests; staff invitations still work, so an
  administrator can always add someone.

Room invite links (`parley.rooms.invites`) are not invitations to the site: they let
people who are already signed in join a room, whatever REGISTRATION says.

An invitation is a random token mailed to one address: it works once, until it expires
(INVITATION_MAX_AGE), and only its SHA-256 is stored. Mailing a new one to the same
address revokes the earlier ones, so only the newest link works.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parley.accounts.models import Invitation, User
from parley.common import mail
from parley.common.errors import Forbidden, Gone, Invalid, NotFound
from parley.common.i18n import Text

OPEN, INVITE, CLOSED = "open", "invite", "closed"
LIST_LIMIT = 200
TOKEN_MAX = 64

_GONE: dict[str, Text] = {
    "used": _("This invitation was used already."),
    "revoked": _("This invitation was withdrawn."),
    "expired": _("This invitation has expired."),
}


def registration_mode() -> str:
    return str(settings.REGISTRATION)


def guests_allowed() -> bool:
    return registration_mode() == OPEN


def guest_check() -> None:
    """Raise unless guests may come in (REGISTRATION=open)."""
    if not guests_allowed():
        raise Forbidden(_("Guests cannot join this site; sign in with an account."), code="guests_closed")


def registration_check(*, invitation: str) -> None:
    """Raise unless an account may be created now: always with an invitation (checked when it
    is used), else only when REGISTRATION=open."""
    if invitation:
        return
    mode = registration_mode()
    if mode == CLOSED:
        raise Forbidden(_("New accounts are not being created on this site."), code="registration_closed")
    if mode == INVITE:
        raise Forbidden(
            _("This site is by invitation only: open the link from your invitation mail."),
            code="invitation_required",
        )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _clean_email(email: str) -> str:
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise Invalid(
            _("Enter a valid email address."), fields={"email": [_("Enter a valid email address.")]}
        ) from exc
    return email


def invitation_create(*, actor: User, email: str, language: str = "") -> tuple[Invitation, str]:
    """A new invitation for `email` and its token (mailed by `invitation_send`). Refused for an
    address an active account has already; earlier pending invitations to it are revoked."""
    email = _clean_email(email)
    if User.objects.filter(email__iexact=email, is_active=True, is_guest=False).exists():
        raise Invalid(
            _("Someone has an account with this address already."),
            code="email_in_use",
            fields={"email": [_("This address belongs to an account.")]},
        )
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        Invitation.objects.filter(
            email__iexact=email, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        ).update(revoked_at=now)
        invitation = Invitation.objects.create(
            email=email,
            token_hash=_hash(token),
            invited_by=actor,
            expires_at=now + timedelta(seconds=settings.INVITATION_MAX_AGE),
        )
    return invitation, token


def invitation_send(*, invitation: Invitation, token: str, language: str) -> None:
    """Mail the link (in `language`: the invited person has no saved one yet)."""
    inviter = invitation.invited_by
    mail.send(
        to=invitation.email,
        language=language,
        template="invitation",
        context={
            "inviter": inviter.shown_name if inviter is not None else "Parley",
            "email": invitation.email,
            "link": mail.site_link(f"/invitation?token={token}"),
            "valid_days": max(1, round(settings.INVITATION_MAX_AGE / 86400)),
        },
    )


def invitation_pending(*, limit: int = LIST_LIMIT) -> QuerySet[Invitation]:
    """Invitations nobody used or withdrew that still work, newest first."""
    return (
        Invitation.objects.filter(
            used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("invited_by")
        .order_by("-created_at", "-pk")[:limit]
    )


def invitation_revoke(*, invitation_id: int) -> Invitation:
    invitation = Invitation.objects.filter(pk=invitation_id).first()
    if invitation is None:
        raise NotFound(_("No such invitation."), code="invitation_not_found")
    if invitation.used_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


def _by_token(token: str, *, lock: bool = False) -> Invitation:
    found = None
    if token and len(token) <= TOKEN_MAX:
        qs = Invitation.objects.select_for_update() if lock else Invitation.objects
        found = qs.filter(token_hash=_hash(token)).first()
    if found is None:
        raise NotFound(_("This invitation link is not valid."), code="invitation_not_found")
    return found


def _live(invitation: Invitation) -> Invitation:
    state = invitation.state
    if state != "pending":
        raise Gone(_GONE[state], code=f"invitation_{state}")
    return invitation


def invitation_preview(*, token: str) -> Invitation:
    """The invitation a link names, while it works (404 unknown, 410 used, withdrawn, expired)."""
    return _live(_by_token(token))


def invitation_use(*, token: str, user: User) -> Invitation:
    """Mark the invitation used by the account just created from it (inside the caller's
    transaction; the row is locked, so two sign-ups with one link make one account). The
    address it was mailed to becomes the account's, verified: opening the link proved it."""
    invitation = _live(_by_token(token, lock=True))
    invitation.used_at = timezone.now()
    invitation.used_by = user
    invitation.save(update_fields=["used_at", "used_by"])
    user.email = invitation.email
    user.email_verified = True
    user.digest_through = user.digest_through or timezone.now()
    user.save(update_fields=["email", "email_verified", "digest_through"])
    return invitation
