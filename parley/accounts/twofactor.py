"""Two-factor sign-in (issue 31): an authenticator app (TOTP), recovery codes, and the rules
every second factor shares (which people must have one, what the login asks for, resets).
Passkeys, the third kind, are in `parley.accounts.passkeys`.

TOTP is RFC 6238 as every authenticator app speaks it: 30-second steps, 6 digits, SHA-1.
A code of the step before or after is accepted too (clocks drift), but each step only once
and never one older than the last accepted (a code seen over a shoulder or replayed from a
log is worthless).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import time
from typing import Any

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parley.accounts.models import ExternalLogin, Passkey, RecoveryCode, TotpDevice, User
from parley.common.errors import Conflict, Forbidden, Invalid

log = logging.getLogger(__name__)

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps accepted either side of now
RECOVERY_CODES = 10
ISSUER = "Parley"

# What a login may offer as its second factor, in the order a client shows them.
TOTP, RECOVERY, PASSKEY = "totp", "recovery", "passkey"


class SecondFactorRequired(Forbidden):
    """REQUIRE_2FA applies to this person and they have no second factor yet."""

    code = "second_factor_required"


REQUIRED_MESSAGE = _(
    "Two-factor sign-in is required on this server: set up an authenticator app or a passkey first."
)


# --- who must have one ---------------------------------------------------------------


def required_for(user: Any) -> bool:
    """Whether REQUIRE_2FA (`staff` or `all`) applies to this account. Guests sign in with a
    nickname and no password, bots with tokens only: neither has a login to protect."""
    policy = getattr(settings, "REQUIRE_2FA", "")
    if not policy or not getattr(user, "is_authenticated", False):
        return False
    if user.is_guest or user.is_bot:
        return False
    if (
        not user.has_usable_password()
        and ExternalLogin.objects.filter(user=user, kind=ExternalLogin.OIDC).exists()
    ):
        return False  # signs in only at the organisation's IdP, whose own second factor applies there
    if policy == "all":
        return True
    return bool(user.is_staff or user.is_superuser)


def methods(user: User) -> list[str]:
    """The second factors this account can sign in with (empty: it has none)."""
    found = []
    if TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists():
        found.append(TOTP)
    if RecoveryCode.objects.filter(user=user, used_at__isnull=True).exists():
        found.append(RECOVERY)
    if Passkey.objects.filter(user=user).exists():
        found.append(PASSKEY)
    return found


def has_second_factor(user: User) -> bool:
    """A recovery code alone is a way back in, not a factor: it does not count. One query."""
    return (
        User.objects.filter(pk=user.pk)
        .filter(Q(totp_device__confirmed_at__isnull=False) | Q(passkeys__isnull=False))
        .exists()
    )


def enrolment_missing(user: Any) -> bool:
    """REQUIRE_2FA applies and the account has no second factor: it is held at enrolment."""
    return required_for(user) and not has_second_factor(user)


def status(user: User) -> dict[str, Any]:
    """What the account page shows."""
    device = TotpDevice.objects.filter(user=user).first()
    return {
        "totp": device is not None and device.confirmed_at is not None,
        "totp_pending": device is not None and device.confirmed_at is None,
        "recovery_codes_left": RecoveryCode.objects.filter(user=user, used_at__isnull=True).count(),
        "passkeys": list(Passkey.objects.filter(user=user)),
        "mandatory": required_for(user),
    }


# --- the secret at rest --------------------------------------------------------------


def _fernet() -> Fernet:
    """A key derived from SECRET_KEY for this one purpose (changing SECRET_KEY means
    enrolling authenticator apps again; docs/deploy.md says so)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"parley totp secret").derive(
        settings.SECRET_KEY.encode()
    )
    return Fernet(base64.urlsafe_b64encode(raw))


def _seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def _open(sealed: str) -> str | None:
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        log.warning("a TOTP secret cannot be decrypted (SECRET_KEY changed?)")
        return None


# --- TOTP ----------------------------------------------------------------------------


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)


def _clean_code(code: str) -> str:
    return "".join(ch for ch in code if not ch.isspace())


def totp_begin(*, user: User) -> dict[str, str]:
    """A new secret, pending until confirmed (a second call replaces a pending one)."""
    if user.is_guest or user.is_bot:
        raise Forbidden(_("Only accounts with a password can turn on two-factor sign-in."))
    if TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists():
        raise Conflict(_("An authenticator app is already set up; turn it off first."), code="totp_enabled")
    secret = pyotp.random_base32()
    TotpDevice.objects.update_or_create(
        user=user, defaults={"secret_encrypted": _seal(secret), "confirmed_at": None, "last_step": 0}
    )
    url = _totp(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    return {"secret": secret, "otpauth_url": url}


def _totp_accept(device: TotpDevice, code: str) -> bool:
    """Whether `code` is this device's for a step near now not used before; takes the step."""
    code = _clean_code(code)
    if len(code) != DIGITS or not (code.isascii() and code.isdigit()):
        return False
    secret = _open(device.secret_encrypted)
    if secret is None:
        return False
    totp = _totp(secret)
    now_step = int(time.time()) // STEP_SECONDS
    for step in range(now_step + WINDOW, now_step - WINDOW - 1, -1):
        if step <= device.last_step:
            continue
        if secrets.compare_digest(totp.at(step * STEP_SECONDS), code):
            # Conditional on the stored step: two requests with the same code, one wins.
            won = TotpDevice.objects.filter(pk=device.pk, last_step__lt=step).update(last_step=step)
            return won == 1
    return False


def totp_confirm(*, user: User, code: str) -> list[str]:
    """Turn the pending secret on with a code from the app; the new recovery codes."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=True).first()
    if device is None:
        raise Invalid(_("Start setting up an authenticator app first."), code="totp_not_pending")
    if not _totp_accept(device, code):
        raise Invalid(
            _("That code is not right. Check the time on your device and try the newest code."),
            code="invalid_code",
            fields={"code": [_("Wrong code.")]},
        )
    with transaction.atomic():
        TotpDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
        return _recovery_replace(user)


# --- recovery codes ------------------------------------------------------------------


def _recovery_hash(code: str) -> str:
    normal = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()


def _recovery_new() -> str:
    """Ten characters of a lower-case alphabet without look-alikes, shown as xxxxx-xxxxx."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _recovery_replace(user: User) -> list[str]:
    codes = [_recovery_new() for _ in range(RECOVERY_CODES)]
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, code_hash=_recovery_hash(c)) for c in codes])
    return codes


def totp_enabled_check(*, user: User) -> None:
    if not TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists():
        raise Conflict(_("Set up an authenticator app first."), code="totp_not_enabled")


def recovery_regenerate(*, user: User) -> list[str]:
    """A fresh list; the old codes stop working. Needs an authenticator app (the codes stand
    in for it)."""
    totp_enabled_check(user=user)
    with transaction.atomic():
        return _recovery_replace(user)


def _recovery_use(user: User, code: str) -> bool:
    found = RecoveryCode.objects.filter(user=user, code_hash=_recovery_hash(code), used_at__isnull=True)
    return found.update(used_at=timezone.now()) == 1


# --- checking a code -----------------------------------------------------------------


def code_check(*, user: User, code: str) -> str | None:
    """Which factor `code` satisfied ("totp" or "recovery"), using it up; None when neither.
    A 6-digit code is tried as TOTP, anything else as a recovery code."""
    if not isinstance(code, str) or not code.strip() or len(code) > 64:
        return None
    cleaned = _clean_code(code)
    if cleaned.isascii() and cleaned.isdigit():
        device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
        return TOTP if device is not None and _totp_accept(device, cleaned) else None
    return RECOVERY if _recovery_use(user, code) else None


def _keeps_a_factor(user: User, *, without_totp: bool = False, without_passkey: int | None = None) -> bool:
    totp = not without_totp and TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()
    keys = Passkey.objects.filter(user=user)
    if without_passkey is not None:
        keys = keys.exclude(pk=without_passkey)
    return totp or keys.exists()


def removal_check(*, user: User, without_totp: bool = False, without_passkey: int | None = None) -> None:
    """Refuse to remove a person's last second factor while REQUIRE_2FA applies to them."""
    if required_for(user) and not _keeps_a_factor(
        user, without_totp=without_totp, without_passkey=without_passkey
    ):
        raise SecondFactorRequired(
            _("Two-factor sign-in is required here: add another second factor before removing this one.")
        )


def totp_disable(*, user: User) -> None:
    """Turn off the authenticator app and its recovery codes (passkeys stay)."""
    if not TotpDevice.objects.filter(user=user).exists():
        raise Conflict(_("No authenticator app is set up."), code="totp_not_enabled")
    removal_check(user=user, without_totp=True)
    with transaction.atomic():
        TotpDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()


def reset_second_factors(user: User, *, by: User | None = None) -> None:
    """Staff's reset for someone who lost their devices: the TOTP secret, the recovery codes
    and the passkeys all go; the person signs in with the password and enrols again. Written
    to the log and the admin's history (who did it to whom)."""
    with transaction.atomic():
        TotpDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        Passkey.objects.filter(user=user).delete()
        if by is not None:
            LogEntry.objects.log_actions(
                user_id=by.pk,
                queryset=User.objects.filter(pk=user.pk),
                action_flag=CHANGE,
                change_message="Reset second factors (authenticator app, recovery codes, passkeys).",
                single_object=True,
            )
    log.warning("second factors of user %s reset by %s", user.pk, by.pk if by else "a command")
