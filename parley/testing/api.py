from __future__ import annotations

import itertools
from typing import Any

from rest_framework.test import APIClient

from parley.accounts import services as accounts
from parley.accounts.models import User
from parley.actions import onboarding

_n = itertools.count(1)
PASSWORD = "a-long enough passphrase 42"


def make_user(username: str | None = None, *, password: str = PASSWORD) -> User:
    return onboarding.account_register(username=username or f"user{next(_n)}", password=password)


def make_guest(nickname: str | None = None, avatar: str = "owl") -> User:
    return onboarding.guest_register(nickname=nickname or f"Guest {next(_n)}", avatar=avatar)


def token_for(user: User) -> str:
    return accounts.token_issue(user=user)


def client_for(user: User | None = None) -> APIClient:
    """An API client authenticated by a token (or anonymous)."""
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    # `reason` only says why a login ended (401 signed_out); `methods` and `login_token` what
    # the second step of a sign-in takes (401 otp_required / otp_invalid); nothing else adds.
    code = body["error"].get("code")
    extra = {"reason"} if code == "signed_out" else set()
    if code in {"otp_required", "otp_invalid"}:
        extra = {"methods", "login_token"}
    assert set(body["error"]) == {"code", "message", "fields", *extra}, body
    return body["error"]  # type: ignore[no-any-return]
