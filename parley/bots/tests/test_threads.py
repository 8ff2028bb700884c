"""Bots and webhooks in threads (protocol 3): a bot answers in the thread it was called in,
`/me` stays in its thread, and an incoming webhook may post to a thread."""

from __future__ import annotations

import pytest

from parley.messaging.models import Message
from parley.messaging.services import message_send
from parley.rooms import services as rooms
from parley.testing.api import client_for, error_of, make_user
from parley.testing.waits import wait_until

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_a_bot_answers_in_the_thread_it_was_called_in() -> None:
    owner, alice = make_user("tb-own"), make_user("tb-alice")
    room = rooms.room_create(owner=owner, name="bots-in-threads")
    rooms.room_join(room_id=room.pk, user=alice)
    root = message_send(sender=owner, room_id=room.pk, body="who goes first?").message
    api = client_for(alice)
    asked = api.post(
        f"/api/v1/rooms/{room.pk}/messages", {"body": "/roll d6", "thread": root.pk}, format="json"
    )
    assert asked.status_code == 201 and asked.json()["thread"] == root.pk
    answer = wait_until(
        lambda: Message.objects.filter(room=room, sender__is_bot=True).first(), timeout=10, what="the answer"
    )
    assert (answer.thread_id, answer.reply_to_id, answer.also_to_room) == (root.pk, asked.json()["id"], False)
    me = api.post(
        f"/api/v1/rooms/{room.pk}/messages", {"body": "/me waves", "thread": root.pk}, format="json"
    )
    assert me.status_code == 201 and me.json()["thread"] == root.pk
    plain = api.post(f"/api/v1/rooms/{room.pk}/messages", {"body": "/roll d4"}, format="json")
    assert plain.json()["thread"] is None
    in_room = wait_until(
        lambda: Message.objects.filter(
            room=room, sender__is_bot=True, reply_to_id=plain.json()["id"]
        ).first(),
        timeout=10,
        what="the answer in the room",
    )
    assert in_room.thread_id is None


def test_an_incoming_webhook_posts_to_a_thread_of_its_room_only() -> None:
    owner = make_user("th-own")
    room = rooms.room_create(owner=owner, name="hooks-in-threads")
    other = rooms.room_create(owner=owner, name="hooks-elsewhere")
    root = message_send(sender=owner, room_id=room.pk, body="deploy?").message
    there = message_send(sender=owner, room_id=other.pk, body="not here").message
    hook = client_for(owner).post(f"/api/v1/rooms/{room.pk}/webhooks", {"name": "CI"}, format="json").json()
    anon = client_for()
    posted = anon.post(
        hook["url"], {"body": "deployed", "thread": root.pk, "also_to_room": True}, format="json"
    )
    assert posted.status_code == 201
    assert (posted.json()["thread"], posted.json()["also_to_room"]) == (root.pk, True)
    refused = anon.post(hook["url"], {"body": "x", "thread": there.pk}, format="json")
    assert refused.status_code == 400 and "thread" in error_of(refused)["fields"]
    alone = anon.post(hook["url"], {"body": "x", "also_to_room": True}, format="json")
    assert alone.status_code == 400 and "also_to_room" in error_of(alone)["fields"]
