"""Direct messages and mark-all-read over the socket: frames carry `kind`, a DM's
messages reach its people only, a new DM reaches its people's open sockets at once."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async

from parley.messaging import services as messaging
from parley.rooms import dms
from parley.rooms import services as rooms
from parley.testing.api import make_user, token_for
from parley.testing.ws import WsClient

pytestmark = [pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


@db
def people() -> dict[str, Any]:
    ann, bob, eve = make_user("ws-ann"), make_user("ws-bob"), make_user("ws-eve")
    room = rooms.room_create(owner=ann, name="ws-general")
    rooms.room_join(room_id=room.pk, user=bob)
    rooms.room_join(room_id=room.pk, user=eve)
    return {
        "ann": ann,
        "bob": bob,
        "eve": eve,
        "room": room.pk,
        "tokens": [token_for(u) for u in (ann, bob, eve)],
    }


async def connected(token: str) -> WsClient:
    client = WsClient(token)
    ok, _ = await client.connect()
    assert ok
    return client


async def test_a_new_dm_reaches_its_people_live_and_its_messages_reach_no_one_else() -> None:
    p = await people()
    ann_ws, bob_ws, eve_ws = [await connected(t) for t in p["tokens"]]
    try:
        dm, created = await db(dms.dm_open)(actor=p["ann"], user_ids=[p["bob"].pk])
        assert created
        for ws in (ann_ws, bob_ws):
            frame = await ws.recv_type("room.created")
            assert frame["room"]["id"] == dm.pk and frame["room"]["kind"] == "direct"
            assert {u["id"] for u in frame["room"]["dm_members"]} == {p["ann"].pk, p["bob"].pk}
        await db(messaging.message_send)(
            sender=p["bob"], room_id=dm.pk, body="@ws-ann only you", client_id="d1"
        )
        got = await ann_ws.recv_type("message")
        assert got["room"] == dm.pk and got["message"]["mentions"] == [p["ann"].pk]
        await eve_ws.nothing()  # neither the DM's creation nor its message
    finally:
        for ws in (ann_ws, bob_ws, eve_ws):
            await ws.close()


async def test_hello_says_which_rooms_are_direct() -> None:
    p = await people()
    dm, _ = await db(dms.dm_open)(actor=p["ann"], user_ids=[p["bob"].pk])
    await db(messaging.message_send)(sender=p["ann"], room_id=dm.pk, body="hi", client_id="h1")
    bob_ws, eve_ws = await connected(p["tokens"][1]), await connected(p["tokens"][2])
    try:
        assert bob_ws.hello is not None and eve_ws.hello is not None
        main = await db(rooms.main_room)()
        assert main is not None  # everyone is in it too; the rest is what this test is about
        kinds = {r["id"]: (r["kind"], r["unread_count"]) for r in bob_ws.hello["rooms"] if r["id"] != main.pk}
        assert kinds == {p["room"]: ("room", 0), dm.pk: ("direct", 1)}
        assert [r["id"] for r in eve_ws.hello["rooms"] if r["id"] != main.pk] == [p["room"]]
    finally:
        await bob_ws.close()
        await eve_ws.close()


async def test_mark_all_read_tells_my_other_sockets_room_by_room() -> None:
    p = await people()
    dm, _ = await db(dms.dm_open)(actor=p["bob"], user_ids=[p["ann"].pk])
    for room_id, cid in ((p["room"], "a1"), (dm.pk, "a2")):
        await db(messaging.message_send)(sender=p["bob"], room_id=room_id, body="news", client_id=cid)
    ann_ws, eve_ws = await connected(p["tokens"][0]), await connected(p["tokens"][2])
    try:
        moved = await db(messaging.rooms_mark_all_read)(user=p["ann"])
        assert moved == sorted([p["room"], dm.pk])
        frames = [await ann_ws.recv_type("unread") for _ in moved]
        assert sorted(f["room"] for f in frames) == moved
        assert all(f["count"] == 0 and f["mention_count"] == 0 and f["last_read_seq"] >= 1 for f in frames)
        await eve_ws.nothing(ignore=("presence", "ping", "message"))  # nobody else's markers moved
    finally:
        await ann_ws.close()
        await eve_ws.close()
