"""Retention per room (issue 32): the owner sets `retention_days` within the server's bounds,
members read the policy, and the purge job honours each room's setting and the default."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from parley.messaging.models import Message, RoomEvent
from parley.messaging.services import message_send
from parley.messaging.tasks import messages_purge
from parley.rooms import services as rooms
from parley.testing.api import client_for, error_of, make_user

pytestmark = pytest.mark.django_db


def _aged_room(name: str, ages_days: list[float]) -> Any:
    """A room whose messages are `ages_days` old (one message each, in that order)."""
    owner = make_user(f"{name}-own")
    room = rooms.room_create(owner=owner, name=name)
    now = timezone.now()
    for i, age in enumerate(ages_days):
        message_send(sender=owner, room_id=room.pk, body=f"{name}{i}", client_id=f"{name}{i}")
        Message.objects.filter(room=room, seq=i + 1).update(created_at=now - timedelta(days=age))
        RoomEvent.objects.filter(room=room, seq=i + 1).update(created_at=now - timedelta(days=age))
    return room


def test_the_owner_sets_retention_members_see_it_and_bounds_are_checked(settings: Any) -> None:
    settings.PURGE_OLDER_THAN = 30 * 86400
    settings.ROOM_RETENTION_MIN_DAYS, settings.ROOM_RETENTION_MAX_DAYS = 2, 400
    owner, member = make_user("ret-owner"), make_user("ret-member")
    room = rooms.room_create(owner=owner, name="kept")
    rooms.room_join(room_id=room.pk, user=member)
    api = client_for(owner)

    got = api.get(f"/api/v1/rooms/{room.pk}").json()
    assert got["retention_days"] is None
    assert got["retention_policy"] == {"default_days": 30.0, "min_days": 2, "max_days": 400}

    response = api.patch(f"/api/v1/rooms/{room.pk}", {"retention_days": 7}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["retention_days"] == 7
    seen = client_for(member).get(f"/api/v1/rooms/{room.pk}").json()
    assert (seen["retention_days"], seen["retention_policy"]["default_days"]) == (7, 30.0)

    for bad in (1, 401, 0):
        response = api.patch(f"/api/v1/rooms/{room.pk}", {"retention_days": bad}, format="json")
        assert response.status_code == 400
        assert error_of(response)["code"] == "retention_out_of_bounds"
    response = api.patch(f"/api/v1/rooms/{room.pk}", {"retention_days": "soon"}, format="json")
    assert response.status_code == 400
    room.refresh_from_db()
    assert room.retention_days == 7  # a refused value changed nothing

    response = client_for(member).patch(f"/api/v1/rooms/{room.pk}", {"retention_days": 3}, format="json")
    assert response.status_code == 403
    assert error_of(response)["code"] == "not_owner"

    response = api.patch(f"/api/v1/rooms/{room.pk}", {"retention_days": None}, format="json")
    assert response.status_code == 200
    assert response.json()["retention_days"] is None
    assert response.json()["name"] == "kept"  # a retention-only PATCH touches nothing else


def test_the_purge_job_honours_each_rooms_setting_and_the_default(settings: Any) -> None:
    settings.PURGE_OLDER_THAN = 10 * 86400
    short = _aged_room("short", [5, 3, 1])
    long = _aged_room("long", [20, 15, 1])
    default = _aged_room("default", [20, 15, 1])
    short.retention_days, long.retention_days = 2, 18
    short.save(), long.save()

    out = io.StringIO()
    call_command("purge", "--dry-run", stdout=out, stderr=io.StringIO())
    report = out.getvalue()
    assert "Would delete 5 message(s)" in report
    assert "short: 2 (room keeps 2 day(s))" in report
    assert "long: 1 (room keeps 18 day(s))" in report
    assert "default: 2 (server default, 10 day(s))" in report
    assert Message.objects.count() == 9  # a dry run deletes nothing

    assert messages_purge.delay().get() == 5
    left = {
        r.name: sorted(Message.objects.filter(room=r).values_list("seq", flat=True))
        for r in (short, long, default)
    }
    assert left == {"short": [3], "long": [2, 3], "default": [3]}
    assert RoomEvent.objects.filter(room=short).count() == 1


def test_a_room_keeps_its_own_retention_when_the_server_keeps_everything(settings: Any) -> None:
    settings.PURGE_OLDER_THAN = 0
    room = _aged_room("own", [9, 1])
    other = _aged_room("forever", [900, 1])
    room.retention_days = 5
    room.save()
    assert messages_purge.delay().get() == 1
    assert Message.objects.filter(room=room).count() == 1
    assert Message.objects.filter(room=other).count() == 2
    out = io.StringIO()
    call_command("purge", "--dry-run", stdout=out, stderr=io.StringIO())
    assert "Would delete 0 message(s)" in out.getvalue()
    assert "(no server default)" in out.getvalue()
