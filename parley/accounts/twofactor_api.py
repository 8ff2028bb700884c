"""Two-factor endpoints (issue 31): my second factors under `me/2fa`, the passkey sign-in
under `auth/passkey`, and staff's reset under `people/{id}/2fa`. Thin: parse, check, call
`twofactor` / `passkeys`, render."""

from __future__ import annotations

import base64
import io
from typing import Any
from urllib.parse import urlsplit

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from parley.accounts import passkeys, signin, twofactor, twofactor_login
from parley.accounts.api import signed_in
from parley.accounts.enrolment import SecondFactorEnrolled
from parley.accounts.models import Passkey, User
from parley.accounts.serializers import AuthOut
from parley.accounts.twofactor_models import PASSKEY_NAME_MAX
from parley.common.errors import Invalid, NotFound
from parley.common.schema import AUTH, BodyOnDeleteSchema, errors
from parley.common.throttles import ScopedThrottleMixin

ERRORS = {**errors(400, 415), **AUTH}
E403 = errors(403, e403="Two-factor sign-in is required here (`second_factor_required`)")
E409 = errors(409)
E429 = errors(429, e429="Too many failed attempts for this account and address, or from this address.")


# --- shapes --------------------------------------------------------------------------


class PasskeyOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    passwordless = serializers.BooleanField(help_text="Signs in alone, without the password.")
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)


class SecondFactorsOut(serializers.Serializer[Any]):
    totp = serializers.BooleanField(help_text="An authenticator app is set up.")
    totp_pending = serializers.BooleanField(help_text="An enrolment was started and not confirmed.")
    recovery_codes_left = serializers.IntegerField()
    passkeys = PasskeyOut(many=True)
    mandatory = serializers.BooleanField(
        help_text="REQUIRE_2FA applies to me: I may not remove my last second factor."
    )


class TotpEnrolOut(serializers.Serializer[Any]):
    secret = serializers.CharField(help_text="Base32, for typing into the app by hand.")
    otpauth_url = serializers.CharField()
    qr_svg = serializers.CharField(help_text="The otpauth URL as a QR code: a data: URL of an SVG.")


class TotpCodeIn(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=64)


class PasswordAndCodeIn(serializers.Serializer[Any]):
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    code = serializers.CharField(max_length=64, help_text="A code from the app, or a recovery code.")


class RecoveryCodesOut(serializers.Serializer[Any]):
    recovery_codes = serializers.ListField(child=serializers.CharField(), help_text="Shown this once.")


class PasskeyPasswordIn(serializers.Serializer[Any]):
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class PasskeyOptionsIn(PasskeyPasswordIn):
    passwordless = serializers.BooleanField(
        default=False,
        help_text="Sign in with this passkey alone (a discoverable credential with PIN or biometrics).",
    )


class PasskeyCeremonyOut(serializers.Serializer[Any]):
    ticket = serializers.CharField(help_text="Names this ceremony's challenge (single use, 5 minutes).")
    options = serializers.JSONField(
        help_text="PublicKeyCredentialCreationOptions / RequestOptions as JSON (binary fields in base64url)."
    )


class PasskeyAddIn(serializers.Serializer[Any]):
    ticket = serializers.CharField(max_length=64)
    credential = serializers.JSONField(help_text="The PublicKeyCredential as JSON (base64url).")
    name = serializers.CharField(max_length=PASSKEY_NAME_MAX)


class PasskeyRenameIn(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=PASSKEY_NAME_MAX)


class PasskeyLoginOptionsIn(serializers.Serializer[Any]):
    login_token = serializers.CharField(
        max_length=512,
        required=False,
        help_text="From the 401 `otp_required` of the password step: the passkey is the second factor. "
        "Without it: a passkey that signs in alone (no username asked).",
    )


class PasskeyLoginIn(serializers.Serializer[Any]):
    ticket = serializers.CharField(max_length=64)
    credential = serializers.JSONField(help_text="The PublicKeyCredential as JSON (base64url).")


def passkey_data(passkey: Passkey) -> dict[str, Any]:
    return PasskeyOut(passkey).data  # type: ignore[return-value]


def relying_party(request: Request) -> passkeys.RelyingParty:
    """WEBAUTHN_RP_ID / WEBAUTHN_ORIGINS, or the host this request names (already checked
    against ALLOWED_HOSTS by Django) and its origin."""
    host = request._request.get_host()
    rp_id = settings.WEBAUTHN_RP_ID or (urlsplit(f"//{host}").hostname or host)
    origins = list(settings.WEBAUTHN_ORIGINS) or [f"{request._request.scheme}://{host}"]
    return passkeys.RelyingParty(id=rp_id, name=settings.WEBAUTHN_RP_NAME, origins=origins)


def qr_svg(text: str) -> str:
    """A QR code as an SVG data: URL (drawn here: no script or network needed to show it)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _me(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _password_and_code(request: Request, user: User, password: str, code: str) -> None:
    """Both, or 400: each wrong one counted like a failed sign-in."""
    if not signin.current_password_check(request, user=user, password=password):
        raise Invalid(
            _("The password is wrong."),
            code="invalid_credentials",
            fields={"password": [_("Wrong password.")]},
        )
    if twofactor.code_check(user=user, code=code) is None:
        twofactor_login.failure_count(request, username=user.get_username())
        raise Invalid(
            _("That code is not right, or it was used already."),
            code="invalid_code",
            fields={"code": [_("Wrong code.")]},
        )


def _password(request: Request, user: User, password: str) -> None:
    if not signin.current_password_check(request, user=user, password=password):
        raise Invalid(
            _("The password is wrong."),
            code="invalid_credentials",
            fields={"password": [_("Wrong password.")]},
        )


# --- my second factors ---------------------------------------------------------------


class TwoFactorApi(ScopedThrottleMixin, APIView):
    throttle_scope = "password_check"
    throttled_methods = ("DELETE",)
    schema = BodyOnDeleteSchema()

    @extend_schema(responses={200: SecondFactorsOut, **AUTH}, summary="My second factors")
    def get(self, request: Request) -> Response:
        return Response(SecondFactorsOut(twofactor.status(_me(request))).data)

    @extend_schema(
        request=PasswordAndCodeIn,
        responses={204: None, **ERRORS, **E403, **E409, **E429},
        summary="Turn off the authenticator app and its recovery codes (password and a current code)",
    )
    def delete(self, request: Request) -> Response:
        data = PasswordAndCodeIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = _me(request)
        twofactor.totp_enabled_check(user=user)
        twofactor.removal_check(user=user, without_totp=True)
        _password_and_code(request, user, data.validated_data["password"], data.validated_data["code"])
        twofactor.totp_disable(user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TotpApi(APIView):
    @extend_schema(
        request=None,
        responses={200: TotpEnrolOut, **ERRORS, **errors(403), **E409},
        summary="Start setting up an authenticator app: a secret, pending until confirmed",
    )
    def post(self, request: Request) -> Response:
        found = twofactor.totp_begin(user=_me(request))
        return Response(TotpEnrolOut({**found, "qr_svg": qr_svg(found["otpauth_url"])}).data)


class TotpConfirmApi(APIView):
    @extend_schema(
        request=TotpCodeIn,
        responses={200: RecoveryCodesOut, **ERRORS},
        summary="Turn the authenticator app on with a code from it; the recovery codes, shown once",
    )
    def post(self, request: Request) -> Response:
        data = TotpCodeIn(data=request.data)
        data.is_valid(raise_exception=True)
        codes = twofactor.totp_confirm(user=_me(request), code=data.validated_data["code"])
        return Response({"recovery_codes": codes})


class RecoveryCodesApi(ScopedThrottleMixin, APIView):
    throttle_scope = "password_check"

    @extend_schema(
        request=PasswordAndCodeIn,
        responses={200: RecoveryCodesOut, **ERRORS, **E409, **E429},
        summary="New recovery codes (password and a current code); the old ones stop working",
    )
    def post(self, request: Request) -> Response:
        data = PasswordAndCodeIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = _me(request)
        twofactor.totp_enabled_check(user=user)
        _password_and_code(request, user, data.validated_data["password"], data.validated_data["code"])
        return Response({"recovery_codes": twofactor.recovery_regenerate(user=user)})


class PasskeyOptionsApi(ScopedThrottleMixin, APIView):
    throttle_scope = "password_check"

    @extend_schema(
        request=PasskeyOptionsIn,
        responses={200: PasskeyCeremonyOut, **ERRORS, **E409, **E429},
        summary="Start adding a passkey (password needed): options for navigator.credentials.create",
    )
    def post(self, request: Request) -> Response:
        data = PasskeyOptionsIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = _me(request)
        _password(request, user, data.validated_data["password"])
        found = passkeys.register_options(
            user=user, rp=relying_party(request), passwordless=data.validated_data["passwordless"]
        )
        return Response(found)


class PasskeysApi(APIView):
    @extend_schema(responses={200: PasskeyOut(many=True), **AUTH}, summary="My passkeys")
    def get(self, request: Request) -> Response:
        return Response(PasskeyOut(Passkey.objects.filter(user=_me(request)), many=True).data)

    @extend_schema(
        request=PasskeyAddIn,
        responses={201: PasskeyOut, **ERRORS, **E409},
        summary="Add the passkey the browser created for the challenge `ticket` names",
    )
    def post(self, request: Request) -> Response:
        data = PasskeyAddIn(data=request.data)
        data.is_valid(raise_exception=True)
        passkey = passkeys.register_verify(user=_me(request), **data.validated_data)
        return Response(passkey_data(passkey), status=status.HTTP_201_CREATED)


class PasskeyApi(ScopedThrottleMixin, APIView):
    throttle_scope = "password_check"
    throttled_methods = ("DELETE",)
    schema = BodyOnDeleteSchema()

    @extend_schema(
        request=PasskeyRenameIn,
        responses={200: PasskeyOut, **ERRORS, **errors(404)},
        summary="Rename a passkey",
    )
    def patch(self, request: Request, passkey_id: int) -> Response:
        data = PasskeyRenameIn(data=request.data)
        data.is_valid(raise_exception=True)
        passkey = passkeys.passkey_rename(user=_me(request), passkey_id=passkey_id, **data.validated_data)
        return Response(passkey_data(passkey))

    @extend_schema(
        request=PasskeyPasswordIn,
        responses={204: None, **ERRORS, **E403, **errors(404), **E429},
        summary="Remove a passkey (password needed)",
    )
    def delete(self, request: Request, passkey_id: int) -> Response:
        data = PasskeyPasswordIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = _me(request)
        _password(request, user, data.validated_data["password"])
        passkeys.passkey_remove(user=user, passkey_id=passkey_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- signing in with a passkey -------------------------------------------------------


class PasskeyLoginOptionsApi(ScopedThrottleMixin, APIView):
    permission_classes = [AllowAny]
    throttle_scope = "passkey_options"

    @extend_schema(
        request=PasskeyLoginOptionsIn,
        responses={200: PasskeyCeremonyOut, **ERRORS, **E409, **E429},
        summary="Options for navigator.credentials.get: after the password (login_token) or alone",
    )
    def post(self, request: Request) -> Response:
        data = PasskeyLoginOptionsIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = None
        if "login_token" in data.validated_data:
            user = twofactor_login.login_token_user(data.validated_data["login_token"])
            if user is None:
                raise Invalid(
                    _("The sign-in has expired; enter your password again."), code="login_token_expired"
                )
        twofactor_login.locked_check(request, username=user.get_username() if user else None)
        return Response(passkeys.login_options(rp=relying_party(request), user=user))


class PasskeyLoginApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        request=PasskeyLoginIn,
        responses={200: AuthOut, **ERRORS, **E429},
        summary="Sign in with a passkey's assertion (session cookie and token, as a password login)",
    )
    def post(self, request: Request) -> Response:
        data = PasskeyLoginIn(data=request.data)
        data.is_valid(raise_exception=True)
        return passkey_sign_in(request, **data.validated_data)


def passkey_sign_in(request: Request, *, ticket: str, credential: Any) -> Response:
    """Where a passkey sign-in completes (as second factor or alone): a failure counts like a
    wrong password; a success starts the session as a password login does."""
    owner_id = passkeys.login_user(ticket=ticket)
    owner = User.objects.filter(pk=owner_id).first() if owner_id is not None else None
    username = owner.get_username() if owner else None
    twofactor_login.locked_check(request, username=username)
    user = passkeys.login_verify(ticket=ticket, credential=credential)
    if user is None:
        twofactor_login.failure_count(request, username=username)
        raise Invalid(_("The passkey was not accepted."), code="passkey_invalid")
    return signed_in(request, user, status.HTTP_200_OK, method="passkey")


# --- staff ---------------------------------------------------------------------------


class IsStaff(BasePermission):
    message = _("Only staff can do this.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)


class PersonSecondFactorsApi(APIView):
    permission_classes = [IsAuthenticated, SecondFactorEnrolled, IsStaff]

    @extend_schema(
        request=None,
        responses={204: None, **AUTH, **errors(403, e403="Not staff"), **errors(404)},
        summary="Remove someone's authenticator app, recovery codes and passkeys (staff)",
    )
    def delete(self, request: Request, user_id: int) -> Response:
        person = User.objects.filter(pk=user_id, is_guest=False).first()
        if person is None:
            raise NotFound(_("No such person."))
        by = _me(request)
        twofactor.reset_second_factors(person, by=by)
        return Response(status=status.HTTP_204_NO_CONTENT)
