"""Tokens expire (TOKEN_TTL, 30 days by default) and can be renewed before they do
(issue 28, finding 9: tokens never expired, so one that leaked into a log worked for good)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from parley.accounts.models import AuthToken
from parley.testing.api import PASSWORD, make_user
from parley.testing.ws import WsClient

db = database_sync_to_async


def _login(username: str) -> dict[str, Any]:
    r = APIClient().post("/api/v1/auth/login", {"username": username, "password": PASSWORD}, format="json")
    assert r.status_code == 200
    return r.json()  # type: ignore[no-any-return]


def _me(token: str) -> int:
    return APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/me").status_code


def _age_every_token(by: timedelta) -> None:
    """Time passes for the tokens: each was issued `by` earlier than it was."""
    for token in AuthToken.objects.all():
        AuthToken.objects.filter(pk=token.pk).update(created_at=token.created_at - by)


@pytest.mark.django_db
def test_a_token_stops_working_after_token_ttl_and_says_when(settings: Any) -> None:
    settings.TOKEN_TTL = 3600.0
    make_user("ttl-a")
    signed_in = _login("ttl-a")
    expires = parse_datetime(signed_in["token_expires_at"])
    assert expires is not None and abs((expires - timezone.now()) - timedelta(hours=1)) < timedelta(minutes=1)
    assert _me(signed_in["token"]) == 200
    _age_every_token(timedelta(minutes=61))
    assert _me(signed_in["token"]) == 401


@pytest.mark.django_db
def test_a_token_renewed_before_expiry_keeps_working_and_the_old_key_stops(settings: Any) -> None:
    settings.TOKEN_TTL = 3600.0
    make_user("ttl-b")
    old = _login("ttl-b")["token"]
    _age_every_token(timedelta(minutes=50))
    r = APIClient(HTTP_AUTHORIZATION=f"Token {old}").post("/api/v1/auth/token/renew")
    assert r.status_code == 200
    new = r.json()["token"]
    assert new != old and _me(old) == 401 and _me(new) == 200
    _age_every_token(timedelta(minutes=50))  # 100 minutes after the first login, 50 after renewing
    assert _me(new) == 200
    # A browser signed in by its session has no token to renew.
    session = APIClient()
    session.post("/api/v1/auth/login", {"username": "ttl-b", "password": PASSWORD}, format="json")
    assert session.post("/api/v1/auth/token/renew").status_code in (400, 403)


@pytest.mark.django_db
def test_token_ttl_zero_means_never(settings: Any) -> None:
    settings.TOKEN_TTL = 0.0
    make_user("ttl-c")
    signed_in = _login("ttl-c")
    assert signed_in["token_expires_at"] is None
    _age_every_token(timedelta(days=3650))
    assert _me(signed_in["token"]) == 200


@pytest.mark.django_db(transaction=True)
async def test_an_expired_token_opens_no_socket(settings: Any) -> None:
    settings.TOKEN_TTL = 3600.0
    await db(make_user)("ttl-d")
    token = (await db(_login)("ttl-d"))["token"]
    fresh = WsClient(token)
    ok, _ = await fresh.connect()
    assert ok
    await fresh.close()
    await db(_age_every_token)(timedelta(hours=2))
    stale = WsClient(token)
    ok, _ = await stale.connect(expect_hello=False)
    assert not ok
