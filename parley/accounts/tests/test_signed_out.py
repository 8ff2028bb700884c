"""A device signed out by the account's side hears why (issue 27): its socket closes with the
reason, and its next REST call answers 401 `signed_out` with `error.reason`, for a token and
for a session alike. A sign-in page keeps working with the stale cookie."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from rest_framework.test import APIClient

from parley.accounts.models import User
from parley.testing.api import PASSWORD, client_for, error_of, make_user, token_for
from parley.testing.ws import WsClient

db = database_sync_to_async
NEW_PASSWORD = "another long enough passphrase 43"


def _session(user: User, password: str = PASSWORD) -> APIClient:
    client = APIClient()
    r = client.post("/api/v1/auth/login", {"username": user.username, "password": password}, format="json")
    assert r.status_code == 200, r.content
    return client


def _signed_out(r: Any) -> str:
    assert r.status_code == 401, r.content
    err = error_of(r)
    assert err["code"] == "signed_out" and err["message"], err
    return str(err["reason"])


async def _close_of(client: WsClient) -> tuple[int | None, str | None]:
    while True:
        out = await client.comm.receive_output(5)
        if out["type"] == "websocket.close":
            return out.get("code"), out.get("reason")


@pytest.mark.django_db
def test_a_password_change_elsewhere_tells_tokens_and_sessions_why() -> None:
    user = make_user()
    other_token, other_session = client_for(user), _session(user)
    changer = client_for(user)
    r = changer.post(
        "/api/v1/me/password", {"old_password": PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )
    assert r.status_code in (200, 204), r.content
    assert changer.get("/api/v1/me").status_code == 200  # the login that changed it stays
    assert _signed_out(other_token.get("/api/v1/me")) == "password_changed"
    assert _signed_out(other_token.get("/api/v1/rooms")) == "password_changed"  # every call, not once
    assert _signed_out(other_session.get("/api/v1/me")) == "password_changed"
    # The stale cookie does not stand in the way of signing in again.
    again = other_session.post(
        "/api/v1/auth/login", {"username": user.username, "password": NEW_PASSWORD}, format="json"
    )
    assert again.status_code == 200 and other_session.get("/api/v1/me").status_code == 200


@pytest.mark.django_db
def test_a_deleted_account_tells_its_other_logins_why() -> None:
    user = make_user()
    other_token, other_session = client_for(user), _session(user)
    r = client_for(user).delete("/api/v1/me", {"password": PASSWORD, "messages": "keep"}, format="json")
    assert r.status_code == 204, r.content
    assert _signed_out(other_token.get("/api/v1/me")) == "account_deleted"
    assert _signed_out(other_session.get("/api/v1/me")) == "account_deleted"


@pytest.mark.django_db
def test_an_unknown_token_or_no_login_is_still_plain_not_authenticated() -> None:
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION="Token not-a-token-anyone-had")
    r = stranger.get("/api/v1/me")
    assert (r.status_code, error_of(r)["code"], "reason" in error_of(r)) == (401, "not_authenticated", False)
    r = APIClient().get("/api/v1/me")
    assert (r.status_code, error_of(r)["code"]) == (401, "not_authenticated")


@pytest.mark.django_db(transaction=True)
async def test_the_socket_closes_with_the_reason() -> None:
    user = await db(make_user)()
    token = await db(token_for)(user)
    socket = WsClient(token)
    assert (await socket.connect())[0]

    def delete_account() -> int:
        api = client_for(user)
        return api.delete("/api/v1/me", {"password": PASSWORD, "messages": "keep"}, format="json").status_code

    assert await db(delete_account)() == 204
    assert await _close_of(socket) == (4003, "account_deleted")


@pytest.mark.django_db(transaction=True)
async def test_a_password_change_closes_other_sockets_with_its_reason() -> None:
    user = await db(make_user)()
    socket = WsClient(await db(token_for)(user))
    assert (await socket.connect())[0]

    def change() -> int:
        body = {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
        return client_for(user).post("/api/v1/me/password", body, format="json").status_code

    assert await db(change)() in (200, 204)
    assert await _close_of(socket) == (4001, "password_changed")
