"""The compact wire form over the socket (issue 34): a socket opened with `?wire=compact` and
a full one in the same room get the same messages, the compact one in fewer bytes; live,
replayed on `resume`, and through a real uvicorn socket (the raw frame path) alike.

Every frame the test clients receive is checked against the protocol (a compact socket's
message frames against `CompactServerFrame`), and `compact.expand` must give back exactly
the full socket's frame.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.db import database_sync_to_async

from parley.messaging import services as messaging
from parley.messaging.services import message_send
from parley.realtime.compact import expand
from parley.rooms import services as rooms
from parley.testing.api import make_user, token_for
from parley.testing.live import ServerProcess
from parley.testing.remote import RemoteUser
from parley.testing.ws import WsClient

db = database_sync_to_async

# What one person does in a room: (label, frame type the others get).
KINDS = [
    "message",
    "message:reply",
    "message:thread",
    "message.updated:thread",
    "reaction",
    "message.updated",
]


def _size(texts: list[str], frame: dict[str, Any]) -> int:
    """The bytes of the received text that carried `frame` (matched by type and seq)."""
    for text in texts:
        got = json.loads(text)
        if got["type"] == frame["type"] and got.get("seq") == frame.get("seq"):
            return len(text.encode())
    raise AssertionError(f"no text for {frame}")


@db
def setup_room() -> dict[str, Any]:
    owner, alice, bob = make_user("cw-own"), make_user("cw-alice"), make_user("cw-bob")
    room = rooms.room_create(owner=owner, name="cw")
    for user in (alice, bob):
        rooms.room_join(room_id=room.pk, user=user)
    return {"room": room.pk, "owner": owner, "alice": alice, "bob": bob, "token": token_for(alice)}


@db
def conversation(s: dict[str, Any]) -> None:
    """A plain message, a reply, a thread reply (and its root's summary), a reaction, an edit."""
    room, owner, bob = s["room"], s["owner"], s["bob"]
    first = message_send(sender=owner, room_id=room, body="lunch at noon?", client_id="o-1").message
    message_send(sender=bob, room_id=room, body="yes @cw-own", client_id="b-1", reply_to=first.pk)
    message_send(sender=bob, room_id=room, body="the usual place?", client_id="b-2", thread=first.pk)
    messaging.reaction_change(actor=bob, message_id=first.pk, emoji="👍", op="add")
    messaging.message_edit(actor=owner, message_id=first.pk, body="lunch at 12:30?")


async def received(client: WsClient, n: int) -> list[dict[str, Any]]:
    """The next `n` logged frames (those with a seq), in order."""
    frames: list[dict[str, Any]] = []
    while len(frames) < n:
        frame = await client.recv()
        if "seq" in frame and frame["type"] != "ack":
            frames.append(frame)
    return frames


@pytest.mark.django_db(transaction=True)
async def test_a_compact_and_a_full_socket_get_the_same_messages_the_compact_in_fewer_bytes() -> None:
    s = await setup_room()
    full, small = WsClient(s["token"]), WsClient(s["token"], compact=True)
    for client in (full, small):
        assert (await client.connect())[0]
    await conversation(s)
    got_full, got_small = await received(full, len(KINDS)), await received(small, len(KINDS))
    assert [f["type"] for f in got_full] == [k.split(":")[0] for k in KINDS]
    assert [expand(f) for f in got_small] == got_full
    for a, b in zip(got_full, got_small, strict=True):
        if a["type"] in ("message", "message.updated"):
            assert _size(small.texts, b) < _size(full.texts, a) * 0.7, a["type"]
        else:
            assert b == a  # other frames are the same bytes
    plain = got_small[0]["message"]
    assert "room" not in plain and "seq" not in plain and "reply_to" not in plain

    # A resume replays from the log: compact for the compact socket, full for the other.
    head = got_full[0]["seq"] - 1
    for client in (full, small):
        await client.send({"type": "resume", "rooms": {str(s["room"]): head}})
    replay_full, replay_small = await received(full, len(KINDS)), await received(small, len(KINDS))
    assert replay_full == got_full
    assert replay_small == got_small
    for client in (full, small):
        await client.close()


@pytest.mark.django_db(transaction=True)
async def test_another_wire_value_is_the_full_form() -> None:
    s = await setup_room()
    client = WsClient(s["token"] + "&wire=tiny")
    assert (await client.connect())[0]
    await db(message_send)(sender=s["bob"], room_id=s["room"], body="hi", client_id="b-9")
    frame = (await received(client, 1))[0]
    assert frame["message"]["room"] == s["room"] and frame["message"]["reply_to"] is None
    await client.close()


@pytest.fixture(params=[pytest.param("embedded", marks=pytest.mark.embedded_only), "cluster"])
def servers(request: pytest.FixtureRequest) -> list[ServerProcess]:
    """One embedded server, or two processes sharing PostgreSQL and Redis (the services pass)."""
    if request.param == "embedded":
        return [request.getfixturevalue("live_server_embedded")]
    return list(request.getfixturevalue("live_cluster"))


@pytest.mark.processes
async def test_over_a_real_socket_the_compact_bytes_expand_to_the_full_frame(
    servers: list[ServerProcess],
) -> None:
    """Through uvicorn, where frames take the raw write path (`Outgoing.raw` of the compact
    encoding): the same message to both sockets, live and replayed; with two processes the
    compact socket is on the other one, so its process compacts what came through Redis."""
    url, other = servers[0].url, servers[-1].url
    owner, reader = RemoteUser.register(url), RemoteUser.register(url)
    room = owner.create_room()
    reader.join(room["id"])
    full, small = await reader.socket(), await reader.socket(other, compact=True)
    r = owner.http.post(f"rooms/{room['id']}/messages", json={"body": "over the wire", "client_id": "w-1"})
    r.raise_for_status()
    sent = r.json()
    a, b = await full.recv_type("message"), await small.recv_type("message")
    assert a["message"]["id"] == sent["id"] and expand(b) == a
    assert len(small.texts[-1].encode()) < len(full.texts[-1].encode()) * 0.6
    again = await reader.socket(other, compact=True)
    await again.send({"type": "resume", "rooms": {str(room["id"]): a["seq"] - 1}})
    replayed = await again.recv_type("message")
    assert replayed == b and again.texts[-1] == small.texts[-1]
    for sock in (full, small, again):
        await sock.close()
