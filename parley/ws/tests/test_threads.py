"""Threads over the socket (protocol 3): replies on `send`, the root's summary live and replayed,
typing in a thread, refusals, and the `thread.state` frame of one's own follow and read."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async

from parley.messaging import threads
from parley.messaging.models import RoomEvent
from parley.messaging.services import message_send
from parley.rooms import services as rooms
from parley.testing.api import client_for, make_user, token_for
from parley.testing.ws import WsClient

pytestmark = [pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


@db
def setup_room() -> dict[str, Any]:
    owner, alice, bob = make_user("t3-own"), make_user("t3-alice"), make_user("t3-bob")
    room = rooms.room_create(owner=owner, name="t3")
    other = rooms.room_create(owner=owner, name="t3-other")
    for user in (alice, bob):
        rooms.room_join(room_id=room.pk, user=user)
        rooms.room_join(room_id=other.pk, user=user)
    root = message_send(sender=owner, room_id=room.pk, body="a question", client_id="root").message
    elsewhere = message_send(sender=owner, room_id=other.pk, body="elsewhere", client_id="else").message
    return {"room": room.pk, "root": root, "elsewhere": elsewhere, "alice": alice, "bob": bob,
            "tokens": [token_for(alice), token_for(bob)]}  # fmt: skip


async def connected(token: str) -> WsClient:
    client = WsClient(token)
    ok, _ = await client.connect()
    assert ok
    return client


async def test_a_reply_over_the_socket_reaches_everyone_with_the_roots_summary_and_replays() -> None:
    s = await setup_room()
    a, b = [await connected(t) for t in s["tokens"]]
    root = s["root"]
    await a.send(
        {"type": "send", "room": s["room"], "body": "an answer", "client_id": "a-1", "thread": root.pk}
    )
    ack = await a.recv_type("ack")
    reply = await b.recv_type("message")
    assert (reply["message"]["id"], reply["message"]["thread"], reply["message"]["also_to_room"]) == (
        ack["id"],
        root.pk,
        False,
    )
    updated = await b.recv_type("message.updated")
    assert updated["seq"] == ack["seq"] + 1 and updated["message"]["id"] == root.pk
    assert updated["message"]["thread_summary"]["reply_count"] == 1
    assert updated["message"]["thread_summary"]["following"] is None
    await b.close()
    again = await connected(s["tokens"][1])
    await again.send({"type": "resume", "rooms": {str(s["room"]): root.seq}})
    replayed = [await again.recv_type("message"), await again.recv_type("message.updated")]
    assert [f["seq"] for f in replayed] == [ack["seq"], ack["seq"] + 1]
    assert replayed[1]["message"]["thread_summary"]["reply_count"] == 1
    for client in (a, again):
        await client.close()


async def test_typing_in_a_thread_says_which() -> None:
    s = await setup_room()
    a, b = [await connected(t) for t in s["tokens"]]
    await a.send({"type": "typing", "room": s["room"], "thread": s["root"].pk})
    assert (await b.recv_type("typing"))["thread"] == s["root"].pk
    await a.send({"type": "typing", "room": s["room"]})  # the room's composer is apart from the thread's
    assert (await b.recv_type("typing"))["thread"] is None
    for client in (a, b):
        await client.close()


async def test_bad_threads_are_refused_on_the_socket() -> None:
    s = await setup_room()
    a = await connected(s["tokens"][0])
    frame = {"type": "send", "room": s["room"], "body": "x", "client_id": "a-x", "thread": s["elsewhere"].pk}
    await a.send(frame)
    error = await a.recv_type("error")
    assert (error["code"], error["ref"]) == ("invalid", "a-x")
    await a.send({"type": "send", "room": s["room"], "body": "x", "client_id": "a-y", "also_to_room": True})
    assert (await a.recv_type("error"))["code"] == "invalid"
    await a.nothing(ignore=("presence", "ping"))
    await a.close()


async def test_following_and_reading_a_thread_reach_my_other_sockets() -> None:
    s = await setup_room()
    mine = await connected(s["tokens"][0])
    await db(message_send)(
        sender=s["bob"], room_id=s["room"], body="r1", client_id="b-1", thread=s["root"].pk
    )
    await db(threads.thread_follow)(user=s["alice"], message_id=s["root"].pk, following=True)
    state = await mine.recv_type("thread.state")
    assert (state["root"], state["following"], state["last_read_seq"], state["unread_count"]) == (
        s["root"].pk,
        True,
        0,
        1,
    )
    await db(threads.thread_mark_read)(user=s["alice"], message_id=s["root"].pk, seq=10**6)
    state = await mine.recv_type("thread.state")
    assert (state["following"], state["unread_count"]) == (True, 0) and state["last_read_seq"] > 0
    await mine.close()


async def test_hello_counts_thread_replies_like_the_lobby_does() -> None:
    """`hello`'s unread count leaves out thread replies not also sent to the room (as the
    room list does); its mention count keeps the mentions in them."""
    s = await setup_room()
    root = s["root"]
    for body, extra in (("quiet reply", {}), ("hey @t3-alice", {}), ("loud reply", {"also_to_room": True})):
        await db(message_send)(sender=s["bob"], room_id=s["room"], body=body, thread=root.pk, **extra)
    a = await connected(s["tokens"][0])
    assert a.hello is not None
    (hello_room,) = [r for r in a.hello["rooms"] if r["id"] == s["room"]]
    lobby = await db(lambda: client_for(s["alice"]).get(f"/api/v1/rooms/{s['room']}").json())()
    # alice joined before the owner's root: the root and the loud reply are unread
    assert (hello_room["unread_count"], hello_room["mention_count"]) == (2, 1)
    assert (lobby["unread_count"], lobby["mention_count"]) == (2, 1)
    await a.close()


async def test_a_busy_threads_summary_reaches_everyone_once_per_window(settings: Any) -> None:
    """Replies in quick succession: the first updates the root's summary at once, the rest wait
    for the window's end and arrive as one `message.updated` that counts them all (logged by
    the flush thread of the process that took them, so it replays like any event)."""
    settings.THREAD_SUMMARY_WINDOW = 0.5
    s = await setup_room()
    a, b = [await connected(t) for t in s["tokens"]]
    root = s["root"]
    acks = []
    for k in range(3):
        await a.send(
            {"type": "send", "room": s["room"], "body": f"r{k}", "client_id": f"w-{k}", "thread": root.pk}
        )
        acks.append(await a.recv_type("ack"))
    seen: list[dict[str, Any]] = []
    while len(seen) < 5:
        frame = await b.recv(5)
        if frame["type"] in ("message", "message.updated"):
            seen.append(frame)
    assert [(f["type"], f["seq"]) for f in seen] == [
        ("message", acks[0]["seq"]),
        ("message.updated", acks[0]["seq"] + 1),
        ("message", acks[1]["seq"]),
        ("message", acks[2]["seq"]),
        ("message.updated", acks[2]["seq"] + 1),
    ]
    assert [
        f["message"]["thread_summary"]["reply_count"] for f in seen if f["type"] == "message.updated"
    ] == [1, 3]
    assert seen[-1]["message"]["thread_summary"]["last_reply_seq"] == acks[2]["seq"]
    await asyncio.sleep(1.0)  # and nothing more: the flush logged the waiting event once
    logged = await db(lambda: list(RoomEvent.objects.filter(room_id=s["room"], message_id=root.pk)))()
    assert [e.seq for e in logged if e.kind == RoomEvent.Kind.UPDATED] == [
        acks[0]["seq"] + 1,
        acks[2]["seq"] + 1,
    ]
    for client in (a, b):
        await client.close()
