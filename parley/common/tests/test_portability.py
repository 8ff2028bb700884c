"""What every supported database must do the same way (SQLite, PostgreSQL, MariaDB)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from parley.accounts.models import User
from parley.rooms.models import Room
from parley.testing.api import client_for, make_user

pytestmark = pytest.mark.django_db


def test_four_byte_characters_round_trip_through_a_send() -> None:
    """utf8mb4 on MariaDB: emoji (4 bytes in UTF-8) and CJK come back as sent."""
    user = make_user()
    api = client_for(user)
    name = "聊天室 🦜"
    room = api.post("/api/v1/rooms", {"name": name, "visibility": "public"}, format="json").json()
    assert room["name"] == name
    body = "hello 👋🏽 世界 𠜎 — ok"
    sent = api.post(f"/api/v1/rooms/{room['id']}/messages", {"body": body, "client_id": "c1"}, format="json")
    assert sent.status_code == 201, sent.content
    page = api.get(f"/api/v1/rooms/{room['id']}/messages").json()
    assert [m["body"] for m in page["messages"]] == [body]
    assert api.get(f"/api/v1/rooms/{room['id']}").json()["name"] == name


def test_room_names_are_unique_regardless_of_case_in_the_database_itself() -> None:
    """The constraint, not only the service's check: a racing create must fail too."""
    owner = make_user()
    Room.objects.create(name="Lounge", owner=owner, visibility="public")
    with pytest.raises(IntegrityError), transaction.atomic():
        Room.objects.create(name="lounge", owner=owner, visibility="public")


def test_usernames_are_unique_regardless_of_case_in_the_database_itself() -> None:
    make_user("Alice")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="alice", password="x")
