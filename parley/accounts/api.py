"""Account endpoints: thin views that parse, call a service and render."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, login, update_session_auth_hash
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.middleware.csrf import get_token
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from parley.accounts import profile, selectors, serializers, services, tasks, zones
from parley.accounts.avatars import AVATARS, UPLOAD_PREFIX, avatar_url, uploaded_name
from parley.accounts.models import AuthToken, User
from parley.common.errors import Invalid, error_body
from parley.common.schema import AUTH, errors
from parley.common.throttles import ScopedThrottleMixin

E429 = errors(429, e429="Too many requests from this address or account; see Retry-After.")

ERRORS = {**errors(400, 415), **AUTH}


def signed_in(request: Request, user: User, code: int) -> Response:
    """Start a session and issue a token tied to it, so logout ends both."""
    login(request._request, user, backend="django.contrib.auth.backends.ModelBackend")
    token = services.token_issue(user=user, session_key=request.session.session_key or "")
    return Response({"user": serializers.self_data(user), "token": token}, status=code)


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


class LoginApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        request=serializers.CredentialsIn,
        responses={
            200: serializers.AuthOut,
            **ERRORS,
            **errors(429, e429="Too many failed sign-in attempts for this username and address."),
        },
        summary="Sign in",
    )
    def post(self, request: Request) -> Response:
        data = serializers.CredentialsIn(data=request.data)
        data.is_valid(raise_exception=True)
        found = selectors.user_by_username(username=data.validated_data["username"])
        username = found.username if found else data.validated_data["username"]
        user = authenticate(request._request, username=username, password=data.validated_data["password"])
        if getattr(request._request, "axes_locked_out", False):
            return Response(
                error_body("rate_limited", _("Too many failed sign-in attempts. Try again later.")),
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        if user is None:
            raise Invalid(_("Wrong username or password."), code="invalid_credentials")
        assert isinstance(user, User)
        return signed_in(request, user, status.HTTP_200_OK)


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

    @extend_schema(responses={200: serializers.TimeZonesOut}, summary="Time zones for a picker")
    def get(self, request: Request) -> Response:
        return Response(serializers.TimeZonesOut({"zones": zones.picker()}).data)


class MeApi(APIView):
    @extend_schema(responses={200: serializers.MeOut, **AUTH}, summary="Who am I")
    def get(self, request: Request) -> Response:
        return Response({"user": serializers.self_data(request.user)})  # type: ignore[arg-type]

    @extend_schema(
        request=serializers.ProfileIn,
        responses={200: serializers.MeOut, **ERRORS},
        summary="Change my display name, bundled avatar, language or time zone",
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


class PasswordApi(APIView):
    @extend_schema(
        request=serializers.PasswordChangeIn,
        responses={204: None, **ERRORS},
        summary="Change password",
    )
    def post(self, request: Request) -> Response:
        data = serializers.PasswordChangeIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        assert isinstance(user, User)
        token = request.auth if isinstance(request.auth, AuthToken) else None
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


class MailSettingsApi(APIView):
    @extend_schema(
        responses={200: serializers.MailSettingsOut, **AUTH}, summary="My address and mail settings"
    )
    def get(self, request: Request) -> Response:
        return Response(serializers.mail_settings_data(request.user))  # type: ignore[arg-type]

    @extend_schema(
        request=serializers.MailSettingsIn,
        responses={200: serializers.MailSettingsOut, **ERRORS},
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


class MailVerificationApi(ScopedThrottleMixin, APIView):
    throttle_scope = "email_verify"

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
