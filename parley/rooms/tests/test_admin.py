"""The admin's room action runs the room service (staff, through Django's test client)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from parley.accounts.models import User
from parley.rooms import services
from parley.rooms.models import Room
from parley.testing.api import PASSWORD, client_for, make_user

pytestmark = pytest.mark.django_db


def test_staff_close_a_room_they_do_not_belong_to_and_members_see_it_closed() -> None:
    boss = User.objects.create_superuser("boss", "boss@example.org", PASSWORD)
    owner = make_user("owner")
    room = services.room_create(owner=owner, name="spam", visibility=Room.Visibility.PRIVATE)
    client = Client()
    client.force_login(boss)
    url = reverse("admin:rooms_room_changelist")
    assert client.get(url).status_code == 200
    assert client.get(reverse("admin:rooms_room_change", args=[room.pk])).status_code == 200

    r = client.post(url, {"action": "close", "_selected_action": [room.pk]}, follow=True)
    assert "Closed 1 room." in r.content.decode()
    room.refresh_from_db()
    assert room.closed_at is not None
    assert client_for(owner).get(f"/api/v1/rooms/{room.pk}").json()["closed"] is True


def test_a_member_who_is_not_staff_still_cannot_close_a_room() -> None:
    from parley.common.errors import Forbidden

    owner, member = make_user("own2"), make_user("mem2")
    room = services.room_create(owner=owner, name="kept")
    services.room_join(room_id=room.pk, user=member)
    with pytest.raises(Forbidden):
        services.room_close(room_id=room.pk, actor=member)
