"""REST authentication: a request carrying a token is judged by the token alone."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from parley.accounts import selectors, signout
from parley.accounts.models import AuthToken, User
from parley.common.i18n import use_saved_language
from parley.common.signedout import SignedOut


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
            reason = signout.token_reason(key)
            if reason:
                raise SignedOut(reason)
            raise exceptions.AuthenticationFailed(_("Invalid or expired token."))
        use_saved_language(request._request, token.user)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class SessionAuthentication(authentication.SessionAuthentication):
    """Django's session with CSRF on unsafe methods (DRF enforces it)."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        # Read before the user is resolved: Django flushes a session whose user changed.
        user_id, session_hash = signout.session_snapshot(getattr(request._request, "session", None))
        found = super().authenticate(request)
        if found is not None:
            use_saved_language(request._request, found[0])
        elif user_id is not None:
            # Not refused here (a sign-in page must still work with a stale cookie): a 401 this
            # request answers says why (parley.common.errors.exception_handler).
            request._request.signed_out_reason = signout.session_reason(user_id, session_hash)  # type: ignore[attr-defined]
        return found
