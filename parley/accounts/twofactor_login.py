"""The second step of signing in (issue 31): what `POST auth/login` asks of an account with a
second factor, and how a wrong second factor is counted.

A password that is right for an account with a second factor answers 401 `otp_required`
with `methods` (what this account can offer) and `login_token`: a signed, 5-minute proof
that the password was right, which the passkey step takes instead of the password (the
browser never resends it to a second endpoint). A code is sent back with the password as
`otp` (TOTP or a recovery code).

A wrong code or a failed passkey assertion is a failed sign-in for every limit the password
has (`parley.accounts.signin`): django-axes per username and address (through Django's
`user_login_failed` signal, which axes listens to) and the per-address count.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_login_failed
from django.core import signing
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.request import Request

from parley.accounts import signin, twofactor
from parley.accounts.models import User
from parley.accounts.serializers import CredentialsIn
from parley.common.errors import ServiceError
from parley.common.throttles import AddressFailures

LOGIN_TOKEN_SECONDS = 300
_SALT = "parley.accounts.second-step"


class LoginIn(CredentialsIn):
    otp = serializers.CharField(
        max_length=64,
        required=False,
        trim_whitespace=True,
        help_text="A code from the authenticator app, or a recovery code: needed when the account "
        "has a second factor (the answer is then 401 `otp_required` without it).",
    )


class OtpRequired(ServiceError):
    """401 with what the client needs for the second step, beside the usual error fields."""

    status = 401
    code = "otp_required"

    def __init__(self, message: Any, *, user: User, code: str | None = None):
        super().__init__(message, code=code)
        self.methods = twofactor.methods(user)
        self.login_token = login_token_make(user)

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "methods": self.methods, "login_token": self.login_token}


def login_token_make(user: User) -> str:
    """Signed: the user and their password hash's fingerprint (a password change voids it)."""
    return signing.dumps({"u": user.pk, "h": user.get_session_auth_hash()[:16]}, salt=_SALT)


def login_token_user(token: Any) -> User | None:
    """The account whose password step `token` proves, while it is fresh."""
    if not isinstance(token, str) or len(token) > 512:
        return None
    try:
        data = signing.loads(token, salt=_SALT, max_age=LOGIN_TOKEN_SECONDS)
    except signing.BadSignature:
        return None
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or user.get_session_auth_hash()[:16] != data.get("h"):
        return None
    return user


def failure_count(request: Request, *, username: str | None) -> None:
    """A wrong second factor counts as a failed sign-in: per address, and per username and
    address in django-axes (whose lockout then refuses the password step too)."""
    _failures().record(request)
    if username:
        user_login_failed.send(sender=__name__, credentials={"username": username}, request=request._request)


def _failures() -> AddressFailures:
    """The per-address count of failed sign-ins (the one wrong passwords go to)."""
    return AddressFailures(signin.FAILURES_SCOPE)


def locked_check(request: Request, *, username: str | None) -> None:
    """Refuse (429) before checking anything when this address, or this username from this
    address, has used up its attempts."""
    wait = _failures().wait(request)
    if wait is not None:
        raise signin.LockedOut(wait=wait)
    if username and AxesProxyHandler.is_locked(request._request, {"username": username}):
        raise signin.LockedOut(wait=signin._cool_off_seconds(request))


def second_step(request: Request, *, user: User, otp: str | None) -> None:
    """Pass when the account has no second factor or `otp` satisfies it; else 401."""
    if not twofactor.has_second_factor(user):
        return
    if not otp:
        raise OtpRequired(_("Enter the code from your authenticator app, or use a passkey."), user=user)
    if twofactor.code_check(user=user, code=otp) is None:
        failure_count(request, username=user.get_username())
        if getattr(request._request, "axes_locked_out", False):
            raise signin.LockedOut(wait=signin._cool_off_seconds(request))
        raise OtpRequired(_("That code is not right, or it was used already."), user=user, code="otp_invalid")
