"""Account endpoints: thin views that parse, call a service and render."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, login, update_session_auth_hash
from django.contrib.auth import logout as django_logout
from django.middleware.csrf import get_token
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from parley.accounts import selectors, serializers, services
from parley.accounts.avatars import AVATARS, avatar_url
from parley.accounts.models import AuthToken, User
from parley.common.errors import Invalid, error_body
from parley.common.schema import AUTH, errors

ERRORS = {**errors(400, 415), **AUTH}


def _signed_in(request: Request, user: User, code: int) -> Response:
    """Start a session and issue a token tied to it, so logout ends both."""
    login(request._request, user, backend="django.contrib.auth.backends.ModelBackend")
    token = services.token_issue(user=user, session_key=request.session.session_key or "")
    return Response({"user": serializers.user_data(user), "token": token}, status=code)


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


class RegisterApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        request=serializers.CredentialsIn,
        responses={201: serializers.AuthOut, **ERRORS},
        summary="Register",
    )
    def post(self, request: Request) -> Response:
        data = serializers.CredentialsIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data)
        return _signed_in(request, user, status.HTTP_201_CREATED)


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
                error_body("rate_limited", "Too many failed sign-in attempts. Try again later."),
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        if user is None:
            raise Invalid("Wrong username or password.", code="invalid_credentials")
        assert isinstance(user, User)
        return _signed_in(request, user, status.HTTP_200_OK)


class GuestApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        request=serializers.GuestIn,
        responses={201: serializers.AuthOut, **ERRORS},
        summary="Guest sign-in",
    )
    def post(self, request: Request) -> Response:
        data = serializers.GuestIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.guest_create(
            nickname=data.validated_data["nickname"],
            avatar=data.validated_data.get("avatar") or None,
        )
        return _signed_in(request, user, status.HTTP_201_CREATED)


class LogoutApi(APIView):
    @extend_schema(request=None, responses={204: None, **AUTH}, summary="Sign out this session or token")
    def post(self, request: Request) -> Response:
        token = request.auth if isinstance(request.auth, AuthToken) else None
        session_key = request.session.session_key if token is None else None
        services.logout(user=request.user, token=token, session_key=session_key)  # type: ignore[arg-type]
        if token is None:
            django_logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AvatarsApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: serializers.AvatarsOut, **AUTH}, summary="The bundled avatars")
    def get(self, request: Request) -> Response:
        return Response({"avatars": [{"key": key, "url": avatar_url(key)} for key in AVATARS]})


class MeApi(APIView):
    @extend_schema(responses={200: serializers.MeOut, **AUTH}, summary="Who am I")
    def get(self, request: Request) -> Response:
        return Response({"user": serializers.user_data(request.user)})  # type: ignore[arg-type]


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
