"""The admin's message action runs the messaging service (staff, through Django's test client)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from parley.accounts.models import User
from parley.messaging import services
from parley.messaging.models import Message, MessageEdit, RoomEvent
from parley.rooms import services as rooms
from parley.testing.api import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_staff_delete_a_message_and_the_room_logs_message_deleted() -> None:
    boss = User.objects.create_superuser("boss", "boss@example.org", PASSWORD)
    author = make_user("author")
    room = rooms.room_create(owner=author, name="lounge")
    services.message_send(sender=author, room_id=room.pk, body="buy cheap pills", client_id="c-1")
    message = Message.objects.get(room=room, body="buy cheap pills")
    client = Client()
    client.force_login(boss)
    url = reverse("admin:messaging_message_changelist")
    assert client.get(url).status_code == 200
    assert client.get(reverse("admin:messaging_message_change", args=[message.pk])).status_code == 200

    r = client.post(url, {"action": "delete_through_service", "_selected_action": [message.pk]}, follow=True)
    assert "Deleted 1 message." in r.content.decode()
    message.refresh_from_db()
    assert message.deleted_at is not None and message.body == ""
    event = RoomEvent.objects.get(room=room, kind=RoomEvent.Kind.DELETED)
    assert event.message_id == message.pk and event.seq == message.seq + 1
    assert MessageEdit.objects.get(message=message).editor == boss
