"""Read receipts (issue 30): `GET rooms/{id}/reads` and the ephemeral `read.updated` frame,
private both ways (off hides yours from others and theirs from you), live only in small
rooms, never in the log, and what a read costs."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parley.accounts.models import User
from parley.messaging import services as messaging
from parley.rooms import services as rooms
from parley.testing.api import client_for, error_of, make_user, token_for
from parley.testing.ws import WsClient

db = database_sync_to_async


def _room(owner: User, name: str, *people: User, visibility: str = "public") -> int:
    room = rooms.room_create(owner=owner, name=name, visibility=visibility)
    for person in people:
        if visibility == "public":
            rooms.room_join(room_id=room.pk, user=person)
        else:
            rooms.member_add(room_id=room.pk, actor=owner, username=person.username)
    return room.pk


def _say(user: User, room: int, n: int) -> int:
    seq = 0
    for i in range(n):
        seq = messaging.message_send(
            sender=user, room_id=room, body=f"m{i}", client_id=f"{user.pk}-{room}-{i}"
        ).message.seq
    return seq


def _reads(viewer: User, room: int, **params: Any) -> Any:
    return client_for(viewer).get(f"/api/v1/rooms/{room}/reads", params)


@pytest.mark.django_db
def test_reads_list_the_others_who_share_and_only_for_a_viewer_who_shares() -> None:
    ann, bob, cat, eve = (make_user(f"rd-{n}") for n in ("ann", "bob", "cat", "eve"))
    room = _room(ann, "rd-room", bob, cat)
    seq = _say(ann, room, 3)
    messaging.room_mark_read(user=bob, room_id=room, seq=seq)
    messaging.room_mark_read(user=cat, room_id=room, seq=seq - 1)
    r = _reads(ann, room)
    assert r.status_code == 200
    assert [(x["user"]["id"], x["last_read_seq"]) for x in r.json()["reads"]] == [
        (bob.pk, seq),
        (cat.pk, seq - 1),
    ]
    assert r.json()["sharing"] is True
    # "Seen by" on one message: who read at least its seq.
    assert [x["user"]["id"] for x in _reads(ann, room, min_seq=seq).json()["reads"]] == [bob.pk]
    assert _reads(ann, room, min_seq=-1).status_code == 400

    # Cat stops sharing: hidden from others, and she sees nobody's.
    assert (
        client_for(cat).patch("/api/v1/me", {"share_read_receipts": False}, format="json").status_code == 200
    )
    assert [x["user"]["id"] for x in _reads(ann, room).json()["reads"]] == [bob.pk]
    mine = _reads(cat, room).json()
    assert mine == {"reads": [], "sharing": False}

    # Not a member: the room's usual refusal (public: 403; private: 404).
    assert error_of(_reads(eve, room))["code"] in ("not_member", "forbidden")
    secret = _room(ann, "rd-secret", bob, visibility="private")
    assert _reads(eve, secret).status_code == 404


@db
def _setup(name: str, extra: int = 0) -> dict[str, Any]:
    ann, bob, cat = (make_user(f"{name}-{n}") for n in ("ann", "bob", "cat"))
    others = [make_user(f"{name}-x{i}") for i in range(extra)]
    room = _room(ann, f"{name}-room", bob, cat, *others)
    seq = _say(ann, room, 2)
    return {"ann": ann, "bob": bob, "cat": cat, "room": room, "seq": seq}


async def _ws(user: User) -> WsClient:
    client = WsClient(await db(token_for)(user))
    ok, _ = await client.connect()
    assert ok
    return client


@pytest.mark.django_db(transaction=True)
async def test_read_updated_reaches_sharing_members_only_and_is_not_replayed() -> None:
    p = await _setup("rdws")
    await db(User.objects.filter(pk=p["cat"].pk).update)(share_read_receipts=False)
    ann_ws, cat_ws = await _ws(p["ann"]), await _ws(p["cat"])
    bob_ws = await _ws(p["bob"])
    try:
        await bob_ws.send({"type": "read", "room": p["room"], "seq": p["seq"]})
        frame = await ann_ws.recv_type("read.updated")
        assert frame == {
            "type": "read.updated",
            "room": p["room"],
            "user_id": p["bob"].pk,
            "last_read_seq": p["seq"],
        }
        await bob_ws.recv_type("unread")
        await cat_ws.nothing(ignore=("presence", "ping", "typing"))  # she does not share: sees none
        # Cat's own reads go to nobody.
        await cat_ws.send({"type": "read", "room": p["room"], "seq": p["seq"]})
        await cat_ws.recv_type("unread")
        await ann_ws.nothing(ignore=("presence", "ping"))
        # A fresh socket resuming from 0 gets the messages, never a read.updated.
        late = await _ws(p["ann"])
        await late.send({"type": "resume", "rooms": {str(p["room"]): 0}})
        assert len(await late.messages(2)) == 2
        await late.nothing(ignore=("presence", "ping"))
        assert all(f["type"] != "read.updated" for f in late.seen)
        await late.close()
    finally:
        for ws in (ann_ws, bob_ws, cat_ws):
            await ws.close()


@pytest.mark.django_db(transaction=True)
async def test_read_updated_coalesces_a_burst_into_the_newest_position(settings: Any) -> None:
    settings.READ_RECEIPT_COALESCE = 0.4
    p = await _setup("rdco")
    more = await db(_say)(p["cat"], p["room"], 3)
    ann_ws, bob_ws = await _ws(p["ann"]), await _ws(p["bob"])
    try:
        for seq in range(1, more + 1):
            await bob_ws.send({"type": "read", "room": p["room"], "seq": seq})
        first = await ann_ws.recv_type("read.updated")
        last = await ann_ws.recv_type("read.updated")
        assert (first["last_read_seq"], last["last_read_seq"]) == (1, more)
        await ann_ws.nothing(timeout=0.6, ignore=("presence", "ping"))
    finally:
        await ann_ws.close()
        await bob_ws.close()


@pytest.mark.django_db(transaction=True)
async def test_rooms_over_the_live_bound_send_no_read_updated(settings: Any) -> None:
    settings.READ_RECEIPTS_LIVE_MAX = 3
    p = await _setup("rdbig", extra=1)  # four people
    ann_ws, bob_ws = await _ws(p["ann"]), await _ws(p["bob"])
    try:
        await bob_ws.send({"type": "read", "room": p["room"], "seq": p["seq"]})
        await bob_ws.recv_type("unread")
        await ann_ws.nothing(timeout=0.5, ignore=("presence", "ping"))
        r = await db(_reads)(p["ann"], p["room"])  # on demand still
        assert [x["user"]["id"] for x in r.json()["reads"]] == [p["bob"].pk]
    finally:
        await ann_ws.close()
        await bob_ws.close()


@pytest.mark.django_db
@pytest.mark.parametrize(("shares", "queries"), [(False, 9), (True, 10)])
def test_a_read_costs_one_query_more_only_when_the_reader_shares(shares: bool, queries: int) -> None:
    """Measured: POST rooms/{id}/read was 9 statements before receipts (authentication, the
    room, the membership, the update, the re-read, two counts...); sharing adds the one
    query of who may see it, whatever the room's size (bounded by READ_RECEIPTS_LIVE_MAX)."""
    ann, bob = make_user("cost-ann"), make_user("cost-bob")
    room = _room(ann, "cost-room", bob)
    seq = _say(ann, room, 2)
    User.objects.filter(pk=bob.pk).update(share_read_receipts=shares)
    client = client_for(bob)
    with CaptureQueriesContext(connection) as ctx:
        r = client.post(f"/api/v1/rooms/{room}/read", {"seq": seq}, format="json")
    assert r.status_code == 204
    assert len(ctx.captured_queries) == queries, [q["sql"] for q in ctx.captured_queries]
