"""Mail through the API: an optional address verified by a link, password reset by mail."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from rest_framework.test import APIClient

from parley.accounts.models import User
from parley.testing.api import PASSWORD, client_for, error_of, make_user

pytestmark = pytest.mark.django_db

REG = "/api/v1/auth/register"
VERIFY = "/api/v1/auth/verify-email"
RESET = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"
NEW_PASSWORD = "another long passphrase 7"


def _token_in(message: mail.EmailMessage, path: str) -> str:
    found = re.search(rf"{re.escape(path)}\?token=([^\s\"<&]+)", str(message.body))
    assert found, message.body
    return found.group(1)


def test_register_with_email_mails_a_link_that_verifies_it() -> None:
    r = APIClient().post(
        REG, {"username": "mia", "password": PASSWORD, "email": "mia@example.org"}, format="json"
    )
    assert r.status_code == 201
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["mia@example.org"]
    assert isinstance(message, mail.EmailMultiAlternatives)
    assert message.alternatives and message.alternatives[0][1] == "text/html"
    token = _token_in(message, "/verify-email")
    r = APIClient().post(VERIFY, {"token": token}, format="json")
    assert r.status_code == 200
    assert r.json() == {"email": "mia@example.org", "email_verified": True, "digest_enabled": True}
    assert User.objects.get(username="mia").email_verified


def test_register_without_email_sends_nothing() -> None:
    assert (
        APIClient().post(REG, {"username": "nomail", "password": PASSWORD}, format="json").status_code == 201
    )
    assert mail.outbox == []


def test_register_rejects_a_malformed_email() -> None:
    r = APIClient().post(
        REG, {"username": "bad", "password": PASSWORD, "email": "not-an-address"}, format="json"
    )
    assert r.status_code == 400
    assert "email" in error_of(r)["fields"]


def test_verify_rejects_a_forged_or_expired_token(settings: object) -> None:
    r = APIClient().post(VERIFY, {"token": "forged:token"}, format="json")
    assert r.status_code == 400 and error_of(r)["code"] == "invalid_token"
    APIClient().post(
        REG, {"username": "late", "password": PASSWORD, "email": "late@example.org"}, format="json"
    )
    token = _token_in(mail.outbox[-1], "/verify-email")
    settings.EMAIL_VERIFY_MAX_AGE = -1  # type: ignore[attr-defined]
    r = APIClient().post(VERIFY, {"token": token}, format="json")
    assert r.status_code == 400 and error_of(r)["code"] == "invalid_token"


def test_a_link_for_an_old_address_does_not_verify_the_new_one() -> None:
    user = make_user()
    client = client_for(user)
    assert client.patch("/api/v1/me/mail", {"email": "one@example.org"}, format="json").status_code == 200
    old = _token_in(mail.outbox[-1], "/verify-email")
    r = client.patch("/api/v1/me/mail", {"email": "two@example.org"}, format="json")
    assert r.json()["email_verified"] is False
    assert APIClient().post(VERIFY, {"token": old}, format="json").status_code == 400


def test_password_reset_by_username_or_email_answers_the_same_for_unknown_accounts() -> None:
    user = make_user("resetme")
    user.email, user.email_verified = "reset@example.org", True
    user.save()
    answers = [
        APIClient().post(RESET, {"login": login}, format="json")
        for login in ("resetme", "reset@example.org", "nobody", "nobody@example.org")
    ]
    assert [r.status_code for r in answers] == [202] * 4
    assert len({r.content for r in answers}) == 1
    assert [m.to for m in mail.outbox] == [["reset@example.org"], ["reset@example.org"]]


def test_password_reset_confirm_sets_the_password_once_and_ends_every_login() -> None:
    user = make_user("forgetful")
    user.email = "f@example.org"
    user.save()
    old_client = client_for(user)
    APIClient().post(RESET, {"login": "forgetful"}, format="json")
    token = _token_in(mail.outbox[-1], "/reset-password")
    r = APIClient().post(CONFIRM, {"token": token, "new_password": NEW_PASSWORD}, format="json")
    assert r.status_code == 204
    assert old_client.get("/api/v1/me").status_code == 401  # every token ended
    login = APIClient().post(
        "/api/v1/auth/login", {"username": "forgetful", "password": NEW_PASSWORD}, format="json"
    )
    assert login.status_code == 200
    again = APIClient().post(
        CONFIRM, {"token": token, "new_password": "yet another passphrase 9"}, format="json"
    )
    assert again.status_code == 400 and error_of(again)["code"] == "invalid_token"


def test_password_reset_confirm_checks_the_new_password() -> None:
    user = make_user("weak")
    user.email = "w@example.org"
    user.save()
    APIClient().post(RESET, {"login": "weak"}, format="json")
    token = _token_in(mail.outbox[-1], "/reset-password")
    r = APIClient().post(CONFIRM, {"token": token, "new_password": "123"}, format="json")
    assert r.status_code == 400 and "new_password" in error_of(r)["fields"]


def test_guests_have_no_address() -> None:
    from parley.testing.api import make_guest

    r = client_for(make_guest()).patch("/api/v1/me/mail", {"email": "g@example.org"}, format="json")
    assert r.status_code == 400


def test_the_verification_link_can_be_mailed_again_while_the_address_waits() -> None:
    user = make_user("resend")
    client = client_for(user)
    assert client.patch("/api/v1/me/mail", {"email": "resend@example.org"}, format="json").status_code == 200
    assert client.post("/api/v1/me/mail/verification").status_code == 202
    assert len(mail.outbox) == 2 and mail.outbox[1].to == ["resend@example.org"]
    token = _token_in(mail.outbox[1], "/verify-email")
    assert APIClient().post(VERIFY, {"token": token}, format="json").status_code == 200
    r = client.post("/api/v1/me/mail/verification")
    assert r.status_code == 400 and error_of(r)["code"] == "already_verified"
    assert len(mail.outbox) == 2


def test_no_verification_mail_without_an_address() -> None:
    r = client_for(make_user("noaddr")).post("/api/v1/me/mail/verification")
    assert r.status_code == 400
    assert "email" in error_of(r)["fields"]
    assert mail.outbox == []
