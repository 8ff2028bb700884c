"""Accounts of people who sign in through their organisation (OpenID Connect, LDAP).

An identity at the organisation (an issuer's subject, or a directory's user name) is tied to
one account by an `ExternalLogin` row. The first sign-in creates the account from what the
organisation says about the person, with the name rules every account follows; an existing
account is taken over only through an address both sides have verified, so nobody can claim
someone's account by registering their address (here or at the IdP) without proving it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parley.accounts import profile, services
from parley.accounts.avatars import avatar_for
from parley.accounts.models import DISPLAY_NAME_MAX, ExternalLogin, User
from parley.common.errors import Forbidden, Invalid
from parley.common.names import clean_name

logger = logging.getLogger(__name__)

LDAP_ISSUER = "ldap"


@dataclass(frozen=True)
class Person:
    """What the organisation says about someone: the identity and the profile to start with."""

    kind: str
    issuer: str
    subject: str
    username: str
    display_name: str = ""
    email: str = ""
    email_verified: bool = False


def sign_in_methods(user: User) -> list[str]:
    """How this account signs in: "password", "oidc", "ldap" (for the account page)."""
    kinds = sorted(set(ExternalLogin.objects.filter(user=user).values_list("kind", flat=True)))
    return (["password"] if user.has_usable_password() else []) + kinds


def _shown_name(wanted: str, username: str) -> str:
    """`wanted` as a display name when it passes the name rules and reads as nobody else's."""
    try:
        name = clean_name(wanted, field="display_name", max_length=DISPLAY_NAME_MAX)
    except Invalid:
        return ""
    if name.casefold() == username.casefold():
        return ""
    others = User.objects.exclude(username__iexact=username)
    if (
        name.lower().startswith(services.GUEST_PREFIX)
        or others.filter(username__iexact=name).exists()
        or others.filter(display_name__iexact=name, is_active=True).exists()
    ):
        return ""
    return name


def _clean_address(email: str) -> str:
    try:
        return services._clean_email(email)
    except Invalid:
        return ""


def _linkable(person: Person) -> User | None:
    """The one active account whose verified address is the person's verified address."""
    email = _clean_address(person.email)
    if not (email and person.email_verified):
        return None
    found = list(
        User.objects.filter(
            email__iexact=email, email_verified=True, is_active=True, is_guest=False, is_bot=False
        )[:2]
    )
    return found[0] if len(found) == 1 else None


def _create(person: Person, language: str | None) -> User:
    username = services._free_username(person.username or person.email.split("@")[0] or "user")
    email = _clean_address(person.email)
    user = User(
        username=username,
        display_name=_shown_name(person.display_name, username),
        avatar=avatar_for(username),
        email=email,
        email_verified=bool(email) and person.email_verified,
        language=services._starting_language(language),
    )
    if user.email_verified:
        user.digest_through = timezone.now()
    user.set_unusable_password()
    user.save()
    return user


def _refuse_inactive(user: User) -> None:
    if not user.is_active:
        raise Forbidden(_("This account is deactivated."), code="account_deactivated")


Created = Callable[[User], object]


def external_sign_in(
    *, person: Person, language: str | None = None, on_created: Created | None = None
) -> tuple[User, bool]:
    """The account `person` signs in as, and whether it was created now; `on_created` runs in
    the same transaction for a new account (the caller's layer puts it in the main room).
    Raises Forbidden for a deactivated account."""
    try:
        with transaction.atomic():
            return _external_sign_in(person, language, on_created)
    except IntegrityError:
        # A second sign-in of the same new identity committed first: use its account.
        with transaction.atomic():
            return _external_sign_in(person, language, on_created)


def _external_sign_in(person: Person, language: str | None, on_created: Created | None) -> tuple[User, bool]:
    now = timezone.now()
    link = (
        ExternalLogin.objects.select_related("user")
        .filter(issuer=person.issuer, subject=person.subject)
        .first()
    )
    if link is not None:
        _refuse_inactive(link.user)
        ExternalLogin.objects.filter(pk=link.pk).update(last_used_at=now)
        return link.user, False
    user = _linkable(person)
    created = user is None
    if user is None:
        user = _create(person, language)
    else:
        logger.info(
            "linked %s identity %s to account %s by its verified address",
            person.kind,
            person.subject,
            user.pk,
        )
    ExternalLogin.objects.create(
        user=user, kind=person.kind, issuer=person.issuer, subject=person.subject, last_used_at=now
    )
    if created and on_created is not None:
        on_created(user)
    return user, created


def directory_local_clash(username: str) -> bool:
    """Whether `username` names a local account that is not the directory's: the directory
    must not take it over (its owner signs in with their own password)."""
    user = User.objects.filter(username__iexact=username).first()
    if user is None:
        return False
    return not ExternalLogin.objects.filter(
        user=user, issuer=LDAP_ISSUER, subject=username.casefold()
    ).exists()


def directory_sign_in(
    *, person: Person, language: str | None = None, on_created: Created | None = None
) -> tuple[User, bool]:
    """Like `external_sign_in` for a directory's user, whose display name and address follow
    the directory at every sign-in (the directory is the truth about them)."""
    user, created = external_sign_in(person=person, language=language, on_created=on_created)
    if created:
        return user, True
    fields: list[str] = []
    name = _shown_name(person.display_name, user.username) if person.display_name else ""
    if name and name != user.display_name:
        user.display_name = name
        fields.append("display_name")
    email = _clean_address(person.email)
    if email and (email != user.email or not user.email_verified):
        user.email, user.email_verified = email, True
        user.digest_through = user.digest_through or timezone.now()
        fields += ["email", "email_verified", "digest_through"]
    if fields:
        user.save(update_fields=fields)
    if "display_name" in fields:
        profile._announce(user)  # others see the new name at once, as after PATCH me
    return user, False
