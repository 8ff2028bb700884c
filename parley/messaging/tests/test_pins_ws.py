"""Pins and saves over the WebSocket (issue 32): `message.pinned` live, in `resume` and in
gap repair; `saved.updated` to the saver's own sockets only."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async

from parley.messaging import pins
from parley.messaging.services import message_delete, message_send
from parley.rooms import services as rooms
from parley.testing.api import client_for, make_user, token_for
from parley.testing.ws import WsClient

pytestmark = [pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


@db
def setup_room() -> dict[str, Any]:
    owner, alice, bob = make_user("pin-own"), make_user("pin-alice"), make_user("pin-bob")
    room = rooms.room_create(owner=owner, name="pins")
    for user in (alice, bob):
        rooms.room_join(room_id=room.pk, user=user)
    return {"room": room.pk, "owner": owner, "alice": alice, "bob": bob}


async def connected(user: Any) -> WsClient:
    client = WsClient(await db(token_for)(user))
    ok, _ = await client.connect()
    assert ok
    return client


async def test_members_see_pins_live_and_resume_replays_them() -> None:
    s = await setup_room()
    a = await connected(s["alice"])
    sent = await db(message_send)(sender=s["bob"], room_id=s["room"], body="rules", client_id="r1")
    await a.recv_type("message")
    mid = sent.message.pk

    assert await db(pins.pin_set)(actor=s["owner"], message_id=mid, pinned=True) is True
    live = await a.recv_type("message.pinned")
    assert (live["room"], live["seq"], live["message_id"], live["pinned"]) == (s["room"], 2, mid, True)
    assert live["by"]["id"] == s["owner"].pk
    assert await db(pins.pin_set)(actor=s["owner"], message_id=mid, pinned=True) is False  # no second event
    await a.nothing()
    await a.close()

    # Offline: unpinned, pinned again, then deleted (which drops the pin without an event).
    await db(pins.pin_set)(actor=s["owner"], message_id=mid, pinned=False)
    await db(pins.pin_set)(actor=s["owner"], message_id=mid, pinned=True)
    await db(message_delete)(actor=s["owner"], message_id=mid)

    back = await connected(s["alice"])
    await back.send({"type": "resume", "rooms": {str(s["room"]): 1}})
    replay = [await back.recv_type(kind) for kind in ("message.pinned", "message.pinned", "message.pinned")]
    assert [(f["seq"], f["pinned"]) for f in replay] == [(2, True), (3, False), (4, True)]
    gone = await back.recv_type("message.deleted")
    assert (gone["seq"], gone["id"]) == (5, mid)
    await back.nothing()
    await back.close()

    # Gap repair reads the same log over REST.
    r = await db(lambda: client_for(s["alice"]).get(f"/api/v1/rooms/{s['room']}/events", {"after_seq": 1}))()
    assert [e["type"] for e in r.json()["events"]] == ["message.pinned"] * 3 + ["message.deleted"]
    assert await db(lambda: pins.room_pins(room=_room(s["room"]), viewer=s["alice"]))() == []


def _room(room_id: int) -> Any:
    from parley.rooms.models import Room

    return Room.objects.get(pk=room_id)


async def test_a_save_reaches_the_savers_other_sockets_and_no_one_else() -> None:
    s = await setup_room()
    sent = await db(message_send)(sender=s["bob"], room_id=s["room"], body="later", client_id="l1")
    phone, laptop, bob = await connected(s["alice"]), await connected(s["alice"]), await connected(s["bob"])

    assert await db(pins.save_set)(actor=s["alice"], message_id=sent.message.pk, saved=True) is True
    for socket in (phone, laptop):
        frame = await socket.recv_type("saved.updated")
        assert frame == {"type": "saved.updated", "message_id": sent.message.pk, "saved": True}
    assert await db(pins.save_set)(actor=s["alice"], message_id=sent.message.pk, saved=True) is False
    await db(pins.save_set)(actor=s["alice"], message_id=sent.message.pk, saved=False)
    assert (await laptop.recv_type("saved.updated"))["saved"] is False
    await bob.nothing()
    for socket in (phone, laptop, bob):
        await socket.close()
