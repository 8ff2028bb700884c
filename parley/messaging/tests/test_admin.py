"""The admin's message action runs the messaging service (staff, through Django's test client)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from parley.accounts.models import User
from parley.messaging import reports, services
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


def test_staff_resolve_reports_in_the_admin_through_the_service() -> None:
    boss = User.objects.create_superuser("boss2", "boss2@example.org", PASSWORD)
    author, reader = make_user("author2"), make_user("reader2")
    room = rooms.room_create(owner=author, name="reported")
    rooms.room_join(room_id=room.pk, user=reader)
    message = services.message_send(sender=author, room_id=room.pk, body="spam spam", client_id="c-2").message
    report = reports.report_create(reporter=reader, message_id=message.pk, category="spam")
    client = Client()
    client.force_login(boss)
    url = reverse("admin:messaging_report_changelist")
    page = client.get(url).content.decode()
    assert "spam spam" in page and "reported" in page
    assert client.get(reverse("admin:messaging_report_change", args=[report.pk])).status_code == 200

    r = client.post(url, {"action": "delete_message", "_selected_action": [report.pk]}, follow=True)
    assert "Resolved 1 report." in r.content.decode()
    report.refresh_from_db()
    assert (report.status, report.action, report.resolved_by) == ("resolved", "delete_message", boss)
    assert RoomEvent.objects.filter(room=room, kind=RoomEvent.Kind.DELETED, message=message).count() == 1
