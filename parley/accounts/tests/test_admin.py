"""The admin's user actions run the account services (staff, through Django's test client)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from parley.accounts.models import AuthToken, User
from parley.realtime import publish
from parley.testing.api import PASSWORD, client_for, make_user

pytestmark = pytest.mark.django_db


def staff_client() -> tuple[Client, User]:
    boss = User.objects.create_superuser("boss", "boss@example.org", PASSWORD)
    client = Client()
    client.force_login(boss)
    return client, boss


def test_deactivating_a_user_ends_their_logins_and_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[dict[str, Any]] = []
    monkeypatch.setattr(publish, "user_close", lambda **kw: closed.append(kw))
    client, _boss = staff_client()
    user = make_user("troll")
    api = client_for(user)
    url = reverse("admin:accounts_user_changelist")
    assert client.get(url).status_code == 200
    assert client.get(reverse("admin:accounts_user_change", args=[user.pk])).status_code == 200

    r = client.post(url, {"action": "deactivate", "_selected_action": [user.pk]}, follow=True)
    assert r.status_code == 200
    assert "Deactivated 1 user." in r.content.decode()
    user.refresh_from_db()
    assert not user.is_active
    assert not AuthToken.objects.filter(user=user).exists()
    assert api.get("/api/v1/me").status_code == 401
    assert closed == [{"user_id": user.pk, "auth_ids": None, "reason": "account_deactivated", "code": 4003}]


def test_staff_cannot_deactivate_themselves_and_users_are_not_deleted_from_the_list() -> None:
    client, boss = staff_client()
    url = reverse("admin:accounts_user_changelist")
    r = client.post(url, {"action": "deactivate", "_selected_action": [boss.pk]}, follow=True)
    assert "You cannot deactivate yourself." in r.content.decode()
    boss.refresh_from_db()
    assert boss.is_active
    assert 'value="delete_selected"' not in client.get(url).content.decode()


def test_a_display_name_set_in_the_admin_gets_the_name_check() -> None:
    client, _boss = staff_client()
    user = make_user("renamed")
    url = reverse("admin:accounts_user_change", args=[user.pk])
    form = {
        "username": user.username,
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "avatar": user.avatar,
        "digest_enabled": "on",
    }
    r = client.post(url, {**form, "display_name": "Zoe\u202eevil"})
    assert r.status_code == 200 and "Invisible characters are not allowed." in r.content.decode()
    user.refresh_from_db()
    assert user.display_name == ""
    r = client.post(url, {**form, "display_name": "  \uff3aoë  "})
    assert r.status_code == 302, r.content.decode()[:2000]
    user.refresh_from_db()
    assert user.display_name == "Zoë"
