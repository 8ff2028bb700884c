"""The server frames the web client's tests replay are captured from this server.

One conversation drives a real socket (Channels' communicator on `config.asgi.application`)
through every kind of server frame. With `PARLEY_WRITE_FIXTURES=1` the frames it received
are written to `frontend/src/realtime/__fixtures__/server-frames.json`; without it the
committed file is checked: every server frame type is there and every frame validates
against the protocol, so the client's fixtures cannot drift from what the server sends.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from parley.accounts import profile
from parley.accounts import services as accounts
from parley.accounts.models import User
from parley.actions import onboarding
from parley.messaging import pins, threads
from parley.messaging import services as messaging
from parley.messaging.services import message_send
from parley.realtime.compact import expand
from parley.realtime.protocol import PROTOCOL_VERSION, server_frame_adapter, validate_server_frame
from parley.rooms import moderation
from parley.rooms import services as rooms
from parley.rooms.models import Room

FIXTURES = Path(__file__).resolve().parents[3] / "frontend/src/realtime/__fixtures__/server-frames.json"
ORIGIN = (b"origin", b"http://127.0.0.1:8000")
SERVER_TYPES = frozenset(server_frame_adapter.json_schema()["discriminator"]["mapping"])
# Names beyond the frame types: the variants a client must tell apart.
VARIANTS = {
    "ack:duplicate": lambda f: f["duplicate"] is True,
    "message:reply": lambda f: f["message"]["reply_to"] is not None and f["message"]["mentions"] != [],
    "message:deleted": lambda f: f["message"]["deleted"] is True and f["message"]["body"] == "",
    "message.updated": lambda f: f["message"]["edited_at"] is not None,
    "error:room_ref": lambda f: type(f["ref"]) is int,
    "error:client_id_ref": lambda f: isinstance(f["ref"], str),
    "member.updated": lambda f: f["muted"] is True and f["muted_until"] is not None,
    "message:thread": lambda f: f["message"]["thread"] is not None,
    "message.updated:thread": lambda f: f["message"]["thread_summary"] is not None,
    "typing:thread": lambda f: f["thread"] is not None,
    "presence": lambda f: f["room"] is not None and f["online"] == 2,
    "presence:person": lambda f: f["state"] == "online" and f["status"] is None,
    "presence:status": lambda f: f["state"] == "offline" and f["status"]["text"] == "On holiday",
    "read.updated": lambda f: f["last_read_seq"] == 4,
}

db = database_sync_to_async


class Socket:
    """One client socket that keeps every frame it receives, checked against the protocol."""

    def __init__(self, token: str, *, compact: bool = False) -> None:
        from config.asgi import application

        path = f"/ws/?token={token}" + ("&wire=compact" if compact else "")
        self.comm = WebsocketCommunicator(application, path, headers=[ORIGIN])
        self.compact = compact
        self.unread: list[dict[str, Any]] = []

    async def connect(self) -> dict[str, Any]:
        ok, _ = await self.comm.connect(timeout=10)
        assert ok
        return await self.next("hello")

    async def send(self, frame: dict[str, Any]) -> None:
        await self.comm.send_to(text_data=json.dumps(frame))

    async def next(
        self, kind: str, where: Callable[[dict[str, Any]], bool] = lambda f: True, timeout: float = 5
    ) -> dict[str, Any]:
        """The next frame of `kind` that matches `where`; other frames wait for later calls."""
        for i, frame in enumerate(self.unread):
            if frame["type"] == kind and where(frame):
                return self.unread.pop(i)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            assert left > 0, f"no {kind} frame; got {[f['type'] for f in self.unread]}"
            out = await self.comm.receive_output(left)
            assert out["type"] == "websocket.send", out
            frame = json.loads(out["text"])
            validate_server_frame(frame, compact=self.compact)
            if frame["type"] == kind and where(frame):
                return frame  # type: ignore[no-any-return]
            self.unread.append(frame)

    async def drain(self) -> list[dict[str, Any]]:
        """Every frame received so far and still unread (each checked on arrival)."""
        while not await self.comm.receive_nothing(0.2):
            out = await self.comm.receive_output(1)
            assert out["type"] == "websocket.send", out
            frame = json.loads(out["text"])
            validate_server_frame(frame, compact=self.compact)
            self.unread.append(frame)
        frames, self.unread = self.unread, []
        return frames

    async def close(self) -> None:
        await self.comm.disconnect()


@db
def _setup() -> dict[str, Any]:
    # Without the main room the data migration made (the setting is off in this test), ids
    # start where the client's specs expect them.
    Room.objects.filter(owner__username=rooms.SYSTEM_USERNAME).delete()
    User.objects.filter(username=rooms.SYSTEM_USERNAME).delete()
    users = {
        name: onboarding.account_register(username=name, password="a-long enough passphrase 42")
        for name in ("alice", "bob", "carol")
    }
    general = rooms.room_create(owner=users["alice"], name="general", topic="Anything goes")
    rooms.room_join(room_id=general.pk, user=users["bob"])
    hidden = rooms.room_create(owner=users["carol"], name="carols-den", visibility="private")
    for i in (1, 2):
        message_send(sender=users["bob"], room_id=general.pk, body=f"earlier {i}", client_id=f"bob-{i}")
    tokens = {name: accounts.token_issue(user=user) for name, user in users.items()}
    return {"users": users, "tokens": tokens, "general": general.pk, "hidden": hidden.pk}


async def capture_conversation() -> dict[str, dict[str, Any]]:
    """Alice's socket through one conversation: every server frame type, named."""
    s = await _setup()
    alice_user, bob_user, carol_user = (s["users"][n] for n in ("alice", "bob", "carol"))
    room = s["general"]
    alice, bob = Socket(s["tokens"]["alice"]), Socket(s["tokens"]["bob"])
    got: dict[str, dict[str, Any]] = {"hello": await alice.connect()}
    # Alice's second device asks for compact frames (issue 34): it gets the same conversation,
    # every frame checked against the compact protocol, and its message frames expand to hers.
    small = Socket(s["tokens"]["alice"], compact=True)
    await small.connect()
    await bob.connect()
    got["presence:person"] = await alice.next("presence", lambda f: f.get("user_id") == bob_user.pk)
    got["presence"] = await alice.next("presence", lambda f: f.get("online") == 2)

    await bob.send(
        {"type": "send", "room": room, "body": "hi Alice, see https://example.org", "client_id": "b-3"}
    )
    got["message"] = await alice.next("message", lambda f: f["message"]["client_id"] == "b-3")
    await alice.send({"type": "send", "room": room, "body": "hello Bob", "client_id": "c-4f1a"})
    got["ack"] = await alice.next("ack")
    await alice.send({"type": "send", "room": room, "body": "hello Bob", "client_id": "c-4f1a"})
    got["ack:duplicate"] = await alice.next("ack")

    # Protocol 2: a reply that mentions, a reaction, an edit, a deletion (and its replayed tombstone).
    first = got["message"]["message"]["id"]
    await bob.send(
        {
            "type": "send",
            "room": room,
            "body": "@alice did you see it?",
            "client_id": "b-5",
            "reply_to": first,
        }
    )
    got["message:reply"] = await alice.next("message", lambda f: f["message"]["client_id"] == "b-5")
    await alice.send({"type": "react", "message": first, "emoji": "👍", "op": "add", "client_id": "c-r1"})
    got["done"] = await alice.next("done")
    got["reaction"] = await alice.next("reaction")
    await db(messaging.message_edit)(
        actor=bob_user, message_id=first, body="hi Alice, see https://example.com"
    )
    got["message.updated"] = await alice.next("message.updated")
    oops = await db(message_send)(sender=bob_user, room_id=room, body="wrong room, sorry", client_id="b-6")
    await alice.next("message", lambda f: f["message"]["client_id"] == "b-6")
    await db(messaging.message_delete)(actor=bob_user, message_id=oops.message.pk)
    got["message.deleted"] = await alice.next("message.deleted")
    await alice.send({"type": "resume", "rooms": {str(room): oops.message.seq - 1}})
    await small.send({"type": "resume", "rooms": {str(room): oops.message.seq - 1}})  # replayed compact
    got["message:deleted"] = await alice.next("message", lambda f: f["seq"] == oops.message.seq)
    await alice.next("message.deleted")

    await bob.send({"type": "typing", "room": room})
    got["typing"] = await alice.next("typing")
    await alice.send({"type": "read", "room": room, "seq": 4})
    got["unread"] = await alice.next("unread")
    await bob.send({"type": "read", "room": room, "seq": 4})
    got["read.updated"] = await alice.next("read.updated")

    for i in range(3):
        await db(message_send)(sender=bob_user, room_id=room, body=f"later {i}", client_id=f"late-{i}")
    await alice.send({"type": "resume", "rooms": {str(room): 1}})  # more missing than WS_RESUME_LIMIT
    got["gap"] = await alice.next("gap")

    await alice.send({"type": "send", "room": room, "body": "/frobnicate", "client_id": "c-cmd"})
    got["notice"] = await alice.next("notice")

    await alice.send({"type": "send", "room": room, "body": "x" * 4001, "client_id": "c-long"})
    got["error:client_id_ref"] = await alice.next("error")
    await alice.send({"type": "resume", "rooms": {str(s["hidden"]): 0}})
    got["error:room_ref"] = await alice.next("error")

    books = await db(rooms.room_create)(owner=bob_user, name="books", topic="What are you reading?")
    got["room.created"] = await alice.next("room.created")
    await db(rooms.room_update)(room_id=books.pk, actor=bob_user, topic="Currently: Middlemarch")
    got["room.updated"] = await alice.next("room.updated")
    await db(rooms.room_close)(room_id=books.pk, actor=bob_user)
    got["room.closed"] = await alice.next("room.closed")

    await db(rooms.room_join)(room_id=room, user=carol_user)
    got["member.joined"] = await alice.next("member.joined")
    await db(moderation.member_mute)(room_id=room, actor=alice_user, user_id=carol_user.pk, duration=600)
    got["member.updated"] = await alice.next("member.updated")
    await db(rooms.room_leave)(room_id=room, user=carol_user)
    got["member.left"] = await alice.next("member.left")

    await db(profile.profile_update)(user=carol_user, display_name="Carol C.")
    got["user.updated"] = await alice.next("user.updated")
    await db(profile.profile_update)(
        user=carol_user, status={"emoji": "🌴", "text": "On holiday", "expires_at": None}
    )
    got["presence:status"] = await alice.next("presence", lambda f: f.get("status") is not None)

    # Protocol 3 (issue 32), last so the seqs above stay those the client's specs expect.
    await db(pins.pin_set)(actor=alice_user, message_id=first, pinned=True)
    got["message.pinned"] = await alice.next("message.pinned")
    await db(pins.save_set)(actor=alice_user, message_id=first, saved=True)
    got["saved.updated"] = await alice.next("saved.updated")
    # Protocol 3: a reply in the thread of Bob's first message, its root's new summary,
    # typing in the thread, and Alice following it.
    await bob.send(
        {"type": "send", "room": room, "body": "in a thread", "client_id": "b-t1", "thread": first}
    )
    got["message:thread"] = await alice.next("message", lambda f: f["message"]["client_id"] == "b-t1")
    got["message.updated:thread"] = await alice.next(
        "message.updated", lambda f: f["message"]["thread_summary"] is not None
    )
    await bob.send({"type": "typing", "room": room, "thread": first})
    got["typing:thread"] = await alice.next("typing", lambda f: f["thread"] is not None)
    await db(threads.thread_follow)(user=alice_user, message_id=first, following=True)
    got["thread.state"] = await alice.next("thread.state")

    await alice.send({"type": "ping"})
    got["pong"] = await alice.next("pong")
    got["ping"] = await alice.next("ping")
    got["error"] = got["error:client_id_ref"]
    assert alice_user.pk == got["hello"]["user"]["id"]
    compact_frames = await small.drain()
    assert {f["type"] for f in compact_frames} >= {"message", "message.updated", "reaction", "unread"}
    expanded = [expand(f) for f in compact_frames]
    for name, frame in got.items():
        if frame["type"] in ("message", "message.updated"):
            assert frame in expanded, name
            assert frame not in compact_frames, name
    await small.close()
    await alice.close()
    await bob.close()
    return {name: got[name] for name in sorted(got)}


def check_fixtures(frames: dict[str, dict[str, Any]]) -> None:
    assert {name.split(":")[0] for name in frames} == SERVER_TYPES, "a server frame type has no fixture"
    for name, frame in frames.items():
        server_frame_adapter.validate_python(frame)
        assert frame["type"] == name.split(":")[0], name
    for name, holds in VARIANTS.items():
        assert holds(frames[name]), name
    assert frames["ack"]["duplicate"] is False


@pytest.mark.django_db(transaction=True, reset_sequences=True)
async def test_a_conversation_yields_every_server_frame(settings: Any) -> None:
    settings.WS_RESUME_LIMIT = 2
    settings.WS_PING_INTERVAL = 0.5
    settings.WS_PING_MISSES = 10_000  # the capture's sockets do not answer the pings
    # No main room: the captured ids and seqs stay those the client's specs were written against.
    settings.PARLEY_MAIN_ROOM = ""
    frames = await capture_conversation()
    check_fixtures(frames)
    if os.environ.get("PARLEY_WRITE_FIXTURES") == "1":
        doc = {
            "comment": "Captured from the server by parley/realtime/tests/test_client_fixtures.py "
            "(PARLEY_WRITE_FIXTURES=1). Do not edit: recapture.",
            "protocol": PROTOCOL_VERSION,
            "frames": frames,
        }
        FIXTURES.parent.mkdir(parents=True, exist_ok=True)
        FIXTURES.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def test_the_committed_fixtures_cover_and_match_the_protocol() -> None:
    doc = json.loads(FIXTURES.read_text(encoding="utf-8"))
    assert doc["protocol"] == PROTOCOL_VERSION, "recapture: PARLEY_WRITE_FIXTURES=1 pytest " + __file__
    check_fixtures(doc["frames"])
