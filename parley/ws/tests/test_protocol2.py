"""Protocol 2 over the socket: edits, deletions and reactions live and replayed; replies on `send`."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async

from parley.messaging import services as messaging
from parley.messaging.services import message_send
from parley.rooms import services as rooms
from parley.testing.api import make_user, token_for
from parley.testing.ws import WsClient

pytestmark = [pytest.mark.django_db(transaction=True)]

db = database_sync_to_async
SECRET = "my password is hunter2"


@db
def setup_room() -> dict[str, Any]:
    owner, alice, bob = make_user("p2-own"), make_user("p2-alice"), make_user("p2-bob")
    room = rooms.room_create(owner=owner, name="p2")
    for user in (alice, bob):
        rooms.room_join(room_id=room.pk, user=user)
    return {
        "room": room.pk,
        "owner": owner,
        "alice": alice,
        "bob": bob,
        "tokens": [token_for(alice), token_for(bob)],
    }


async def connected(token: str) -> WsClient:
    client = WsClient(token)
    ok, _ = await client.connect()
    assert ok
    return client


async def test_another_socket_sees_edits_deletions_and_reactions_live() -> None:
    s = await setup_room()
    a, b = [await connected(t) for t in s["tokens"]]
    await a.send({"type": "send", "room": s["room"], "body": SECRET, "client_id": "a-1"})
    mid = (await a.recv_type("ack"))["id"]
    for client in (a, b):
        await client.recv_type("message")

    await db(messaging.message_edit)(actor=s["alice"], message_id=mid, body="never mind")
    updated = await b.recv_type("message.updated")
    assert (updated["seq"], updated["message"]["id"], updated["message"]["body"]) == (2, mid, "never mind")
    assert updated["message"]["seq"] == 1 and updated["message"]["edited_at"] is not None

    await db(messaging.reaction_toggle)(actor=s["bob"], message_id=mid, emoji="👀", op="add")
    await db(messaging.reaction_toggle)(actor=s["bob"], message_id=mid, emoji="👀", op="add")  # no-op
    await db(messaging.reaction_toggle)(actor=s["bob"], message_id=mid, emoji="👀", op="remove")
    added, removed = await a.recv_type("reaction"), await a.recv_type("reaction")
    assert [(f["seq"], f["op"], f["emoji"], f["message_id"]) for f in (added, removed)] == [
        (3, "add", "👀", mid),
        (4, "remove", "👀", mid),
    ]
    assert added["user"]["id"] == s["bob"].pk

    await db(messaging.message_delete)(actor=s["alice"], message_id=mid)
    deleted = await b.recv_type("message.deleted")
    assert deleted == {"type": "message.deleted", "room": s["room"], "seq": 5, "id": mid}
    for client in (a, b):
        await client.nothing(ignore=("presence", "ping", "message.updated", "reaction", "message.deleted"))
        await client.close()


async def test_a_socket_that_was_away_gets_everything_replayed_in_order_without_deleted_text() -> None:
    s = await setup_room()
    b = await connected(s["tokens"][1])
    await b.close()
    room = s["room"]
    first = await db(message_send)(sender=s["alice"], room_id=room, body=SECRET + " @p2-bob", client_id="x1")
    mid = first.message.pk
    await db(messaging.message_edit)(actor=s["alice"], message_id=mid, body=SECRET + " (really)")
    await db(messaging.reaction_toggle)(actor=s["owner"], message_id=mid, emoji="😮", op="add")
    reply = await db(message_send)(sender=s["owner"], room_id=room, body="wow", client_id="x2", reply_to=mid)
    assert reply.message.reply_excerpt.startswith(SECRET)
    await db(messaging.message_delete)(actor=s["owner"], message_id=mid)  # the owner may
    await db(message_send)(sender=s["owner"], room_id=room, body="moving on", client_id="x3")

    back = await connected(s["tokens"][1])
    assert back.hello is not None and back.hello["rooms"][0]["mention_count"] == 0  # deleted mention
    await back.send({"type": "resume", "rooms": {str(room): 0}})
    kinds = ["message", "message.updated", "reaction", "message", "message.deleted", "message"]
    replay = [await back.recv_type(kind) for kind in kinds]
    assert [f["seq"] for f in replay] == [1, 2, 3, 4, 5, 6]
    assert replay[0]["message"]["deleted"] is True and replay[0]["message"]["body"] == ""
    assert replay[1]["message"]["deleted"] is True and replay[1]["message"]["body"] == ""
    assert replay[3]["message"]["reply_to"] == {
        "id": mid,
        "seq": replay[0]["message"]["seq"],
        "sender": replay[0]["message"]["sender"],
        "excerpt": "",
        "deleted": True,
    }
    assert "hunter2" not in str(back.seen)
    await back.nothing()
    await back.close()


async def test_send_frames_carry_replies_and_refuse_foreign_targets_and_attachments() -> None:
    s = await setup_room()
    a = await connected(s["tokens"][0])
    other = await db(rooms.room_create)(owner=s["owner"], name="p2-elsewhere")
    there = await db(message_send)(sender=s["owner"], room_id=other.pk, body="over there", client_id="t1")
    here = await db(message_send)(sender=s["bob"], room_id=s["room"], body="here", client_id="t2")
    await a.recv_type("message")

    await a.send(
        {
            "type": "send",
            "room": s["room"],
            "body": "@P2-BOB yes",
            "client_id": "r1",
            "reply_to": here.message.pk,
        }
    )
    ack = await a.recv_type("ack")
    frame = await a.recv_type("message")
    assert frame["message"]["id"] == ack["id"]
    assert frame["message"]["reply_to"]["excerpt"] == "here"
    assert frame["message"]["mentions"] == [s["bob"].pk] and frame["message"]["reactions"] == []

    for cid, extra in (
        ("r2", {"reply_to": there.message.pk}),
        ("r3", {"reply_to": 10**9}),
        ("r4", {"attachments": [5]}),
    ):
        await a.send({"type": "send", "room": s["room"], "body": "nope", "client_id": cid, **extra})
        err = await a.recv_type("error")
        assert (err["code"], err["ref"]) == ("invalid", cid), err
    await a.send(
        {"type": "send", "room": s["room"], "body": "empty is fine", "client_id": "r5", "attachments": []}
    )
    assert (await a.recv_type("ack"))["client_id"] == "r5"
    await a.close()


async def test_edit_delete_and_react_frames_change_the_message_answer_done_and_refuse_as_rest_does() -> None:
    s = await setup_room()
    a, b = [await connected(t) for t in s["tokens"]]
    room = s["room"]
    await a.send({"type": "send", "room": room, "body": "typo", "client_id": "c-1"})
    mid = (await a.recv_type("ack"))["id"]
    for client in (a, b):
        await client.recv_type("message")

    await a.send({"type": "edit", "message": mid, "body": "fixed @p2-bob", "client_id": "e-1"})
    assert await a.recv_type("done") == {"type": "done", "client_id": "e-1", "message_id": mid}
    for client in (a, b):
        updated = await client.recv_type("message.updated")
        assert (updated["seq"], updated["message"]["body"]) == (2, "fixed @p2-bob")
        assert updated["message"]["mentions"] == [s["bob"].pk]

    # The same text again changes nothing: `done`, no seq taken, no event.
    await a.send({"type": "edit", "message": mid, "body": "fixed @p2-bob", "client_id": "e-2"})
    assert (await a.recv_type("done"))["client_id"] == "e-2"
    await b.nothing(ignore=("presence", "ping", "unread"))

    for op, seq in (("add", 3), ("add", None), ("remove", 4)):
        await b.send({"type": "react", "message": mid, "emoji": "👍", "op": op, "client_id": f"r-{op}"})
        assert (await b.recv_type("done"))["message_id"] == mid
        if seq is not None:
            frame = await a.recv_type("reaction")
            assert (frame["seq"], frame["op"], frame["user"]["id"]) == (seq, op, s["bob"].pk)
    await a.nothing(ignore=("presence", "ping", "unread", "message.updated"))

    # Refusals are REST's, as `error` frames naming the frame's client_id.
    refusals = [
        (b, {"type": "edit", "message": mid, "body": "mine now"}, "not_author"),
        (b, {"type": "delete", "message": mid}, "forbidden"),
        (a, {"type": "edit", "message": mid, "body": "   "}, "invalid"),
        (a, {"type": "react", "message": mid, "emoji": "abc", "op": "add"}, "invalid"),
        (a, {"type": "react", "message": 10**9, "emoji": "👍", "op": "add"}, "not_found"),
    ]
    for n, (client, frame, code) in enumerate(refusals):
        await client.send({**frame, "client_id": f"x-{n}"})
        err = await client.recv_type("error")
        assert (err["code"], err["ref"]) == (code, f"x-{n}"), err
    # A malformed frame is refused by the parser, like any other.
    await a.send({"type": "react", "message": mid, "emoji": "👍", "op": "toggle", "client_id": "bad"})
    assert (await a.recv_type("error"))["code"] == "invalid"

    await a.send({"type": "delete", "message": mid, "client_id": "d-1"})
    assert (await a.recv_type("done"))["client_id"] == "d-1"
    deleted = await b.recv_type("message.deleted")
    assert (deleted["seq"], deleted["id"]) == (5, mid)
    await a.send({"type": "react", "message": mid, "emoji": "👍", "op": "add", "client_id": "late"})
    assert (await a.recv_type("error"))["code"] == "message_deleted"
    for client in (a, b):
        await client.close()
