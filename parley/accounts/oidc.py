"""OpenID Connect sign-in (authorization code flow with PKCE), on Authlib's Django client.

`start` sends the browser to the IdP with a fresh state, nonce and S256 code challenge kept in
the session; `finish` takes the IdP's answer on the redirect URI: the state must be one this
session started and not used before, the code is exchanged (with the verifier), and the ID
token must be signed by a key of the issuer's JWKS and name this issuer, this client as its
audience, the nonce of this attempt, and a time that has not run out. Anything else is an
`OidcRefused` with a code the web client shows in the person's language; nothing of it is a
server error.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.integrations.django_client import DjangoIntegration, DjangoOAuth2App
from django.conf import settings
from django.http import HttpRequest
from joserfc.errors import JoseError
from requests import RequestException

from parley.accounts import sso

logger = logging.getLogger(__name__)

CALLBACK_PATH = "/auth/oidc/callback"
# Discovery and keys are kept this long per process (an unknown key id fetches the keys again).
METADATA_TTL = 3600.0


class OidcRefused(Exception):
    """The sign-in did not happen; `code` names why for the person (the web client's text)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_CLIENT_ID)


_clients: dict[tuple[str, str, str, str], DjangoOAuth2App] = {}
_lock = threading.Lock()


def _client() -> DjangoOAuth2App:
    """This process's client for the configured IdP (built once per configuration)."""
    key = (settings.OIDC_ISSUER, settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET, settings.OIDC_SCOPES)
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = DjangoOAuth2App(
                DjangoIntegration("oidc"),
                name="oidc",
                client_id=settings.OIDC_CLIENT_ID,
                client_secret=settings.OIDC_CLIENT_SECRET or None,
                server_metadata_url=f"{settings.OIDC_ISSUER}/.well-known/openid-configuration",
                client_kwargs={
                    "scope": settings.OIDC_SCOPES,
                    "code_challenge_method": "S256",
                    "timeout": settings.OIDC_TIMEOUT,
                    # A public client (no secret) names itself in the body instead.
                    "token_endpoint_auth_method": (
                        "client_secret_basic" if settings.OIDC_CLIENT_SECRET else "none"
                    ),
                },
            )
            _clients[key] = client
        loaded = client.server_metadata.get("_loaded_at")
        if loaded is not None and time.time() - float(loaded) > METADATA_TTL:
            client.server_metadata.clear()
    return client


def _metadata(client: DjangoOAuth2App) -> dict[str, Any]:
    """The issuer's discovery document; its `issuer` must be the one configured (OIDC
    Discovery 1.0, section 4.3), or every ID token check would trust a stranger."""
    try:
        metadata: dict[str, Any] = client.load_server_metadata()
    except (RequestException, ValueError) as exc:
        raise OidcRefused("unavailable", f"discovery failed: {type(exc).__name__}: {exc}") from None
    if str(metadata.get("issuer", "")).rstrip("/") != settings.OIDC_ISSUER:
        client.server_metadata.clear()
        raise OidcRefused("unavailable", f"discovery names issuer {metadata.get('issuer')!r}")
    return metadata


def safe_next(request: HttpRequest, target: str | None) -> str:
    """`target` when it is a path on this site ("/rooms/3"), else "/": never another host,
    not even by "//host" or "/\\host"."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ord(c) < 0x21 for c in target) or urlsplit(target).netloc:
        return "/"
    return target


def start(request: HttpRequest, *, next_path: str) -> str:
    """The IdP's authorization URL for a new attempt (its state, nonce and PKCE verifier are
    saved in this session, with where to go afterwards)."""
    client = _client()
    _metadata(client)
    redirect_uri = request.build_absolute_uri(CALLBACK_PATH)
    try:
        found = client.create_authorization_url(redirect_uri)
    except (RequestException, AuthlibBaseError, RuntimeError) as exc:
        raise OidcRefused("unavailable", f"{type(exc).__name__}: {exc}") from None
    client.save_authorize_data(request, redirect_uri=redirect_uri, next=next_path, **found)
    return str(found["url"])


def _claims_options() -> dict[str, Any]:
    """The issuer, and this client among the audience: Authlib's own checks only compare an
    `azp` with the client, so a token for another client that names us as `azp` would pass."""
    return {
        "iss": {"essential": True, "values": [settings.OIDC_ISSUER, f"{settings.OIDC_ISSUER}/"]},
        "aud": {"essential": True, "values": [settings.OIDC_CLIENT_ID]},
    }


def _state_next(request: HttpRequest, client: DjangoOAuth2App) -> str:
    state = request.GET.get("state") or ""
    data = client.framework.get_state_data(request.session, state) if state else None
    return str((data or {}).get("next") or "/")


def finish(request: HttpRequest) -> tuple[sso.Person, str]:
    """The person the IdP vouches for on this callback, and the path to go to next."""
    client = _client()
    metadata = _metadata(client)
    next_path = _state_next(request, client)
    error = request.GET.get("error")
    if error:
        state = request.GET.get("state") or ""
        if state:
            client.framework.clear_state_data(request.session, state)
        raise OidcRefused(
            "access_denied" if error == "access_denied" else "idp_error",
            f"{error}: {request.GET.get('error_description', '')}"[:300],
        )
    try:
        token = client.authorize_access_token(request, claims_options=_claims_options())
    except MismatchingStateError:
        raise OidcRefused(
            "bad_state", "no sign-in with this state was started here (or it was used)"
        ) from None
    except OAuthError as exc:
        raise OidcRefused("idp_error", f"{exc.error}: {exc.description}"[:300]) from None
    except (JoseError, AuthlibBaseError, ValueError) as exc:
        raise OidcRefused("token_refused", f"ID token: {type(exc).__name__}: {exc}") from None
    except RequestException as exc:
        raise OidcRefused("unavailable", f"token endpoint: {type(exc).__name__}: {exc}") from None
    claims = dict(token.get("userinfo") or {})
    if not claims.get("sub"):
        raise OidcRefused("token_refused", "the IdP's answer carried no ID token")
    if len(str(claims["sub"])) > 255:  # OIDC Core 2: at most 255 ASCII characters
        raise OidcRefused("token_refused", "the subject is longer than 255 characters")
    claims = _with_userinfo(client, metadata, token, claims)
    person = sso.Person(
        kind="oidc",
        issuer=settings.OIDC_ISSUER,
        subject=str(claims["sub"]),
        username=str(claims.get("preferred_username") or ""),
        display_name=str(claims.get("name") or ""),
        email=str(claims.get("email") or ""),
        email_verified=claims.get("email_verified") is True,
    )
    return person, safe_next(request, next_path)


def _with_userinfo(
    client: DjangoOAuth2App, metadata: dict[str, Any], token: dict[str, Any], claims: dict[str, Any]
) -> dict[str, Any]:
    """The ID token's claims completed from the UserInfo endpoint (many IdPs put the profile
    only there); its `sub` must be the token's (OIDC Core 5.3.2), else it is ignored."""
    if not metadata.get("userinfo_endpoint") or not token.get("access_token"):
        return claims
    try:
        extra = dict(client.userinfo(token=token))
    except (RequestException, AuthlibBaseError, ValueError) as exc:
        logger.warning("OIDC userinfo not read: %s: %s", type(exc).__name__, exc)
        return claims
    if str(extra.get("sub")) != str(claims["sub"]):
        logger.warning("OIDC userinfo names another subject; ignored")
        return claims
    return {**extra, **{k: v for k, v in claims.items() if v not in (None, "")}}
