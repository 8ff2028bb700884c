"""Scheduled messages over REST: POST rooms/{id}/scheduled, GET scheduled, PATCH and DELETE
scheduled/{id} (validation, permissions, states), and the job that posts them."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from parley.actions import scheduling as job
from parley.messaging.models import Message, ScheduledMessage
from parley.rooms import moderation
from parley.rooms import services as rooms
from parley.rooms.models import Membership, Room
from parley.testing.api import client_for, error_of, make_guest, make_user

pytestmark = [pytest.mark.django_db(transaction=True)]


def iso(delta: timedelta) -> str:
    return (timezone.now() + delta).isoformat()


@pytest.fixture
def room() -> dict[str, Any]:
    owner, ada = make_user("sch-own"), make_user("sch-ada")
    room = rooms.room_create(owner=owner, name="later", visibility="public")
    rooms.member_add(room_id=room.pk, actor=owner, username="sch-ada")
    return {"room": room, "owner": owner, "ada": ada}


def schedule(user: Any, room_id: int, **body: Any) -> Any:
    body.setdefault("body", "good morning @sch-own")
    body.setdefault("send_at", iso(timedelta(hours=1)))
    return client_for(user).post(f"/api/v1/rooms/{room_id}/scheduled", body, format="json")


def test_post_stores_a_pending_message_and_get_lists_mine_pending_first(room: dict[str, Any]) -> None:
    ada = room["ada"]
    later = schedule(ada, room["room"].pk, send_at=iso(timedelta(hours=3)), body="third")
    assert later.status_code == 201, later.content
    sooner = schedule(ada, room["room"].pk, send_at=iso(timedelta(minutes=5)), body="first")
    gone = schedule(ada, room["room"].pk, body="cancelled")
    client_for(ada).delete(f"/api/v1/scheduled/{gone.json()['id']}")
    schedule(room["owner"], room["room"].pk, body="not ada's")
    data = later.json()
    assert data["state"] == "pending" and data["kind"] == "message" and data["message_id"] is None
    assert data["room"] == {"id": room["room"].pk, "name": "later", "kind": "room"}
    assert data["thread"] is None and data["reason"] == "" and data["sent_at"] is None
    listed = client_for(ada).get("/api/v1/scheduled")
    assert listed.status_code == 200
    assert [r["body"] for r in listed.json()["results"]] == ["first", "third", "cancelled"]
    assert [r["state"] for r in listed.json()["results"]] == ["pending", "pending", "cancelled"]
    assert sooner.json()["id"] == listed.json()["results"][0]["id"]
    assert Message.objects.filter(room=room["room"]).count() == 0  # nothing posted yet


def test_list_is_one_query_whatever_its_length(room: dict[str, Any]) -> None:
    for i in range(5):
        schedule(room["ada"], room["room"].pk, body=f"m{i}")
    client = client_for(room["ada"])
    client.get("/api/v1/scheduled")  # the token's first use
    with CaptureQueriesContext(connection) as queries:
        assert len(client.get("/api/v1/scheduled").json()["results"]) == 5
    listing = [q for q in queries.captured_queries if "scheduledmessage" in q["sql"]]
    assert len(listing) == 1


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"send_at": "-1h"}, "send_at_past", "send_at"),
        ({"send_at": "+400d"}, "send_at_too_far", "send_at"),
        ({"body": "   "}, "invalid", "body"),
        ({"body": "x" * 4001}, "too_large", "body"),
        ({"body": "/roll 2d6"}, "scheduled_command", "body"),
        ({"send_at": "tomorrow"}, "invalid", "send_at"),
        ({"thread": 10**9}, "no_thread", "thread"),
    ],
)
def test_post_refuses_what_a_send_would_and_times_out_of_bounds(
    room: dict[str, Any], body: dict[str, Any], code: str, field: str
) -> None:
    when = body.get("send_at", "+1h")
    if when.startswith(("+", "-")):
        n, unit = int(when[1:-1]), when[-1]
        delta = timedelta(hours=n) if unit == "h" else timedelta(days=n)
        body["send_at"] = iso(delta if when[0] == "+" else -delta)
    response = schedule(room["ada"], room["room"].pk, **body)
    assert response.status_code in (400, 413), response.content
    error = error_of(response)
    assert error["code"] == code and field in error["fields"]
    assert not ScheduledMessage.objects.exists()


def test_a_naive_time_is_refused(room: dict[str, Any]) -> None:
    response = schedule(room["ada"], room["room"].pk, send_at="2030-01-01T09:00:00")
    assert response.status_code == 400 and "send_at" in error_of(response)["fields"]


def test_only_members_who_may_post_can_schedule(room: dict[str, Any]) -> None:
    outsider = make_user("sch-out")
    assert error_of(schedule(outsider, room["room"].pk))["code"] == "not_member"
    private = rooms.room_create(owner=room["owner"], name="secret", visibility="private")
    assert schedule(outsider, private.pk).status_code == 404
    moderation.member_mute(room_id=room["room"].pk, actor=room["owner"], user_id=room["ada"].pk)
    assert error_of(schedule(room["ada"], room["room"].pk))["code"] == "muted"
    banned = make_user("sch-banned")
    rooms.room_join(room_id=room["room"].pk, user=banned)
    moderation.member_ban(room_id=room["room"].pk, actor=room["owner"], user_id=banned.pk)
    assert error_of(schedule(banned, room["room"].pk))["code"] == "banned"
    rooms.room_close(room_id=room["room"].pk, actor=room["owner"])
    assert error_of(schedule(room["owner"], room["room"].pk))["code"] == "room_closed"
    assert client_for(None).get("/api/v1/scheduled").status_code in (401, 403)
    assert not ScheduledMessage.objects.exists()


def test_guests_may_schedule_in_their_rooms(room: dict[str, Any]) -> None:
    guest = make_guest("Visitor")
    rooms.room_join(room_id=room["room"].pk, user=guest)
    assert schedule(guest, room["room"].pk).status_code == 201


@override_settings(SCHEDULED_MAX_PER_USER=2)
def test_a_person_has_a_bounded_number_pending(room: dict[str, Any]) -> None:
    assert schedule(room["ada"], room["room"].pk).status_code == 201
    second = schedule(room["ada"], room["room"].pk)
    assert error_of(schedule(room["ada"], room["room"].pk))["code"] == "too_many_scheduled"
    client_for(room["ada"]).delete(f"/api/v1/scheduled/{second.json()['id']}")
    assert schedule(room["ada"], room["room"].pk).status_code == 201  # a cancelled one frees its place


def test_patch_changes_body_and_time_while_pending_only(room: dict[str, Any]) -> None:
    ada = client_for(room["ada"])
    made = schedule(room["ada"], room["room"].pk).json()
    when = timezone.now() + timedelta(days=2)
    changed = ada.patch(
        f"/api/v1/scheduled/{made['id']}", {"body": "edited", "send_at": when.isoformat()}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["body"] == "edited"
    stored = ScheduledMessage.objects.get(pk=made["id"])
    assert stored.body == "edited" and abs((stored.send_at - when).total_seconds()) < 1
    past = ada.patch(
        f"/api/v1/scheduled/{made['id']}", {"send_at": iso(-timedelta(minutes=1))}, format="json"
    )
    assert error_of(past)["code"] == "send_at_past"
    command = ada.patch(f"/api/v1/scheduled/{made['id']}", {"body": "/leave"}, format="json")
    assert error_of(command)["code"] == "scheduled_command"
    # someone else's: as if it did not exist
    other = client_for(room["owner"]).patch(
        f"/api/v1/scheduled/{made['id']}", {"body": "mine"}, format="json"
    )
    assert other.status_code == 404
    assert client_for(room["owner"]).delete(f"/api/v1/scheduled/{made['id']}").status_code == 404
    cancelled = ada.delete(f"/api/v1/scheduled/{made['id']}")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    again = ada.patch(f"/api/v1/scheduled/{made['id']}", {"body": "too late"}, format="json")
    assert again.status_code == 409 and error_of(again)["code"] == "not_pending"
    assert error_of(ada.delete(f"/api/v1/scheduled/{made['id']}"))["code"] == "not_pending"
    assert ScheduledMessage.objects.get(pk=made["id"]).body == "edited"


def _due(item_id: int) -> None:
    ScheduledMessage.objects.filter(pk=item_id).update(send_at=timezone.now() - timedelta(seconds=1))


def test_the_job_posts_a_due_message_once_as_its_author(room: dict[str, Any]) -> None:
    made = schedule(room["ada"], room["room"].pk).json()
    assert job.scheduled_send_due() == 0  # not due yet
    _due(made["id"])
    assert job.scheduled_send_due() == 1
    assert job.scheduled_send_due() == 0
    (message,) = Message.objects.filter(room=room["room"])
    assert message.sender_id == room["ada"].pk and message.body == "good morning @sch-own"
    assert message.mentions == [room["owner"].pk] and message.seq == 1
    item = client_for(room["ada"]).get("/api/v1/scheduled").json()["results"][0]
    assert item["state"] == "sent" and item["message_id"] == message.pk and item["sent_at"]
    assert message.scheduled_for == ScheduledMessage.objects.get(pk=made["id"]).send_at
    history = client_for(room["owner"]).get(f"/api/v1/rooms/{room['room'].pk}/messages").json()
    assert history["messages"][0]["scheduled_for"] is not None
    assert Room.objects.get(pk=room["room"].pk).last_seq == 1


def test_a_late_job_posts_at_once_with_its_intended_time(room: dict[str, Any]) -> None:
    made = schedule(room["ada"], room["room"].pk).json()
    intended = timezone.now() - timedelta(hours=2)  # the server was down for two hours
    ScheduledMessage.objects.filter(pk=made["id"]).update(send_at=intended)
    assert job.scheduled_send_due() == 1
    message = Message.objects.get(room=room["room"])
    assert message.scheduled_for == intended
    assert (message.created_at - intended) > timedelta(hours=1)
    data = client_for(room["ada"]).get(f"/api/v1/rooms/{room['room'].pk}/messages").json()["messages"][0]
    assert data["scheduled_for"].startswith(intended.strftime("%Y-%m-%dT%H:%M"))


def test_a_message_whose_author_may_no_longer_post_fails_and_the_author_is_told(room: dict[str, Any]) -> None:
    made = schedule(room["ada"], room["room"].pk, body="see you").json()
    rooms.room_leave(room_id=room["room"].pk, user=room["ada"])
    _due(made["id"])
    assert job.scheduled_send_due() == 1
    item = ScheduledMessage.objects.get(pk=made["id"])
    assert item.state == "failed" and item.reason == "not_member" and item.message_id is None
    assert not Message.objects.filter(room=room["room"]).exists()
    (told,) = Message.objects.filter(room__kind="direct")
    assert told.sender.username == "reminder" and told.sender.is_bot
    assert "see you" in told.body and "later" in told.body
    assert Membership.objects.filter(room=told.room, user=room["ada"]).exists()


def test_a_cancelled_message_is_never_sent(room: dict[str, Any]) -> None:
    made = schedule(room["ada"], room["room"].pk).json()
    client_for(room["ada"]).delete(f"/api/v1/scheduled/{made['id']}")
    _due(made["id"])
    assert job.scheduled_send_due() == 0
    assert not Message.objects.exists()


def test_two_workers_racing_post_each_message_once(room: dict[str, Any]) -> None:
    ids = [schedule(room["ada"], room["room"].pk, body=f"race {i}").json()["id"] for i in range(6)]
    ScheduledMessage.objects.filter(pk__in=ids).update(send_at=timezone.now() - timedelta(seconds=1))
    start = threading.Barrier(2)
    counts: list[int] = []

    def worker() -> None:
        try:
            start.wait()
            counts.append(job.scheduled_send_due())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    bodies = sorted(Message.objects.filter(room=room["room"]).values_list("body", flat=True))
    assert bodies == [f"race {i}" for i in range(6)]
    assert set(ScheduledMessage.objects.values_list("state", flat=True)) == {"sent"}
    assert sum(counts) == 6


def test_a_scheduled_reply_in_a_thread_goes_out_in_that_thread(room: dict[str, Any]) -> None:
    root = client_for(room["owner"]).post(
        f"/api/v1/rooms/{room['room'].pk}/messages", {"body": "plans?"}, format="json"
    )
    made = schedule(room["ada"], room["room"].pk, body="mine at nine", thread=root.json()["id"]).json()
    assert made["thread"] == root.json()["id"]
    _due(made["id"])
    assert job.scheduled_send_due() == 1
    reply = Message.objects.get(body="mine at nine")
    assert reply.thread_id == root.json()["id"] and reply.sender_id == room["ada"].pk
    thread = client_for(room["owner"]).get(f"/api/v1/messages/{root.json()['id']}/thread").json()
    assert [m["body"] for m in thread["replies"]] == ["mine at nine"]
