"""Passkeys (WebAuthn, issue 31) through py_webauthn: register several, name, rename and
remove them, and sign in with one, either after the password (the second factor) or, for a
passkey its owner marked `passwordless`, alone.

Signing in without a password is the username-less ("discoverable credential") flow: the
options name no credential, the browser offers the passkeys it holds for this site, and the
assertion's credential id says whose it is. Such a passkey is created as a resident key with
user verification (PIN or biometrics) required, so it is two factors in itself.

Every ceremony's challenge is kept server-side in the cache under a random ticket for
`CHALLENGE_SECONDS` and taken exactly once (a replayed assertion finds no challenge). The
relying party (RP ID and origins) is worked out by the view from settings or the request
(`parley.accounts.twofactor_api.relying_party`) and stored with the challenge.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from parley.accounts import twofactor
from parley.accounts.models import Passkey, User
from parley.accounts.twofactor_models import PASSKEY_NAME_MAX
from parley.common.errors import Conflict, Invalid, NotFound
from parley.common.names import clean_name

CHALLENGE_SECONDS = 300
PASSKEYS_MAX = 20
_PREFIX = "webauthn:"


@dataclass(frozen=True)
class RelyingParty:
    id: str
    name: str
    origins: list[str]


# --- challenges: kept server-side, used once -----------------------------------------


def _challenge_put(data: dict[str, Any]) -> str:
    ticket = secrets.token_urlsafe(24)
    cache.set(f"{_PREFIX}{ticket}", data, CHALLENGE_SECONDS)
    return ticket


def _challenge_take(ticket: Any, kind: str) -> dict[str, Any]:
    """The ceremony `ticket` names, removed as it is read: the one request that deletes it
    gets it (the cache's delete says whether the key was there)."""
    if not isinstance(ticket, str) or not ticket or len(ticket) > 64:
        raise _expired()
    key = f"{_PREFIX}{ticket}"
    data = cache.get(key)
    if not isinstance(data, dict) or data.get("kind") != kind or not cache.delete(key):
        raise _expired()
    return data


def _expired() -> Invalid:
    return Invalid(
        _("This passkey request has expired or was used already; try again."), code="challenge_expired"
    )


def _credential_hash(credential_id: str) -> str:
    return hashlib.sha256(credential_id.encode()).hexdigest()


def _name(value: str) -> str:
    return clean_name(value, field="name", max_length=PASSKEY_NAME_MAX, label=_("name"))


def _transports(values: Any) -> list[AuthenticatorTransport]:
    known = {t.value for t in AuthenticatorTransport}
    return [AuthenticatorTransport(v) for v in values or [] if v in known]


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(passkey.credential_id), transports=_transports(passkey.transports)
    )


def _verification(*, required: bool) -> UserVerificationRequirement:
    """Required (PIN or biometrics) when the passkey is all there is; preferred after a password."""
    return UserVerificationRequirement.REQUIRED if required else UserVerificationRequirement.PREFERRED


# --- registration --------------------------------------------------------------------


def register_options(*, user: User, rp: RelyingParty, passwordless: bool) -> dict[str, Any]:
    """`{ticket, options}` for `navigator.credentials.create({publicKey: options})`."""
    if user.is_guest or user.is_bot:
        raise Invalid(_("Only accounts with a password can add passkeys."), code="not_allowed")
    existing = list(Passkey.objects.filter(user=user))
    if len(existing) >= PASSKEYS_MAX:
        raise Conflict(_("You have as many passkeys as an account may have."), code="too_many_passkeys")
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=str(user.pk).encode(),
        user_name=user.username,
        user_display_name=user.shown_name,
        timeout=CHALLENGE_SECONDS * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED
            if passwordless
            else ResidentKeyRequirement.PREFERRED,
            user_verification=(
                UserVerificationRequirement.REQUIRED
                if passwordless
                else UserVerificationRequirement.PREFERRED
            ),
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(
                id=base64url_to_bytes(p.credential_id), transports=_transports(p.transports)
            )
            for p in existing
        ],
    )
    ticket = _challenge_put(
        {
            "kind": "register",
            "user": user.pk,
            "challenge": bytes_to_base64url(options.challenge),
            "passwordless": passwordless,
            "rp_id": rp.id,
            "origins": rp.origins,
        }
    )
    return {"ticket": ticket, "options": json.loads(options_to_json(options))}


def register_verify(*, user: User, ticket: Any, credential: Any, name: str) -> Passkey:
    """Store the passkey the browser created for the challenge `ticket` names."""
    name = _name(name)
    if not isinstance(credential, dict):
        raise Invalid(_("The passkey could not be read."), code="passkey_invalid")
    data = _challenge_take(ticket, "register")
    if data["user"] != user.pk:
        raise _expired()
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(data["challenge"]),
            expected_rp_id=data["rp_id"],
            expected_origin=data["origins"],
            require_user_verification=data["passwordless"],
        )
    except (WebAuthnException, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise Invalid(
            _("The passkey could not be verified: %(reason)s") % {"reason": str(exc)[:200]},
            code="passkey_invalid",
        ) from exc
    credential_id = bytes_to_base64url(verified.credential_id)
    transports = credential.get("response", {}).get("transports", []) if isinstance(credential, dict) else []
    try:
        with transaction.atomic():
            return Passkey.objects.create(
                user=user,
                name=name,
                credential_id=credential_id,
                credential_hash=_credential_hash(credential_id),
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                transports=[t.value for t in _transports(transports)],
                passwordless=data["passwordless"],
            )
    except IntegrityError as exc:
        raise Conflict(_("This passkey is registered already."), code="passkey_exists") from exc


def passkey_rename(*, user: User, passkey_id: int, name: str) -> Passkey:
    passkey = _own(user, passkey_id)
    passkey.name = _name(name)
    passkey.save(update_fields=["name"])
    return passkey


def passkey_remove(*, user: User, passkey_id: int) -> None:
    passkey = _own(user, passkey_id)
    twofactor.removal_check(user=user, without_passkey=passkey.pk)
    passkey.delete()


def _own(user: User, passkey_id: int) -> Passkey:
    passkey = Passkey.objects.filter(user=user, pk=passkey_id).first()
    if passkey is None:
        raise NotFound(_("No such passkey."))
    return passkey


# --- signing in ----------------------------------------------------------------------


def login_options(*, rp: RelyingParty, user: User | None) -> dict[str, Any]:
    """`{ticket, options}` for `navigator.credentials.get({publicKey: options})`: for `user`'s
    passkeys after their password, or (user None) for any passwordless passkey."""
    allow: list[PublicKeyCredentialDescriptor] = []
    if user is not None:
        allow = [
            PublicKeyCredentialDescriptor(
                id=base64url_to_bytes(p.credential_id), transports=_transports(p.transports)
            )
            for p in Passkey.objects.filter(user=user)
        ]
        if not allow:
            raise Conflict(_("This account has no passkey."), code="no_passkey")
    options = generate_authentication_options(
        rp_id=rp.id,
        timeout=CHALLENGE_SECONDS * 1000,
        allow_credentials=allow,
        user_verification=(
            UserVerificationRequirement.PREFERRED
            if user is not None
            else UserVerificationRequirement.REQUIRED
        ),
    )
    ticket = _challenge_put(
        {
            "kind": "login",
            "user": user.pk if user is not None else None,
            "challenge": bytes_to_base64url(options.challenge),
            "rp_id": rp.id,
            "origins": rp.origins,
        }
    )
    return {"ticket": ticket, "options": json.loads(options_to_json(options))}


def login_user(*, ticket: Any) -> int | None:
    """Whose second step a login challenge is (None: a passwordless one), without taking it."""
    data = cache.get(f"{_PREFIX}{ticket}") if isinstance(ticket, str) and len(ticket) <= 64 else None
    return data.get("user") if isinstance(data, dict) else None


def login_verify(*, ticket: Any, credential: Any) -> User | None:
    """The account a valid assertion for the challenge `ticket` names signs in, or None (the
    caller counts the failure). Raises when the challenge is gone."""
    data = _challenge_take(ticket, "login")
    credential_id = credential.get("id") if isinstance(credential, dict) else None
    if not isinstance(credential_id, str) or len(credential_id) > 1400:
        return None
    passkey = (
        Passkey.objects.select_related("user").filter(credential_hash=_credential_hash(credential_id)).first()
    )
    if passkey is None or not passkey.user.is_active:
        return None
    if data["user"] is not None and passkey.user_id != data["user"]:
        return None
    if data["user"] is None and not passkey.passwordless:
        return None
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(data["challenge"]),
            expected_rp_id=data["rp_id"],
            expected_origin=data["origins"],
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=data["user"] is None,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError, AttributeError):
        return None
    Passkey.objects.filter(pk=passkey.pk).update(
        sign_count=verified.new_sign_count, last_used_at=timezone.now()
    )
    return passkey.user
