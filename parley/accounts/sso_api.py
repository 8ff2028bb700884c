"""How this server signs people in, for the sign-in page: before anyone is signed in, the
web client asks which of the forms and buttons to show (password, registration, the
organisation's single sign-on)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from parley.accounts import invitations, oidc, selectors, sso
from parley.accounts.models import User
from parley.common.errors import Forbidden
from parley.common.schema import AUTH

OIDC_LOGIN_PATH = "/auth/oidc/login"


class OidcMethodOut(serializers.Serializer[Any]):
    name = serializers.CharField(help_text="The button's label: OIDC_NAME")
    login_url = serializers.CharField(help_text="Open in the browser (add `?next=/path` to land there)")


class AuthMethodsOut(serializers.Serializer[Any]):
    password = serializers.BooleanField(help_text="POST auth/login takes a username and password")
    registration = serializers.ChoiceField(
        choices=[invitations.OPEN, invitations.INVITE, invitations.CLOSED],
        help_text="Who may sign up (REGISTRATION): `open` (anyone), `invite` (with a mailed "
        "invitation), `closed` (nobody; also under OIDC_ONLY, where accounts come from the IdP).",
    )
    guests = serializers.BooleanField(help_text="Guests may come in (only while registration is `open`).")
    ldap = serializers.BooleanField(help_text="POST auth/login also takes the organisation directory's")
    oidc = OidcMethodOut(allow_null=True, help_text="Single sign-on through OpenID Connect, or null")


def password_sign_in_check() -> None:
    """Refuse a password sign-in or a registration when the organisation's IdP is the only way
    in (OIDC_ONLY): the API refuses what the client hides."""
    if settings.OIDC_ONLY:
        raise Forbidden(
            _("This server signs people in only through %(name)s.") % {"name": settings.OIDC_NAME},
            code="oidc_only",
        )


def methods() -> dict[str, Any]:
    only = bool(settings.OIDC_ONLY)
    return {
        "password": not only,
        "registration": invitations.CLOSED if only else invitations.registration_mode(),
        "guests": invitations.guests_allowed(),
        "ldap": bool(settings.LDAP_SERVER_URI) and not only,
        "oidc": {"name": settings.OIDC_NAME, "login_url": OIDC_LOGIN_PATH} if oidc.enabled() else None,
    }


class AuthMethodsApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(responses={200: AuthMethodsOut, **AUTH}, summary="How this server signs people in")
    def get(self, request: Request) -> Response:
        return Response(AuthMethodsOut(methods()).data)


class SignInMethodOut(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["password", "oidc", "ldap"])
    name = serializers.CharField(help_text="The IdP's label (OIDC_NAME) for oidc; empty otherwise")


class MySignInOut(serializers.Serializer[Any]):
    methods = SignInMethodOut(many=True)
    password_managed = serializers.BooleanField(
        help_text="The password is the directory's (LDAP): POST me/password answers `password_managed`"
    )


class MySignInApi(APIView):
    """How the signed-in person signs in, for the account page."""

    @extend_schema(responses={200: MySignInOut, **AUTH}, summary="How I sign in (password, OIDC, LDAP)")
    def get(self, request: Request) -> Response:
        user = request.user
        assert isinstance(user, User)
        kinds = sso.sign_in_methods(user)
        methods = [{"kind": k, "name": settings.OIDC_NAME if k == "oidc" else ""} for k in kinds]
        managed = selectors.directory_managed(user=user)
        return Response(MySignInOut({"methods": methods, "password_managed": managed}).data)
