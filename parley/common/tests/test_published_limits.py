"""The limits the REST schema publishes are the ones the services enforce: both come from the
same constants, and a value at the limit passes while one past it is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from rest_framework.test import APIClient

from parley.accounts.models import DISPLAY_NAME_MAX, NICKNAME_MAX
from parley.rooms.models import NAME_MAX, TOPIC_MAX
from parley.testing.api import client_for, make_user

SCHEMA = Path(settings.BASE_DIR) / "docs" / "api" / "openapi.yaml"


def _schemas() -> dict[str, Any]:
    return yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))["components"]["schemas"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("component", "field", "limit"),
    [
        ("RoomCreateInRequest", "name", NAME_MAX),
        ("RoomCreateInRequest", "topic", TOPIC_MAX),
        ("PatchedRoomUpdateInRequest", "name", NAME_MAX),
        ("PatchedRoomUpdateInRequest", "topic", TOPIC_MAX),
        ("PatchedProfileInRequest", "display_name", DISPLAY_NAME_MAX),
        ("GuestInRequest", "nickname", NICKNAME_MAX),
    ],
)
def test_the_schema_publishes_the_enforced_limit(component: str, field: str, limit: int) -> None:
    assert _schemas()[component]["properties"][field]["maxLength"] == limit


@pytest.mark.django_db
def test_a_room_name_and_topic_at_the_limit_pass_and_one_past_it_is_refused() -> None:
    api = client_for(make_user("owner"))
    r = api.post("/api/v1/rooms", {"name": "n" * NAME_MAX, "topic": "t" * TOPIC_MAX}, format="json")
    assert r.status_code == 201, r.content
    url = f"/api/v1/rooms/{r.json()['id']}"
    assert api.patch(url, {"name": "m" * (NAME_MAX + 1)}, format="json").status_code == 400
    assert api.patch(url, {"topic": "u" * (TOPIC_MAX + 1)}, format="json").status_code == 400
    at_limit = {"name": "m" * NAME_MAX, "topic": "u" * TOPIC_MAX}
    assert api.patch(url, at_limit, format="json").status_code == 200


@pytest.mark.django_db
def test_a_display_name_and_a_nickname_at_the_limit_pass_and_one_past_it_is_refused() -> None:
    api = client_for(make_user("named"))
    too_long = {"display_name": "d" * (DISPLAY_NAME_MAX + 1)}
    assert api.patch("/api/v1/me", too_long, format="json").status_code == 400
    assert api.patch("/api/v1/me", {"display_name": "d" * DISPLAY_NAME_MAX}, format="json").status_code == 200
    guest = APIClient().post("/api/v1/auth/guest", {"nickname": "g" * (NICKNAME_MAX + 1)}, format="json")
    assert guest.status_code == 400
    guest = APIClient().post("/api/v1/auth/guest", {"nickname": "g" * NICKNAME_MAX}, format="json")
    assert guest.status_code == 201, guest.content
