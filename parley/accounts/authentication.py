"""REST authentication: a request carrying a token is judged by the token alone."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from parley.accounts import selectors
from parley.accounts.models import AuthToken, User
from parley.common.i18n import use_saved_language


class TokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>`; an unknown key is a 401, never a fallback to the cookie."""

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[User, AuthToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed Authorization header."))
        try:
            key = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(_("Malformed token.")) from exc
        token = selectors.token_lookup(key=key)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid or expired token."))
        use_saved_language(request._request, token.user)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class SessionAuthentication(authentication.SessionAuthentication):
    """Django's session with CSRF on unsafe methods (DRF enforces it)."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        found = super().authenticate(request)
        if found is not None:
            use_saved_language(request._request, found[0])
        return found
