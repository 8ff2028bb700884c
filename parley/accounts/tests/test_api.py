"""Accounts through the REST API: register, login, guest, logout, me, password."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from parley.accounts.models import User
from parley.testing.api import PASSWORD, client_for, error_of, make_guest, make_user

pytestmark = pytest.mark.django_db

REG = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
GUEST = "/api/v1/auth/guest"


def test_register_returns_user_token_and_session() -> None:
    client = APIClient()
    r = client.post(REG, {"username": "Alice", "password": PASSWORD}, format="json")
    assert r.status_code == 201
    body = r.json()
    assert set(body) == {"user", "token", "token_expires_at"}
    assert body["user"]["username"] == "Alice"
    assert body["user"]["is_guest"] is False
    assert body["user"]["avatar"].startswith("/static/avatars/")
    assert client.get("/api/v1/me").json()["user"]["id"] == body["user"]["id"]  # session works
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert other.get("/api/v1/me").status_code == 200  # token works


def test_passwords_are_stored_as_argon2(settings: object) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]  # type: ignore[attr-defined]
    APIClient().post(REG, {"username": "argon", "password": PASSWORD}, format="json")
    assert User.objects.get(username="argon").password.startswith("argon2$")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"username": "al", "password": PASSWORD}, "username"),
        ({"username": "has space", "password": PASSWORD}, "username"),
        ({"username": "guest-bob", "password": PASSWORD}, "username"),
        ({"username": "carol", "password": "123"}, "password"),
        ({"username": "carol", "password": "password"}, "password"),
        ({"username": "carol"}, "password"),
        ({"password": PASSWORD}, "username"),
    ],
)
def test_register_rejects_bad_input_with_field_errors(payload: dict[str, str], field: str) -> None:
    r = APIClient().post(REG, payload, format="json")
    assert r.status_code == 400
    assert field in error_of(r)["fields"]


def test_register_refuses_a_taken_name_case_insensitively() -> None:
    make_user("dave")
    r = APIClient().post(REG, {"username": "DAVE", "password": PASSWORD}, format="json")
    assert r.status_code == 400
    assert error_of(r)["fields"]["username"] == ["This name is not available."]
    assert User.objects.filter(username__iexact="dave").count() == 1


def test_register_refuses_a_name_a_guest_is_using() -> None:
    make_guest("Erin")
    r = APIClient().post(REG, {"username": "erin", "password": PASSWORD}, format="json")
    assert r.status_code == 400


def test_malformed_json_is_a_400_in_the_error_shape() -> None:
    r = APIClient().post(REG, data="{nope", content_type="application/json")
    assert r.status_code == 400
    assert error_of(r)["code"] == "bad_json"


def test_login_with_any_case_and_wrong_password() -> None:
    make_user("frank")
    r = APIClient().post(LOGIN, {"username": "FRANK", "password": PASSWORD}, format="json")
    assert r.status_code == 200
    assert r.json()["user"]["username"] == "frank"
    r = APIClient().post(LOGIN, {"username": "frank", "password": "wrong"}, format="json")
    assert r.status_code == 400
    assert error_of(r)["code"] == "invalid_credentials"


def test_login_for_unknown_and_known_users_fails_the_same_way() -> None:
    make_user("gina")
    a = APIClient().post(LOGIN, {"username": "gina", "password": "nope"}, format="json")
    b = APIClient().post(LOGIN, {"username": "nobody-here", "password": "nope"}, format="json")
    assert a.status_code == b.status_code == 400
    assert error_of(a) == error_of(b)


def test_login_locks_out_after_repeated_failures_with_429() -> None:
    make_user("hank")
    for _ in range(5):
        APIClient().post(
            LOGIN, {"username": "hank", "password": "bad"}, format="json", REMOTE_ADDR="10.9.9.9"
        )
    r = APIClient().post(
        LOGIN, {"username": "hank", "password": PASSWORD}, format="json", REMOTE_ADDR="10.9.9.9"
    )
    assert r.status_code == 429
    err = error_of(r)
    assert err["code"] == "rate_limited"
    assert "Try again" in err["message"]


def test_rotating_forwarded_for_does_not_bypass_lockout() -> None:
    make_user("ivan")
    for i in range(5):
        APIClient().post(
            LOGIN, {"username": "ivan", "password": "bad"}, format="json",
            REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        )  # fmt: skip
    r = APIClient().post(
        LOGIN, {"username": "ivan", "password": PASSWORD}, format="json",
        REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="198.51.100.7",
    )  # fmt: skip
    assert r.status_code == 429


def test_guest_login_with_nickname_and_avatar() -> None:
    client = APIClient()
    r = client.post(GUEST, {"nickname": "  Night   Owl ", "avatar": "owl"}, format="json")
    assert r.status_code == 201
    user = r.json()["user"]
    assert user["is_guest"] is True
    assert user["display_name"] == "Night Owl"
    assert user["avatar"] == "/static/avatars/owl.svg"
    assert client.get("/api/v1/me").json()["user"]["id"] == user["id"]


def test_guest_gets_a_default_avatar() -> None:
    r = APIClient().post(GUEST, {"nickname": "Plain"}, format="json")
    assert r.status_code == 201
    assert r.json()["user"]["avatar"] == "/static/avatars/fox.svg"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"nickname": ""}, "nickname"),
        ({"nickname": "x" * 25}, "nickname"),
        ({"nickname": "ok", "avatar": "dragon"}, "avatar"),
        ({"nickname": "bad\u202ename"}, "nickname"),
        ({"nickname": "Guest-7"}, "nickname"),
    ],
)
def test_guest_rejects_bad_input(payload: dict[str, str], field: str) -> None:
    r = APIClient().post(GUEST, payload, format="json")
    assert r.status_code == 400
    assert field in error_of(r)["fields"]


def test_guest_cannot_impersonate_a_registered_user_or_another_guest() -> None:
    make_user("judy")
    make_guest("Kim")
    for name in ("judy", "JUDY", "kim"):
        r = APIClient().post(GUEST, {"nickname": name}, format="json")
        assert r.status_code == 400, name
        assert error_of(r)["fields"]["nickname"] == ["This name is not available."]


def test_avatars_lists_the_bundled_set() -> None:
    r = APIClient().get("/api/v1/auth/avatars")
    assert r.status_code == 200
    keys = [a["key"] for a in r.json()["avatars"]]
    assert "owl" in keys and len(keys) >= 8


def test_me_requires_authentication() -> None:
    r = APIClient().get("/api/v1/me")
    assert r.status_code == 401
    assert error_of(r)["code"] == "not_authenticated"


def test_a_request_with_a_token_is_judged_by_the_token_alone() -> None:
    client = APIClient()
    client.post(REG, {"username": "leo", "password": PASSWORD}, format="json")  # session cookie set
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/v1/me").status_code == 401


def test_session_requests_need_csrf_on_unsafe_methods() -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.get("/api/v1/auth/csrf")
    token = client.cookies["csrftoken"].value
    r = client.post(REG, {"username": "mia", "password": PASSWORD}, format="json", HTTP_X_CSRFTOKEN=token)
    assert r.status_code == 201
    r = client.post("/api/v1/rooms", {"name": "no-csrf"}, format="json")
    assert r.status_code == 403
    r = client.post(
        "/api/v1/rooms",
        {"name": "with-csrf"},
        format="json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )
    assert r.status_code == 201


def test_logout_with_token_revokes_only_that_token() -> None:
    user = make_user("nina")
    a, b = client_for(user), client_for(user)
    assert a.post("/api/v1/auth/logout").status_code == 204
    assert a.get("/api/v1/me").status_code == 401
    assert b.get("/api/v1/me").status_code == 200


def test_logout_with_session_ends_the_session_and_its_token() -> None:
    client = APIClient()
    token = client.post(REG, {"username": "omar", "password": PASSWORD}, format="json").json()["token"]
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert client.get("/api/v1/me").status_code == 401
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert other.get("/api/v1/me").status_code == 401


def test_password_change_checks_the_old_one_and_revokes_other_tokens() -> None:
    user = make_user("pia")
    me, other = client_for(user), client_for(user)
    r = me.post(
        "/api/v1/me/password",
        {"old_password": "wrong", "new_password": "another long phrase 7"},
        format="json",
    )
    assert r.status_code == 400
    r = me.post("/api/v1/me/password", {"old_password": PASSWORD, "new_password": "short"}, format="json")
    assert r.status_code == 400
    assert "new_password" in error_of(r)["fields"]
    r = me.post(
        "/api/v1/me/password",
        {"old_password": PASSWORD, "new_password": "another long phrase 7"},
        format="json",
    )
    assert r.status_code == 204
    assert me.get("/api/v1/me").status_code == 200
    assert other.get("/api/v1/me").status_code == 401
    assert (
        APIClient()
        .post(LOGIN, {"username": "pia", "password": "another long phrase 7"}, format="json")
        .status_code
        == 200
    )


def test_deactivated_users_are_refused() -> None:
    from parley.accounts.services import user_deactivate

    user = make_user("quinn")
    client = client_for(user)
    user_deactivate(user=user)
    assert client.get("/api/v1/me").status_code == 401
    r = APIClient().post(LOGIN, {"username": "quinn", "password": PASSWORD}, format="json")
    assert r.status_code == 400
