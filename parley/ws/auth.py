"""Who is on the other end of a WebSocket: `?ticket=` or `?token=` alone when given, else the session."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from asgiref.sync import markcoroutinefunction
from channels.auth import get_user
from channels.db import database_sync_to_async
from channels.security.websocket import WebsocketDenier
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import split_domain_port, validate_host

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


class ParleyAuthMiddleware:
    """Puts `user` and `auth_id` (which login opened this socket) in the scope.

    A `?ticket=` or `?token=` socket is authenticated by that alone, so it skips the cookie
    and session middlewares: each keeps a copy of the scope (and the session object) for
    as long as the socket is open, bytes an idle connection need not hold. Sockets without
    either go through cookies and the session, as before.

    Inside ParleyApplication only: it adds `user` and `auth_id` to the scope in place,
    which is safe because that scope is the connection's own copy."""

    def __init__(self, inner: Any):
        self.inner = inner
        self.by_session = CookieMiddleware(SessionMiddleware(SessionAuthMiddleware(inner)))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        params = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if "ticket" in params:  # one-time, from POST auth/ws-ticket: no lasting secret in the URL
            user, auth_id = await _user_for_ticket(params["ticket"][0])
        elif "token" in params:
            user, auth_id = await _user_for_token(params["token"][0])
        else:
            return await self.by_session(scope, receive, send)
        # Written into the scope, not a copy of it: this scope is the socket's own copy, made
        # by ParleyApplication (outermost) for this connection alone, and every layer's copy
        # is kept for as long as the socket is open.
        scope["user"], scope["auth_id"] = user, auth_id
        return await self.inner(scope, receive, send)


class SessionAuthMiddleware:
    """The session's user (inside CookieMiddleware and SessionMiddleware)."""

    def __init__(self, inner: Any):
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        user = await get_user(scope)
        session = scope.get("session")
        auth_id = f"s:{session.session_key}" if session is not None else ""
        return await self.inner({**scope, "user": user, "auth_id": auth_id}, receive, send)


Origin = tuple[str, str, int]
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> Origin | None:
    """(scheme, host, port) of an http(s) origin, ports made explicit; None for anything else
    ("null", other schemes, garbage)."""
    try:
        parts = urlsplit(url.strip())
        scheme, host, port = parts.scheme.lower(), (parts.hostname or "").lower(), parts.port
    except ValueError:
        return None
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return scheme, host, port if port is not None else _DEFAULT_PORTS[scheme]


class OriginGate:
    """The Origin header must be this site's origin, scheme, host AND port (cross-site
    WebSocket hijacking: any other page could otherwise open a socket with the user's
    cookie). Allowed: `SITE_URL`'s origin, `CSRF_TRUSTED_ORIGINS`, and the origin the
    handshake itself was addressed to (its Host, when `ALLOWED_HOSTS` accepts it, with http,
    or https when the socket is TLS or the trusted proxy's SECURE_PROXY_SSL_HEADER says so).

    Not a coroutine function (marked as one for the servers and test harnesses that ask):
    it returns the next application's coroutine, so neither a frame of its own nor the
    parsed header stays alive for as long as the socket is open (docs/performance.md,
    issue 18)."""

    def __init__(self, application: Any):
        self.application = application
        self.denier = WebsocketDenier.as_asgi()
        self.hosts = list(settings.ALLOWED_HOSTS)
        if settings.DEBUG and not self.hosts:  # as Django's own host check does
            self.hosts = [".localhost", "127.0.0.1", "[::1]"]
        trusted = [settings.SITE_URL, *settings.CSRF_TRUSTED_ORIGINS]
        self.trusted = {found for url in trusted if (found := origin_of(url)) is not None}
        proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
        self.proto_header = (
            (proxy[0].removeprefix("HTTP_").lower().replace("_", "-").encode(), proxy[1]) if proxy else None
        )

    def allows(self, scope: dict[str, Any]) -> bool:
        origin = host = proto = None
        for name, value in scope.get("headers", []):
            if name == b"origin":
                origin = value.decode("latin-1")
            elif name == b"host":
                host = value.decode("latin-1")
            elif self.proto_header is not None and name == self.proto_header[0]:
                proto = value.decode("latin-1").split(",")[0].strip()
        found = origin_of(origin) if origin is not None else None
        if found is None:
            return False
        if found in self.trusted:
            return True
        if host is None or not validate_host(split_domain_port(host)[0], self.hosts):
            return False
        secure = scope.get("scheme") == "wss" or (
            self.proto_header is not None and proto == self.proto_header[1]
        )
        return found == origin_of(f"{'https' if secure else 'http'}://{host}")

    @markcoroutinefunction
    def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        app = self.application if self.allows(scope) else self.denier
        return app(scope, receive, send)


def websocket_stack(inner: Any) -> Any:
    """Origin check first (cross-site hijacking), then the ticket or token, else cookies,
    session and user."""
    return OriginGate(ParleyAuthMiddleware(inner))
