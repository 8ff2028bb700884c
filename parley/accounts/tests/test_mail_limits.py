"""Parley cannot be used to mail-bomb a stranger (issue 28, finding 1): every endpoint that
mails someone is throttled per user, per client address and per recipient (case-folded)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from rest_framework.test import APIClient

from parley.accounts.models import User
from parley.testing.api import PASSWORD, client_for, error_of, make_user

pytestmark = pytest.mark.django_db

VICTIM = "victim@example.org"


@pytest.fixture(autouse=True)
def _fresh_counts(settings: Any) -> None:
    cache.clear()
    settings.THROTTLE_RATES = {
        **settings.THROTTLE_RATES,
        "email_change": "5/hour",
        "email_verify": "5/hour",
        "register": "100/hour",
        "password_reset": "100/hour",
        "mail_recipient": "3/hour",
    }


def _from_new_address(client: APIClient) -> APIClient:
    client.defaults["REMOTE_ADDR"] = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.9"
    return client


def _mails_to(address: str) -> int:
    return sum(1 for m in mail.outbox if [a.casefold() for a in m.to] == [address.casefold()])


def test_alternating_the_letter_case_of_an_address_mails_it_once() -> None:
    client = client_for(make_user())
    spellings = [VICTIM, VICTIM.upper(), "Victim@Example.org", "vIcTiM@eXaMpLe.OrG"]
    codes = [
        client.patch("/api/v1/me/mail", {"email": spellings[i % 4]}, format="json").status_code
        for i in range(100)
    ]
    assert set(codes) == {200}
    assert _mails_to(VICTIM) == 1


def test_changing_the_address_is_throttled_per_user() -> None:
    client = client_for(make_user())
    codes = []
    for i in range(7):
        _from_new_address(client)
        codes.append(client.patch("/api/v1/me/mail", {"email": f"n{i}@example.org"}, format="json"))
    assert [r.status_code for r in codes] == [200] * 5 + [429] * 2
    assert error_of(codes[-1])["code"] == "rate_limited" and int(codes[-1]["Retry-After"]) > 0
    assert len(mail.outbox) == 5
    # Settings that send no mail stay free.
    assert client.patch("/api/v1/me/mail", {"digest_enabled": False}, format="json").status_code == 200


def test_many_accounts_and_addresses_mail_one_stranger_only_a_few_times() -> None:
    codes = []
    for i in range(10):
        client = _from_new_address(client_for(make_user()))
        spelling = VICTIM if i % 2 else VICTIM.upper()
        codes.append(client.patch("/api/v1/me/mail", {"email": spelling}, format="json").status_code)
    assert codes == [200] * 3 + [429] * 7
    assert _mails_to(VICTIM) == 3


def test_registering_and_resending_count_toward_the_recipient() -> None:
    for i in range(2):
        r = _from_new_address(APIClient()).post(
            "/api/v1/auth/register",
            {"username": f"reg{i}", "password": PASSWORD, "email": VICTIM.upper() if i else VICTIM},
            format="json",
        )
        assert r.status_code == 201
    user = User.objects.get(username="reg0")
    resend = _from_new_address(client_for(user))
    assert resend.post("/api/v1/me/mail/verification").status_code == 202
    assert resend.post("/api/v1/me/mail/verification").status_code == 429
    r = _from_new_address(APIClient()).post(
        "/api/v1/auth/register", {"username": "reg9", "password": PASSWORD, "email": VICTIM}, format="json"
    )
    assert r.status_code == 429
    assert _mails_to(VICTIM) == 3


def test_password_reset_mails_one_mailbox_a_few_times_and_answers_the_same() -> None:
    user = make_user()
    user.email, user.email_verified = VICTIM, True
    user.save(update_fields=["email", "email_verified"])
    codes = [
        _from_new_address(APIClient())
        .post("/api/v1/auth/password-reset", {"login": user.username}, format="json")
        .status_code
        for _ in range(10)
    ]
    assert codes == [202] * 10
    assert _mails_to(VICTIM) == 3
