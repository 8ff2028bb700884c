"""Account endpoints: thin views that parse, call a service and render."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import login, update_session_auth_hash
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from parley.accounts import (
    ldap_backend,
    profile,
    selectors,
    serializers,
    services,
    signin,
    signins,
    sso_api,
    tasks,
    twofactor_login,
    zones,
)
from parley.accounts.avatars import AVATARS, UPLOAD_PREFIX, avatar_url, uploaded_name
from parley.accounts.models import AuthToken, User
from parley.common.errors import Invalid
from parley.common.schema import AUTH, errors
from parley.common.throttles import MailThrottleMixin, ScopedThrottleMixin

E429 = errors(429, e429="Too many requests from this address or account; see Retry-After.")

ERRORS = {**errors(400, 415), **AUTH}


def signed_in(request: Request, user: User, code: int, method: str = "password") -> Response:
    """Start a session and issue a token tied to it, so logout ends both; the sign-in is
    logged with `method` (`parley.accounts.signins`)."""
    login(request._request, user, backend="django.contrib.auth.backends.ModelBackend")
    token = services.token_issue(user=user, session_key=request.session.session_key or "")
    row = AuthToken.objects.filter(key_hash=selectors.token_hash(token)).first()
    signins.record_sign_in(user=user, request=request._request, method=method, token=row)
    expires = selectors.token_expires_at(timezone.now())
    return Response(
        {"user": serializers.self_data(user), "token": token, "token_expires_at": expires}, status=code
    )


class CsrfApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(responses={204: None}, summary="Set the CSRF cookie for a browser client")
    def get(self, request: Request) -> Response:
        get_token(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        return ensure_csrf_cookie(super().as_view(**initkwargs))


def send_verification(user: User) -> None:
    # Views run outside a transaction: the service has committed, a worker sees the row.
    tasks.email_verification_send.delay(user.pk)


def body_email(request: Request) -> str:
    """The `email` of a request's body, or "" (the address a registration or change mails)."""
    data = request.data
    email = data.get("email") if hasattr(data, "get") else None
    return email if isinstance(email, str) else ""


class LoginApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        request=twofactor_login.LoginIn,
        responses={
            200: serializers.AuthOut,
            **ERRORS,
            **errors(403, e403="OIDC_ONLY: this server signs people in through its IdP only (`oidc_only`)."),
            **errors(503, e503="The LDAP directory is not answering (`directory_unavailable`)."),
            **errors(
                401,
                e401="`otp_required` (or `otp_invalid`): the account has a second factor; "
                "`error.methods` lists them, `error.login_token` starts the passkey step",
            ),
            **errors(
                429,
                e429="Too many failed sign-in attempts for this username and address, or from this address.",
            ),
        },
        summary="Sign in",
    )
    def post(self, request: Request) -> Response:
        sso_api.password_sign_in_check()
        data = twofactor_login.LoginIn(data=request.data)
        data.is_valid(raise_exception=True)
        found = selectors.user_by_username(username=data.validated_data["username"])
        username = found.username if found else data.validated_data["username"]
        user = signin.password_check(request, username=username, password=data.validated_data["password"])
        if user is None:
            raise Invalid(_("Wrong username or password."), code="invalid_credentials")
        assert isinstance(user, User)
        twofactor_login.second_step(request, user=user, otp=data.validated_data.get("otp"))
        return signed_in(request, user, status.HTTP_200_OK, method=ldap_backend.method_of(user))


class AvatarsApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: serializers.AvatarsOut, **AUTH}, summary="The bundled avatars")
    def get(self, request: Request) -> Response:
        return Response({"avatars": [{"key": key, "url": avatar_url(key)} for key in AVATARS]})


# Reading and changing one's profile; DELETE is the erasure, in parley.actions.api.MeApi.
class TimeZonesApi(APIView):
    """The zones a picker offers (parley.accounts.zones): the server's list, so every zone a
    client offers is one the server takes. Public: the sign-up page needs no account."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: serializers.TimeZonesOut, **AUTH}, summary="Time zones for a picker")
    def get(self, request: Request) -> Response:
        return Response(serializers.TimeZonesOut({"zones": zones.picker()}).data)


class MeApi(APIView):
    @extend_schema(responses={200: serializers.MeOut, **AUTH}, summary="Who am I")
    def get(self, request: Request) -> Response:
        return Response({"user": serializers.self_data(request.user)})  # type: ignore[arg-type]

    @extend_schema(
        request=serializers.ProfileIn,
        responses={200: serializers.MeOut, **ERRORS},
        summary="Change my profile: name, avatar, language, time zone, status, DND, away, receipts",
    )
    def patch(self, request: Request) -> Response:
        data = serializers.ProfileIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = profile.profile_update(user=request.user, **data.validated_data)  # type: ignore[arg-type]
        return Response({"user": serializers.self_data(user)})


class MyAvatarApi(ScopedThrottleMixin, APIView):
    throttle_scope = "upload"
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": serializers.AvatarUploadIn},
        responses={
            200: serializers.MeOut,
            **errors(400, 415),
            **errors(413, e413="The picture is larger than 5 MiB"),
            **E429,
            **AUTH,
        },
        summary="Upload a picture as my avatar (cropped to the centre square, 256 px, metadata removed)",
    )
    def post(self, request: Request) -> Response:
        data = serializers.AvatarUploadIn(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        user = profile.avatar_upload(user=request.user, file=upload, size=upload.size)  # type: ignore[arg-type]
        return Response({"user": serializers.self_data(user)})


def avatar_file(request: HttpRequest, stem: str) -> FileResponse:
    """An uploaded avatar. Its name is random and new for every upload, so it is cached for good;
    like the bundled set, avatars are public (anyone who sees the person sees the picture)."""
    name = uploaded_name(f"{UPLOAD_PREFIX}{stem}")
    if not name or not default_storage.exists(name):
        raise Http404(_("No such picture."))
    response = FileResponse(default_storage.open(name, "rb"), content_type="image/png")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class PasswordApi(ScopedThrottleMixin, APIView):
    throttle_scope = "password_check"

    @extend_schema(
        request=serializers.PasswordChangeIn,
        responses={204: None, **ERRORS, **E429},
        summary="Change password",
    )
    def post(self, request: Request) -> Response:
        data = serializers.PasswordChangeIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        assert isinstance(user, User)
        token = request.auth if isinstance(request.auth, AuthToken) else None
        if not signin.current_password_check(
            request, user=user, password=data.validated_data["old_password"]
        ):
            raise Invalid(
                _("The current password is wrong."), fields={"old_password": [_("Wrong password.")]}
            )
        services.password_change(user=user, keep_token=token, **data.validated_data)
        if token is None:
            update_session_auth_hash(request._request, user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class VerifyEmailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        request=serializers.TokenIn,
        responses={200: serializers.MailSettingsOut, **ERRORS},
        summary="Confirm an email address with the token from the mailed link",
    )
    def post(self, request: Request) -> Response:
        data = serializers.TokenIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.email_verify(token=data.validated_data["token"])
        return Response(serializers.mail_settings_data(user))


class PasswordResetApi(ScopedThrottleMixin, APIView):
    permission_classes = [AllowAny]
    throttle_scope = "password_reset"

    @extend_schema(
        request=serializers.PasswordResetIn,
        responses={202: None, **ERRORS, **E429},
        summary="Mail a password reset link (the answer is the same whether the account exists or not)",
    )
    def post(self, request: Request) -> Response:
        data = serializers.PasswordResetIn(data=request.data)
        data.is_valid(raise_exception=True)
        login = data.validated_data["login"]
        tasks.password_reset_send.delay(login)
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        request=serializers.PasswordResetConfirmIn,
        responses={204: None, **ERRORS},
        summary="Set a new password with the token from the mailed link; ends every session and socket",
    )
    def post(self, request: Request) -> Response:
        data = serializers.PasswordResetConfirmIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset_confirm(**data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MailSettingsApi(MailThrottleMixin, APIView):
    throttle_scope = "email_change"

    def mail_recipient(self, request: Request) -> str:
        """The new address when the request changes it (a change mails a link to it)."""
        email = body_email(request).strip()
        current = getattr(request.user, "email", "") or ""
        return "" if email.casefold() == current.casefold() else email

    @extend_schema(
        responses={200: serializers.MailSettingsOut, **AUTH}, summary="My address and mail settings"
    )
    def get(self, request: Request) -> Response:
        return Response(serializers.mail_settings_data(request.user))  # type: ignore[arg-type]

    @extend_schema(
        request=serializers.MailSettingsIn,
        responses={200: serializers.MailSettingsOut, **ERRORS, **E429},
        summary="Change my address (a new one is verified by a mailed link) or turn digests on or off",
    )
    def patch(self, request: Request) -> Response:
        data = serializers.MailSettingsIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        assert isinstance(user, User)
        if "email" in data.validated_data and services.email_set(
            user=user, email=data.validated_data["email"]
        ):
            send_verification(user)
        if "digest_enabled" in data.validated_data:
            services.mail_settings_update(user=user, digest_enabled=data.validated_data["digest_enabled"])
        return Response(serializers.mail_settings_data(user))


class MailVerificationApi(MailThrottleMixin, APIView):
    throttle_scope = "email_verify"

    def mail_recipient(self, request: Request) -> str:
        return getattr(request.user, "email", "") or ""

    @extend_schema(
        request=None,
        responses={202: None, **ERRORS, **E429},
        summary="Mail the verification link for my address again",
    )
    def post(self, request: Request) -> Response:
        user = request.user
        assert isinstance(user, User)
        services.email_verification_check_pending(user=user)
        send_verification(user)
        return Response(status=status.HTTP_202_ACCEPTED)


class TokenRenewApi(APIView):
    @extend_schema(
        request=None,
        responses={200: serializers.TokenRenewOut, **ERRORS},
        summary="A fresh key for this token, valid for TOKEN_TTL from now (the old key stops working)",
    )
    def post(self, request: Request) -> Response:
        token = request.auth if isinstance(request.auth, AuthToken) else None
        if token is None:
            raise Invalid(_("Only a request signed with a token can renew it."), code="no_token")
        key = services.token_renew(token=token)
        expires = selectors.token_expires_at(token.created_at)
        return Response(serializers.TokenRenewOut({"token": key, "token_expires_at": expires}).data)


class WsTicketApi(ScopedThrottleMixin, APIView):
    throttle_scope = "ws_ticket"

    @extend_schema(
        request=None,
        responses={201: serializers.WsTicketOut, **AUTH, **E429},
        summary="A one-time ticket for opening a WebSocket (`/ws/?ticket=`), valid for a few seconds",
    )
    def post(self, request: Request) -> Response:
        user = request.user
        assert isinstance(user, User)
        token = request.auth if isinstance(request.auth, AuthToken) else None
        auth_id = f"t:{token.pk}" if token is not None else f"s:{request.session.session_key}"
        ticket = services.ws_ticket_issue(user=user, auth_id=auth_id)
        return Response(
            {"ticket": ticket, "expires_in": services.ws_ticket_ttl()}, status=status.HTTP_201_CREATED
        )


class UserSearchApi(ScopedThrottleMixin, APIView):
    throttle_scope = "user_search"
    throttled_methods = ("GET",)

    @extend_schema(
        parameters=[serializers.UserSearchIn],
        responses={200: serializers.UserSearchOut, **ERRORS, **E429},
        summary="People to write to: active registered accounts by username or display name",
    )
    def get(self, request: Request) -> Response:
        params = serializers.UserSearchIn(data=request.query_params)
        params.is_valid(raise_exception=True)
        assert isinstance(request.user, User)
        page, more = selectors.user_search(viewer=request.user, **params.validated_data)
        return Response(serializers.UserSearchOut({"results": page, "has_more": more}).data)
