"""Account writes: registration, guests, tokens, logout, password, deactivation.

Only what an account is; joining the main room on registration and leaving every room
when a guest goes are writes across apps, in `parley.actions` (onboarding, erasure)."""

from __future__ import annotations

import re
import secrets

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from parley.accounts import selectors, signout
from parley.accounts.avatars import AVATARS, DEFAULT_AVATAR, avatar_for
from parley.accounts.models import DISPLAY_NAME_MAX, NICKNAME_MAX, AuthToken, SignIn, User
from parley.accounts.zones import UTC, clean_time_zone
from parley.common import languages, mail
from parley.common.errors import Invalid
from parley.common.i18n import interpolate
from parley.common.names import clean_name
from parley.realtime import publish

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,29}$")
GUEST_PREFIX = "guest-"
NOT_AVAILABLE = _("This name is not available.")
PASSWORD_MANAGED = _("Your password is managed by your organisation's directory; change it there.")


def _local_password_allowed(user: User) -> None:
    """Refuse a local password for an account whose password is the directory's (LDAP)."""
    if selectors.directory_managed(user=user):
        raise Invalid(PASSWORD_MANAGED, code="password_managed")


def _clean_email(email: str) -> str:
    email = email.strip()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError as exc:
        raise Invalid(
            _("Enter a valid email address."), fields={"email": [_("Enter a valid email address.")]}
        ) from exc
    return email


def _starting_language(language: str | None) -> str:
    """A new account starts in the language it registered in (the request's), so the first
    mails (the address check) are already in it; the profile changes it later."""
    return language if languages.is_language(language) else settings.LANGUAGE_CODE


def user_register(
    *, username: str, password: str, email: str = "", language: str | None = None, time_zone: str = ""
) -> User:
    if not USERNAME_RE.fullmatch(username) or username.lower().startswith(GUEST_PREFIX):
        raise Invalid(
            _("Choose another username."),
            fields={
                "username": [_("3-30 letters, digits, '.', '_' or '-', starting with a letter or digit.")]
            },
        )
    if selectors.name_is_taken(name=username):
        raise Invalid(_("Choose another username."), fields={"username": [NOT_AVAILABLE]})
    email = _clean_email(email)
    zone = clean_time_zone(time_zone) if time_zone else UTC
    candidate = User(username=username, email=email)
    try:
        password_validation.validate_password(password, candidate)
    except ValidationError as exc:
        raise Invalid(_("Choose a stronger password."), fields={"password": list(exc.messages)}) from exc
    try:
        with transaction.atomic():
            user = User(
                username=username,
                avatar=avatar_for(username),
                email=email,
                language=_starting_language(language),
                time_zone=zone,
            )
            user.set_password(password)
            user.save()
    except IntegrityError as exc:  # a concurrent registration won the name
        raise Invalid(_("Choose another username."), fields={"username": [NOT_AVAILABLE]}) from exc
    return user


def _free_username(wanted: str) -> str:
    """`wanted` made a valid username (USERNAME_RE) that nobody holds: other characters become
    '_', too short is padded, and a taken one gets -2, -3, ... (`name_is_taken`)."""
    base = re.sub(r"[^A-Za-z0-9_.-]", "_", wanted.strip().lower()).lstrip("_.-")[:26] or "user"
    if base.startswith(GUEST_PREFIX):
        base = "member-" + base[len(GUEST_PREFIX) :]
    base = base.ljust(3, "_")
    name, n = base, 1
    while selectors.name_is_taken(name=name):
        n += 1
        name = f"{base[: 30 - len(str(n)) - 1]}-{n}"
    return name


def user_import(
    *, username: str, display_name: str = "", email: str = "", is_bot: bool = False, active: bool = True
) -> User:
    """An account for a person whose history is imported (issue 32): no usable password, so
    nobody signs in as them until they claim it through the password reset (by the address,
    left unverified until then) or sign in through the organisation. The username is the
    source's where free, else a free variant of it."""
    try:
        email = _clean_email(email)
    except Invalid:
        email = ""
    name = _free_username(username)
    shown = " ".join(display_name.split())[:DISPLAY_NAME_MAX]
    with transaction.atomic():
        user = User(
            username=name,
            display_name="" if shown.lower() == name else shown,
            avatar=avatar_for(name),
            email=email,
            is_bot=is_bot,
            is_active=active,
        )
        user.set_unusable_password()
        user.save()
    return user


def guest_create(
    *, nickname: str, avatar: str | None = None, language: str | None = None, time_zone: str = ""
) -> User:
    """A guest; `time_zone` is the browser's (UTC when it sent none)."""
    nickname = clean_name(nickname, field="nickname", max_length=NICKNAME_MAX, label=_("nickname"))
    zone = clean_time_zone(time_zone) if time_zone else UTC
    key = avatar or DEFAULT_AVATAR
    if key not in AVATARS:
        raise Invalid(
            _("Pick one of the bundled avatars."),
            fields={"avatar": [interpolate(_("One of: %(values)s."), {"values": ", ".join(AVATARS)})]},
        )
    if nickname.lower().startswith(GUEST_PREFIX) or selectors.name_is_taken(name=nickname):
        raise Invalid(_("Choose another nickname."), fields={"nickname": [NOT_AVAILABLE]})
    user = User(
        username=f"{GUEST_PREFIX}{secrets.token_hex(6)}",
        display_name=nickname,
        avatar=key,
        is_guest=True,
        language=_starting_language(language),
        time_zone=zone,
    )
    user.set_unusable_password()
    user.save()
    return user


def token_issue(*, user: User, session_key: str = "") -> str:
    """Create a token for one login and return its key; only the hash is kept."""
    key = secrets.token_urlsafe(32)
    AuthToken.objects.create(user=user, key_hash=selectors.token_hash(key), session_key=session_key or "")
    return key


def token_renew(*, token: AuthToken) -> str:
    """A new key for the same login (same row, so its sockets and logout stay tied to it),
    valid for TOKEN_TTL from now; the old key stops working at once."""
    key = secrets.token_urlsafe(32)
    token.key_hash = selectors.token_hash(key)
    token.created_at = timezone.now()
    AuthToken.objects.filter(pk=token.pk).update(key_hash=token.key_hash, created_at=token.created_at)
    return key


def logout(*, user: User, token: AuthToken | None, session_key: str | None) -> None:
    """End one login: its token, the session's token and every socket opened with either.
    (A guest signing out is removed instead: `parley.actions.erasure.sign_out`.)"""
    tokens = AuthToken.objects.filter(user=user)
    ids: set[int] = set()
    if token is not None:
        ids.add(token.pk)
    if session_key:
        ids.update(tokens.filter(session_key=session_key).values_list("pk", flat=True))
    auth_ids = [f"t:{pk}" for pk in ids]
    if session_key:
        auth_ids.append(f"s:{session_key}")
    signout.tokens_end(AuthToken.objects.filter(pk__in=ids), signout.LOGGED_OUT)
    publish.user_close(user_id=user.pk, auth_ids=auth_ids, reason=signout.LOGGED_OUT)


def password_change(
    *, user: User, old_password: str, new_password: str, keep_token: AuthToken | None
) -> None:
    _local_password_allowed(user)
    if user.is_guest or not user.check_password(old_password):
        raise Invalid(_("The current password is wrong."), fields={"old_password": [_("Wrong password.")]})
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise Invalid(_("Choose a stronger password."), fields={"new_password": list(exc.messages)}) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    stale = AuthToken.objects.filter(user=user)
    if keep_token is not None:
        stale = stale.exclude(pk=keep_token.pk)
    signout.tokens_end(stale, signout.PASSWORD_CHANGED)
    # Every socket closes with 4001 and reconnects: the login that made the change (its token,
    # or its session, whose hash the view renews) gets back in; the others are refused and sign in.
    publish.user_close(user_id=user.pk, auth_ids=None, reason=signout.PASSWORD_CHANGED, code=4001)


def user_deactivate(*, user: User) -> None:
    user.is_active = False
    user.save(update_fields=["is_active"])
    signout.account_end(user=user, reason=signout.ACCOUNT_DEACTIVATED)


def guest_deactivate(*, user: User) -> None:
    """The account's part of removing a guest (parley.actions.erasure.guest_remove): the row
    stays (its messages keep their sender) but is inactive, which frees the nickname
    (`name_is_taken` counts only active display names); its logins and sockets end."""
    if not user.is_guest:
        raise Invalid(_("Only guests are removed this way."))
    user.is_active = False
    user.save(update_fields=["is_active"])
    signout.account_end(user=user, reason=signout.GUEST_REMOVED)
    SignIn.objects.filter(user=user).delete()  # a guest who left leaves no address behind


# --- mail: verification, password reset, digest preference ---------------------------------
VERIFY_SALT = "parley.accounts.verify-email"


def email_verification_send(*, user_id: int) -> bool:
    """Mail a signed, expiring link that confirms the user's current address."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email or user.email_verified:
        return False
    token = signing.dumps({"u": user.pk, "e": user.email}, salt=VERIFY_SALT, compress=True)
    mail.send(
        to=user.email,
        language=user.language,
        time_zone=user.time_zone,
        template="verify_email",
        context={
            "name": user.shown_name,
            "email": user.email,
            "link": mail.site_link(f"/verify-email?token={token}"),
            "valid_days": max(1, settings.EMAIL_VERIFY_MAX_AGE // 86400),
        },
    )
    return True


def email_verification_check_pending(*, user: User) -> None:
    """Raise unless the user has an address still waiting for its link (before mailing it again)."""
    if not user.email:
        raise Invalid(_("Add an email address first."), fields={"email": [_("No address to confirm.")]})
    if user.email_verified:
        raise Invalid(_("This address is already confirmed."), code="already_verified")


def email_verify(*, token: str) -> User:
    """Mark the address in `token` verified, if it is still the user's address."""
    bad = Invalid(_("This link is invalid or has expired."), code="invalid_token")
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=settings.EMAIL_VERIFY_MAX_AGE)
    except signing.BadSignature as exc:
        raise bad from exc
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or not user.email or user.email.lower() != str(data.get("e", "")).lower():
        raise bad
    if not user.email_verified:
        user.email_verified = True
        # Digests count what is missed from now on, not the history before.
        user.digest_through = user.digest_through or timezone.now()
        user.save(update_fields=["email_verified", "digest_through"])
    return user


def email_set(*, user: User, email: str) -> bool:
    """Change the address (unverified until its link is opened); True when it changed."""
    if user.is_guest:
        raise Invalid(_("Guests have no mail address."), fields={"email": [_("Register to add an address.")]})
    email = _clean_email(email)
    if email.casefold() == user.email.casefold():
        # Only the letter case changed (or nothing): the mailbox is the same, so it stays
        # verified and nothing is mailed (alternating case must not mint verification mails).
        if email != user.email:
            user.email = email
            user.save(update_fields=["email"])
        return False
    user.email = email
    user.email_verified = False
    user.save(update_fields=["email", "email_verified"])
    return bool(email)


def mail_settings_update(*, user: User, digest_enabled: bool) -> User:
    user.digest_enabled = digest_enabled
    user.save(update_fields=["digest_enabled"])
    return user


def password_reset_send(*, login: str) -> bool:
    """Mail a reset link to the account named by username or verified address.

    Says nothing to the caller about whether one exists (the API answers the same either way)."""
    user = selectors.user_for_reset(login=login.strip())
    if user is None or selectors.directory_managed(user=user):
        return False
    if not mail.recipient_take(user.email):
        return False  # this mailbox had its share of mail from us; the caller is told nothing
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = f"{uid}.{default_token_generator.make_token(user)}"
    mail.send(
        to=user.email,
        language=user.language,
        time_zone=user.time_zone,
        template="password_reset",
        context={
            "name": user.shown_name,
            "username": user.username,
            "link": mail.site_link(f"/reset-password?token={token}"),
            "valid_minutes": max(1, settings.PASSWORD_RESET_MAX_AGE // 60),
        },
    )
    return True


def password_reset_confirm(*, token: str, new_password: str) -> User:
    """Set a new password from a reset link; ends every login and socket of the account.

    Django's token covers the password hash and the last login, so a link works once."""
    bad = Invalid(_("This link is invalid or has expired."), code="invalid_token")
    uid, _sep, key = token.partition(".")
    try:
        user_id = int(force_str(urlsafe_base64_decode(uid)))
    except (ValueError, TypeError) as exc:
        raise bad from exc
    user = User.objects.filter(pk=user_id, is_active=True, is_guest=False).first()
    if user is None or not default_token_generator.check_token(user, key):
        raise bad
    _local_password_allowed(user)
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise Invalid(_("Choose a stronger password."), fields={"new_password": list(exc.messages)}) from exc
    user.set_password(new_password)
    # Opening the link proves the address too.
    user.email_verified = True
    user.save(update_fields=["password", "email_verified"])
    signout.account_end(user=user, reason=signout.PASSWORD_RESET)
    return user


# --- WebSocket tickets: a short-lived, single-use stand-in for a token in the URL ------------
TICKET_PREFIX = "wsticket:"


def ws_ticket_ttl() -> int:
    return int(settings.WS_TICKET_TTL)


def ws_ticket_issue(*, user: User, auth_id: str) -> str:
    """Store a random ticket for `user` in the shared cache (any process can redeem it once).

    It carries the login (`auth_id`) that asked for it, so signing that login out still
    closes the socket opened with the ticket."""
    ticket = secrets.token_urlsafe(24)
    cache.set(f"{TICKET_PREFIX}{ticket}", {"u": user.pk, "a": auth_id}, timeout=ws_ticket_ttl())
    return ticket


def ws_ticket_redeem(*, ticket: str) -> tuple[User, str] | None:
    """The user and login of a valid ticket, consumed; None when unknown, used or expired.

    Of two processes redeeming the same ticket at once only one deletes the key."""
    if not ticket or len(ticket) > 64:
        return None
    key = f"{TICKET_PREFIX}{ticket}"
    data = cache.get(key)
    if not data or not cache.delete(key):
        return None
    user = User.objects.filter(pk=data["u"], is_active=True).first()
    return (user, str(data["a"])) if user is not None else None
