"""Who is on the other end of a WebSocket: `?ticket=` or `?token=` alone when given, else the session."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.auth import get_user
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import AllowedHostsOriginValidator
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.contrib.auth.models import AnonymousUser

from parley.accounts.selectors import token_lookup
from parley.accounts.services import ws_ticket_redeem


def _token_user(key: str) -> tuple[Any, str]:
    token = token_lookup(key=key)
    if token is None or not token.user.is_active:
        return AnonymousUser(), ""
    return token.user, f"t:{token.pk}"


def _ticket_user(ticket: str) -> tuple[Any, str]:
    found = ws_ticket_redeem(ticket=ticket)
    return found if found is not None else (AnonymousUser(), "")


# On the loop's pool, not the one shared sync thread: a burst of connects looks up in parallel.
_user_for_token = database_sync_to_async(_token_user, thread_sensitive=False)
_user_for_ticket = database_sync_to_async(_ticket_user, thread_sensitive=False)


class ParleyAuthMiddleware(BaseMiddleware):
    """Puts `user` and `auth_id` (which login opened this socket) in the scope."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        scope = dict(scope)
        params = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if "ticket" in params:  # one-time, from POST auth/ws-ticket: no lasting secret in the URL
            scope["user"], scope["auth_id"] = await _user_for_ticket(params["ticket"][0])
        elif "token" in params:
            scope["user"], scope["auth_id"] = await _user_for_token(params["token"][0])
        else:
            user = await get_user(scope)
            session = scope.get("session")
            scope["user"] = user
            scope["auth_id"] = f"s:{session.session_key}" if session is not None else ""
        return await super().__call__(scope, receive, send)


def websocket_stack(inner: Any) -> Any:
    """Origin check first (cross-site hijacking), then cookies, session and user."""
    return AllowedHostsOriginValidator(CookieMiddleware(SessionMiddleware(ParleyAuthMiddleware(inner))))
