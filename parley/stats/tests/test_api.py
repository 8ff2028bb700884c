"""GET /api/v1/stats: staff only, read from the aggregated tables, never from the messages."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from parley.messaging.models import Message
from parley.messaging.services import message_send
from parley.rooms import services as rooms
from parley.stats.services import stats_aggregate
from parley.testing.api import client_for, error_of, make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/stats"


def staff(username: str = "admin"):  # type: ignore[no-untyped-def]
    user = make_user(username)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def test_anonymous_gets_401_and_members_403() -> None:
    r = client_for().get(URL)
    assert r.status_code == 401 and error_of(r)["code"] == "not_authenticated"
    r = client_for(make_user("member")).get(URL)
    assert r.status_code == 403
    assert error_of(r) == {"code": "forbidden", "message": "Statistics are for staff only.", "fields": {}}


def test_me_says_whether_i_am_staff() -> None:
    assert client_for(make_user("member")).get("/api/v1/me").json()["user"]["is_staff"] is False
    assert client_for(staff()).get("/api/v1/me").json()["user"]["is_staff"] is True


def test_staff_get_days_rooms_hours_and_live_connections() -> None:
    admin, bob = staff(), make_user("bob")
    busy = rooms.room_create(owner=admin, name="busy")
    quiet = rooms.room_create(owner=bob, name="quiet")
    rooms.room_join(room_id=busy.pk, user=bob)
    today = timezone.now().astimezone(UTC).replace(hour=13, minute=5)
    old = today - timedelta(days=40)  # outside the 30 days
    sends = [
        (admin, busy, today),
        (bob, busy, today),
        (bob, busy, today - timedelta(days=1)),
        (bob, quiet, today),
        (admin, busy, old),
    ]
    for i, (user, room, at) in enumerate(sends):
        m = message_send(sender=user, room_id=room.pk, body="x", client_id=f"c{i}").message
        Message.objects.filter(pk=m.pk).update(created_at=at)
    stats_aggregate(now=today + timedelta(hours=1), settle=timedelta(0))  # later today than the sends

    client = client_for(admin)
    with CaptureQueriesContext(connection) as queries:
        r = client.get(URL)

    assert r.status_code == 200
    assert not [q for q in queries.captured_queries if "messaging_message" in q["sql"]]
    body = r.json()
    assert len(body["days"]) == 30 and body["until"] == today.date().isoformat()
    assert body["days"][-1] == {"day": today.date().isoformat(), "messages": 3, "active_users": 2}
    assert body["days"][-2]["messages"] == 1
    assert sum(d["messages"] for d in body["days"]) == body["messages"] == 4
    assert body["active_users"] == 2
    assert [(x["name"], x["messages"], x["active_users"]) for x in body["rooms"]] == [
        ("busy", 3, 2),
        ("quiet", 1, 1),
    ]
    assert len(body["hours"]) == 24 and body["hours"][13] == {"hour": 13, "messages": 4}
    assert body["live_connections"] == 0
    assert body["aggregated_at"] is not None


def test_before_any_run_the_answer_is_empty_not_computed() -> None:
    admin = staff()
    room = rooms.room_create(owner=admin, name="r")
    message_send(sender=admin, room_id=room.pk, body="x", client_id="c")
    body = client_for(admin).get(URL).json()
    assert body["messages"] == 0 and body["aggregated_at"] is None
    assert body["rooms"] == [] and all(h["messages"] == 0 for h in body["hours"])


def test_live_connections_reads_the_open_sockets_gauge() -> None:
    from parley.realtime.metrics import OPEN_SOCKETS

    client = client_for(staff())
    before = client.get(URL).json()["live_connections"]
    OPEN_SOCKETS.inc(2)
    try:
        assert client.get(URL).json()["live_connections"] == before + 2
    finally:
        OPEN_SOCKETS.dec(2)


def test_direct_messages_are_one_aggregate_and_never_named() -> None:
    """The staff page does not show who talks to whom: no DM among the rooms, no person's
    name anywhere in the answer; DMs are counted together under `direct`."""
    admin = staff()
    ada, bea, cy = make_user("ada-private"), make_user("bea-private"), make_user("cy-private")
    room = rooms.room_create(owner=admin, name="lounge")
    today = timezone.now().astimezone(UTC).replace(hour=9, minute=0)
    one = client_for(ada).post("/api/v1/dms", {"user_ids": [bea.pk]}, format="json").json()["id"]
    two = client_for(cy).post("/api/v1/dms", {"user_ids": [ada.pk, bea.pk]}, format="json").json()["id"]
    sends = [(ada, one), (bea, one), (cy, two), (admin, room.pk)]
    for i, (user, room_id) in enumerate(sends):
        m = message_send(sender=user, room_id=room_id, body="x", client_id=f"d{i}").message
        Message.objects.filter(pk=m.pk).update(created_at=today)
    stats_aggregate(now=today + timedelta(hours=1), settle=timedelta(0))

    r = client_for(admin).get(URL)
    assert r.status_code == 200
    body = r.json()
    assert [x["name"] for x in body["rooms"]] == ["lounge"]
    assert body["direct"] == {"messages": 3, "conversations": 2, "active_users": 3}
    assert body["messages"] == 4
    assert "private" not in r.content.decode()
