"""The callback's checks against an IdP that lies on demand (evil_idp): each defect of the ID
token is refused and sends the browser back to the sign-in page with a code, one warning in
the log says which check refused it, and nobody is signed in. The honest answer from the same
IdP signs in, so each refusal is the defect's doing. OIDC_ONLY refuses passwords in the API."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client

from parley.accounts import services as accounts
from parley.accounts.models import ExternalLogin, User
from parley.accounts.tests.evil_idp import GOOD, EvilIdp
from parley.testing.api import make_user
from parley.testing.live import services_or_skip

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def idp(settings: object) -> Iterator[EvilIdp]:
    services_or_skip(postgres=False, redis=False)  # in-process: any database of the services passes
    evil = EvilIdp("parley-evil", "evil-secret")
    with evil.running():
        settings.OIDC_ISSUER = evil.url  # type: ignore[attr-defined]
        settings.OIDC_CLIENT_ID = evil.client_id  # type: ignore[attr-defined]
        settings.OIDC_CLIENT_SECRET = evil.client_secret  # type: ignore[attr-defined]
        settings.OIDC_NAME = "Evil"  # type: ignore[attr-defined]
        yield evil


def start(client: Client, next_path: str = "") -> str:
    """GET /auth/oidc/login; the IdP's answer: the callback URL (path and query) it sends to."""
    response = client.get("/auth/oidc/login" + (f"?next={next_path}" if next_path else ""))
    assert response.status_code == 302, response
    at_idp = requests.get(response["Location"], allow_redirects=False, timeout=5)
    assert at_idp.status_code == 302
    back = urlsplit(at_idp.headers["Location"])
    assert back.path == "/auth/oidc/callback"
    return f"{back.path}?{back.query}"


def refusal(response: object) -> str:
    assert response.status_code == 302, response  # type: ignore[attr-defined]
    url = urlsplit(response["Location"])  # type: ignore[index]
    assert url.path == "/login"
    return parse_qs(url.query)["sso_error"][0]


def signed_in(client: Client) -> bool:
    return bool(client.get("/api/v1/me").status_code == 200)


def test_an_honest_answer_signs_in_with_pkce_and_lands_on_next(idp: EvilIdp) -> None:
    client = Client()
    idp.claims = {"preferred_username": "mallory", "name": "Mallory M", "email": "m@example.org"}
    response = client.get(start(client, "/rooms/7"))
    assert response.status_code == 302 and response["Location"] == "/rooms/7"
    assert idp.pkce_ok == [True]
    me = client.get("/api/v1/me").json()["user"]
    assert me["username"] == "mallory" and me["display_name"] == "Mallory M"
    user = User.objects.get(username="mallory")
    # No `email_verified` claim: the address is kept but not trusted.
    assert user.email == "m@example.org" and not user.email_verified
    assert not user.has_usable_password()
    assert client.get("/api/v1/me/sign-in").json() == {
        "methods": [{"kind": "oidc", "name": "Evil"}],
        "password_managed": False,
    }


def test_a_deactivated_account_is_not_signed_in_again(idp: EvilIdp) -> None:
    client = Client()
    client.get(start(client))
    assert signed_in(client)
    accounts.user_deactivate(user=User.objects.get(external_logins__issuer=idp.url))
    again = Client()
    assert refusal(again.get(start(again))) == "account_deactivated"
    assert not signed_in(again)


@pytest.mark.parametrize(
    ("mode", "logged"),
    [
        ("wrong_nonce", "nonce"),
        ("expired", "ExpiredTokenError"),
        ("foreign_audience", "aud"),
        ("bad_signature", "BadSignatureError"),
        ("other_issuer", "iss"),
        ("no_id_token", "no ID token"),
    ],
)
def test_a_defective_id_token_is_refused(
    idp: EvilIdp, mode: str, logged: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client()
    idp.mode = mode
    callback = start(client)
    with caplog.at_level("WARNING", logger="parley.actions.sso"):
        assert refusal(client.get(callback)) == "token_refused"
    refusals = [r.message for r in caplog.records if "OIDC sign-in refused" in r.message]
    assert any(logged in m for m in refusals), caplog.text
    assert not signed_in(client)
    assert not ExternalLogin.objects.exists()


def test_a_subject_longer_than_the_spec_allows_is_refused(idp: EvilIdp) -> None:
    client = Client()
    idp.claims = {"sub": "s" * 256}
    assert refusal(client.get(start(client))) == "token_refused"
    assert not signed_in(client)


def test_a_forged_state_and_a_replayed_callback_are_refused(idp: EvilIdp) -> None:
    client = Client()
    callback = start(client)
    path, _, query = callback.partition("?")
    params = parse_qs(query)
    assert refusal(client.get(path, {"code": params["code"][0], "state": "forged"})) == "bad_state"
    assert not signed_in(client)
    # The real answer still works once...
    response = client.get(callback)
    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in(client)
    # ...and never twice, even in another browser that saw the URL.
    assert refusal(Client().get(callback)) == "bad_state"
    assert refusal(client.get(callback)) == "bad_state"


def test_a_state_from_another_browser_is_refused(idp: EvilIdp) -> None:
    """Login CSRF: an attacker's callback URL opened in the victim's browser signs nobody in."""
    attacker, victim = Client(), Client()
    callback = start(attacker)
    assert refusal(victim.get(callback)) == "bad_state"
    assert not signed_in(victim)


def test_an_idp_error_goes_back_to_the_sign_in_page(idp: EvilIdp) -> None:
    client = Client()
    callback = start(client)
    state = parse_qs(callback.partition("?")[2])["state"][0]
    denied = client.get("/auth/oidc/callback", {"error": "access_denied", "state": state})
    assert refusal(denied) == "access_denied"
    other = client.get("/auth/oidc/callback", {"error": "server_error", "state": "x"})
    assert refusal(other) == "idp_error"


def test_next_goes_only_to_paths_of_this_site(idp: EvilIdp) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        client = Client()
        response = client.get(start(client, target))
        assert response.status_code == 302 and response["Location"] == "/", target


def test_an_unreachable_idp_is_a_clear_refusal(settings: object, caplog: pytest.LogCaptureFixture) -> None:
    services_or_skip(postgres=False, redis=False)  # in-process: any database of the services passes
    settings.OIDC_ISSUER = "http://127.0.0.1:9"  # type: ignore[attr-defined]
    settings.OIDC_CLIENT_ID = "x"  # type: ignore[attr-defined]
    settings.OIDC_TIMEOUT = 2  # type: ignore[attr-defined]
    with caplog.at_level("WARNING"):
        assert refusal(Client().get("/auth/oidc/login")) == "unavailable"
    assert "Traceback" not in caplog.text


def test_oidc_only_refuses_passwords_and_registration_in_the_api(idp: EvilIdp, settings: object) -> None:
    make_user("keeper")
    settings.OIDC_ONLY = True  # type: ignore[attr-defined]
    client = Client()
    methods = client.get("/api/v1/auth/methods").json()
    assert methods == {
        "password": False,
        "registration": "closed",
        "guests": True,
        "ldap": False,
        "oidc": {"name": "Evil", "login_url": "/auth/oidc/login"},
    }
    login = client.post(
        "/api/v1/auth/login", {"username": "keeper", "password": "x"}, content_type="application/json"
    )
    assert login.status_code == 403 and login.json()["error"]["code"] == "oidc_only"
    assert "Evil" in login.json()["error"]["message"]
    register = client.post(
        "/api/v1/auth/register",
        {"username": "newbie", "password": "a long enough passphrase 42"},
        content_type="application/json",
    )
    assert register.status_code == 403 and register.json()["error"]["code"] == "oidc_only"
    assert not User.objects.filter(username="newbie").exists()
    # The IdP still signs people in.
    idp.mode = GOOD
    client.get(start(client))
    assert signed_in(client)


def test_without_oidc_the_methods_say_so_and_the_pages_redirect(settings: object) -> None:
    services_or_skip(postgres=False, redis=False)  # in-process: any database of the services passes
    settings.OIDC_ISSUER = ""  # type: ignore[attr-defined]
    client = Client()
    assert client.get("/api/v1/auth/methods").json()["oidc"] is None
    assert refusal(client.get("/auth/oidc/login")) == "not_configured"
    assert refusal(client.get("/auth/oidc/callback?code=x&state=y")) == "not_configured"
