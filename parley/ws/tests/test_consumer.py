"""The /ws/ endpoint through WebSocket frames (Channels' communicator, in-memory hub)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from parley.messaging.models import Message
from parley.messaging.services import message_send
from parley.realtime import runtime
from parley.rooms import services as rooms
from parley.rooms.services import main_room
from parley.testing.api import make_user, token_for
from parley.testing.runtime import fresh_runtime
from parley.testing.waits import wait_until_async
from parley.testing.ws import ORIGIN, WsClient

pytestmark = [pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


@db
def setup_room(name: str = "lobby", private: bool = False, members: int = 2) -> dict[str, Any]:
    owner = make_user(f"{name}-own")
    room = rooms.room_create(owner=owner, name=name, visibility="private" if private else "public")
    users = [owner]
    for i in range(members - 1):
        user = make_user(f"{name}-m{i}")
        if private:
            rooms.member_add(room_id=room.pk, actor=owner, username=user.username)
        else:
            rooms.room_join(room_id=room.pk, user=user)
        users.append(user)
    return {"room": room, "users": users, "tokens": [token_for(u) for u in users]}


def wrap_publish(monkeypatch: pytest.MonkeyPatch, hook: Callable[..., None]) -> None:
    """Route every hub publish, on either backend, through `hook(real, backend, kind, target, data)`."""
    from parley.realtime import backends

    for cls in (backends.MemoryBackend, backends.RedisBackend):

        def wrapped(self: Any, kind: str, target: int, data: str, _real: Any = cls.publish) -> None:
            hook(_real, self, kind, target, data)

        monkeypatch.setattr(cls, "publish", wrapped)


async def connected(token: str) -> WsClient:
    client = WsClient(token)
    ok, _ = await client.connect()
    assert ok
    return client


async def test_handshake_needs_authentication() -> None:
    ok, _ = await WsClient(None).connect(expect_hello=False)
    assert not ok
    ok, _ = await WsClient("bogus-token").connect(expect_hello=False)
    assert not ok


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [(b"origin", b"http://evil.example")],
        [(b"origin", b"null")],
        [(b"origin", b"http://127.0.0.1.evil.example")],
    ],
)
async def test_foreign_missing_and_null_origins_are_refused(
    headers: list[tuple[bytes, bytes]],
) -> None:
    setup = await setup_room()
    ok, _ = await WsClient(setup["tokens"][0], headers=headers).connect(expect_hello=False)
    assert not ok


@pytest.mark.parametrize("path", ["/ws/chat/", "/ws", "/other/", "/prefix/ws/"])
async def test_only_the_one_path_is_a_socket(path: str) -> None:
    """Any other path is refused before the handshake, whoever asks."""
    from config.asgi import application

    setup = await setup_room()
    comm = WebsocketCommunicator(application, f"{path}?token={setup['tokens'][0]}", headers=[ORIGIN])
    ok, _ = await comm.connect(timeout=10)
    assert not ok


async def test_the_path_is_read_below_the_root_path() -> None:
    """Behind a proxy that mounts Parley under a prefix, `/prefix/ws/` is the socket."""
    from config.asgi import application

    setup = await setup_room()
    comm = WebsocketCommunicator(application, f"/parley/ws/?token={setup['tokens'][0]}", headers=[ORIGIN])
    comm.scope["root_path"] = "/parley"
    ok, _ = await comm.connect(timeout=10)
    assert ok
    assert json.loads((await comm.receive_output(5))["text"])["type"] == "hello"
    await comm.disconnect()


async def test_hello_lists_the_users_rooms() -> None:
    setup = await setup_room()
    await db(message_send)(sender=setup["users"][0], room_id=setup["room"].pk, body="before", client_id="b1")
    client = await connected(setup["tokens"][1])
    assert client.hello is not None
    assert client.hello["protocol"] == 3
    assert client.hello["user"]["id"] == setup["users"][1].pk
    main = await db(main_room)()
    assert main is not None
    assert client.hello["rooms"] == [
        {
            "id": main.pk,
            "kind": "room",
            "last_seq": 0,
            "last_read_seq": 0,
            "unread_count": 0,
            "mention_count": 0,
        },
        {
            "id": setup["room"].pk,
            "kind": "room",
            "last_seq": 1,
            "last_read_seq": 0,
            "unread_count": 1,
            "mention_count": 0,
        },
    ]
    await client.close()


async def test_hello_counts_unread_like_the_room_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hello's hand-written SQL and the REST list's ORM query agree, below and beyond the
    exact bound (others' messages after the marker; one's own never count), and so do their
    mention counts (named or the owner's @room, within the same bound)."""
    from parley.messaging import unread
    from parley.rooms import selectors

    monkeypatch.setattr(unread, "UNREAD_EXACT", 4)
    setup = await setup_room(members=3)
    owner, reader, other = setup["users"]
    room_id = setup["room"].pk
    send = db(message_send)
    for i, sender in enumerate([owner, reader, other, owner, reader, other, owner, other]):
        body = f"m{i} @{reader.username} @room"
        await send(sender=sender, room_id=room_id, body=body, client_id=f"u{i}")
    await db(selectors.Membership.objects.filter(room_id=room_id, user=reader).update)(last_read_seq=1)
    client = await connected(setup["tokens"][1])
    assert client.hello is not None
    listed = await db(selectors.room_list)(user=reader, joined=True)
    # after seq 1: seqs 2..8, reader wrote 2 and 5; counted exactly up to seq 5 (3 and 4), the
    # 3 seqs beyond the bound are added whoever wrote them. Mentions of the reader within the
    # bound: by name in 3 and 4 (never their own 2 and 5), @room only from the owner's 4.
    hello = [r for r in client.hello["rooms"] if r["id"] == room_id]  # besides the main room
    listed = [room for room in listed if room.pk == room_id]
    assert hello == [
        {
            "id": room_id, "kind": "room", "last_seq": 8, "last_read_seq": 1,
            "unread_count": 5, "mention_count": 3,
        }
    ]  # fmt: skip
    assert [room.unread_count for room in listed] == [5]  # type: ignore[attr-defined]
    assert [room.mention_count for room in listed] == [3]  # type: ignore[attr-defined]
    await client.close()


async def test_send_is_acked_and_delivered_to_every_member_once() -> None:
    setup = await setup_room(members=3)
    a, b, c = [await connected(t) for t in setup["tokens"]]
    rid = setup["room"].pk
    await a.send({"type": "send", "room": rid, "body": "hi all", "client_id": "m-1", "sender": 999})
    ack = await a.recv_type("ack")
    assert ack == {
        "type": "ack",
        "client_id": "m-1",
        "room": rid,
        "id": ack["id"],
        "seq": 1,
        "duplicate": False,
    }
    for client in (a, b, c):
        (frame,) = await client.messages(1)
        assert frame["seq"] == 1 and frame["room"] == rid
        assert frame["message"]["body"] == "hi all"
        assert frame["message"]["sender"]["id"] == setup["users"][0].pk  # never the claimed sender
        await client.nothing(ignore=("presence", "ack", "ping"))
    await a.send({"type": "send", "room": rid, "body": "hi all", "client_id": "m-1"})
    again = await a.recv_type("ack")
    assert (again["id"], again["seq"], again["duplicate"]) == (ack["id"], 1, True)
    await b.nothing(ignore=("presence",))
    for client in (a, b, c):
        await client.close()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "bad_json"),
        ("[1, 2]", "bad_json"),
        ('"just a string"', "bad_json"),
        ("[" * 5000 + "]" * 5000, "bad_json"),
        (json.dumps({"type": "dance"}), "unknown_type"),
        (json.dumps({"no": "type"}), "unknown_type"),
        (json.dumps({"type": "send", "room": "1", "body": "x", "client_id": "c"}), "invalid"),
        (json.dumps({"type": "send", "room": 1, "client_id": "c"}), "invalid"),
        (json.dumps({"type": "send", "room": 1, "body": 5, "client_id": "c"}), "invalid"),
        (
            json.dumps({"type": "send", "room": 1, "body": "x", "client_id": "with space"}),
            "invalid",
        ),
        (json.dumps({"type": "send", "room": 10**30, "body": "x", "client_id": "c"}), "invalid"),
        (json.dumps({"type": "resume", "rooms": {"abc": 1}}), "invalid"),
        (json.dumps({"type": "read", "room": 1, "seq": -1}), "invalid"),
        (
            json.dumps({"type": "send", "room": 1, "body": "x" * 70_000, "client_id": "c"}),
            "too_large",
        ),
    ],
)
async def test_bad_frames_get_an_error_and_the_socket_stays_open(frame: str, code: str) -> None:
    setup = await setup_room()
    client = await connected(setup["tokens"][0])
    await client.send(frame)
    err = await client.recv_type("error")
    assert err["code"] == code
    await client.send({"type": "ping"})
    assert (await client.recv_type("pong"))["type"] == "pong"
    assert await db(Message.objects.count)() == 0
    await client.close()


async def test_binary_frames_are_refused_with_an_error() -> None:
    setup = await setup_room()
    client = await connected(setup["tokens"][0])
    await client.send_bytes(b"\xff\xfe binary")
    assert (await client.recv_type("error"))["code"] == "invalid"
    await client.close()


async def test_send_errors_carry_the_client_id_as_ref() -> None:
    setup = await setup_room()
    other = await setup_room("other", private=True)
    client = await connected(setup["tokens"][1])
    rid = setup["room"].pk
    cases = [
        ({"room": rid, "body": "x" * 4001, "client_id": "long"}, "too_large"),
        ({"room": rid, "body": "   ", "client_id": "blank"}, "invalid"),
        ({"room": other["room"].pk, "body": "intrude", "client_id": "priv"}, "not_found"),
        ({"room": 424242, "body": "void", "client_id": "void"}, "not_found"),
    ]
    for fields, code in cases:
        await client.send({"type": "send", **fields})
        err = await client.recv_type("error")
        assert (err["code"], err["ref"]) == (code, fields["client_id"])
    await db(rooms.room_close)(room_id=rid, actor=setup["users"][0])
    await client.send({"type": "send", "room": rid, "body": "late", "client_id": "late"})
    err = await client.recv_type("error")
    assert (err["code"], err["ref"]) == ("room_closed", "late")
    assert await db(Message.objects.count)() == 0
    await client.close()


async def test_public_non_member_cannot_send(settings: Any) -> None:
    setup = await setup_room()
    outsider = await db(make_user)("outsider")
    client = await connected(await db(token_for)(outsider))
    await client.send({"type": "send", "room": setup["room"].pk, "body": "hey", "client_id": "o1"})
    assert (await client.recv_type("error"))["code"] == "not_member"
    await client.close()


async def test_sending_too_fast_is_rate_limited(settings: Any) -> None:
    settings.WS_SEND_RATE, settings.WS_SEND_BURST = 0.01, 3
    fresh_runtime()
    setup = await setup_room()
    client = await connected(setup["tokens"][0])
    for i in range(5):
        await client.send({"type": "send", "room": setup["room"].pk, "body": f"b{i}", "client_id": f"r{i}"})
    kinds = []
    for _ in range(5):
        frame = await client.recv()
        while frame["type"] not in ("ack", "error"):
            frame = await client.recv()
        kinds.append(frame.get("code", frame["type"]))
    assert kinds == ["ack", "ack", "ack", "rate_limited", "rate_limited"]
    await client.close()


async def test_resume_replays_exactly_what_was_missed_in_order() -> None:
    setup = await setup_room()
    rid = setup["room"].pk
    for i in range(3):
        await db(message_send)(sender=setup["users"][0], room_id=rid, body=f"seen {i}", client_id=f"s{i}")
    for i in range(7):
        await db(message_send)(sender=setup["users"][0], room_id=rid, body=f"missed {i}", client_id=f"m{i}")
    client = await connected(setup["tokens"][1])
    await client.send({"type": "resume", "rooms": {str(rid): 3}})
    frames = await client.messages(7)
    assert [f["seq"] for f in frames] == list(range(4, 11))
    assert [f["message"]["body"] for f in frames] == [f"missed {i}" for i in range(7)]
    await db(message_send)(sender=setup["users"][0], room_id=rid, body="live", client_id="live")
    (live,) = await client.messages(1)
    assert live["seq"] == 11
    await client.nothing()
    await client.close()


async def test_resume_beyond_the_bound_sends_a_gap(settings: Any) -> None:
    settings.WS_RESUME_LIMIT = 5
    fresh_runtime()
    setup = await setup_room()
    rid = setup["room"].pk
    for i in range(9):
        await db(message_send)(sender=setup["users"][0], room_id=rid, body=f"x{i}", client_id=f"x{i}")
    client = await connected(setup["tokens"][1])
    await client.send({"type": "resume", "rooms": {str(rid): 1}})
    gap = await client.recv_type("gap")
    assert gap == {"type": "gap", "room": rid, "after_seq": 1, "until_seq": 9}
    await db(message_send)(sender=setup["users"][0], room_id=rid, body="next", client_id="next")
    assert [f["seq"] for f in await client.messages(1)] == [10]
    await client.close()


async def test_resume_for_a_foreign_room_is_an_error() -> None:
    setup = await setup_room()
    other = await setup_room("private-one", private=True)
    client = await connected(setup["tokens"][1])
    await client.send({"type": "resume", "rooms": {str(other["room"].pk): 0}})
    err = await client.recv_type("error")
    assert (err["code"], err["ref"]) == ("not_member", other["room"].pk)
    await client.close()


async def test_resume_naming_a_thousand_foreign_rooms_gets_one_error_and_counts_as_abuse() -> None:
    setup = await setup_room()
    rid = setup["room"].pk
    client = await connected(setup["tokens"][1])
    foreign = {str(rid + 1000 + i): 0 for i in range(1000)}
    await client.send({"type": "resume", "rooms": foreign})
    await client.send({"type": "ping"})
    frames = []
    while (frame := await client.recv())["type"] != "pong":
        if frame["type"] not in ("presence", "ping"):
            frames.append(frame)
    errors = [f for f in frames if f["type"] == "error"]
    assert [(e["code"], e["ref"]) for e in errors] == [("not_member", rid + 1000)]
    assert "1000 rooms" in errors[0]["message"]
    # Each such frame is one bad frame: the peer that repeats it is closed like any abuser.
    for _ in range(60):
        await client.send({"type": "resume", "rooms": foreign})
    assert await client.expect_close() == 1008


async def test_typing_reaches_other_members_only() -> None:
    setup = await setup_room()
    other = await setup_room("elsewhere")
    a, b = await connected(setup["tokens"][0]), await connected(setup["tokens"][1])
    stranger = await connected(other["tokens"][1])
    await a.send({"type": "typing", "room": setup["room"].pk})
    frame = await b.recv_type("typing")
    assert frame["user"]["id"] == setup["users"][0].pk
    await stranger.nothing()
    for client in (a, b, stranger):
        await client.close()


async def test_read_updates_every_socket_of_the_user() -> None:
    setup = await setup_room()
    rid = setup["room"].pk
    for i in range(4):
        await db(message_send)(sender=setup["users"][0], room_id=rid, body=f"u{i}", client_id=f"u{i}")
    tab1, tab2 = await connected(setup["tokens"][1]), await connected(setup["tokens"][1])
    await tab1.send({"type": "read", "room": rid, "seq": 3})
    for tab in (tab1, tab2):
        frame = await tab.recv_type("unread")
        assert frame == {"type": "unread", "room": rid, "count": 1, "last_read_seq": 3, "mention_count": 0}
    await tab1.close()
    await tab2.close()


async def test_joining_starts_delivery_and_removal_stops_it_at_once() -> None:
    setup = await setup_room(private=True)
    rid, owner = setup["room"].pk, setup["users"][0]
    newcomer = await db(make_user)("newcomer")
    client = await connected(await db(token_for)(newcomer))
    await db(rooms.member_add)(room_id=rid, actor=owner, username="newcomer")
    joined = await client.recv_type("member.joined")
    assert joined["user"]["id"] == newcomer.pk and joined["room"] == rid
    await db(message_send)(sender=owner, room_id=rid, body="welcome", client_id="w")
    assert (await client.messages(1))[0]["message"]["body"] == "welcome"
    await db(rooms.member_remove)(room_id=rid, actor=owner, user_id=newcomer.pk)
    left = await client.recv_type("member.left")
    assert left["user"]["id"] == newcomer.pk
    await db(message_send)(sender=owner, room_id=rid, body="secret now", client_id="s")
    await client.nothing(ignore=("presence", "member.left", "ping"))
    await client.send({"type": "send", "room": rid, "body": "still here?", "client_id": "q"})
    assert (await client.recv_type("error"))["code"] == "not_found"
    await client.close()


async def test_public_room_lobby_events_reach_everyone_private_ones_do_not() -> None:
    alice = await db(make_user)("alice")
    bob = await db(make_user)("bob")
    b = await connected(await db(token_for)(bob))
    room = await db(rooms.room_create)(owner=alice, name="open-house")
    created = await b.recv_type("room.created")
    assert created["room"]["id"] == room.pk and created["room"]["name"] == "open-house"
    assert "is_member" not in created["room"]
    await db(rooms.room_update)(room_id=room.pk, actor=alice, topic="new topic")
    assert (await b.recv_type("room.updated"))["room"]["topic"] == "new topic"
    await db(rooms.room_close)(room_id=room.pk, actor=alice)
    assert (await b.recv_type("room.closed"))["room"]["closed"] is True
    await db(rooms.room_create)(owner=alice, name="back-room", visibility="private")
    await b.nothing()
    await b.close()


async def test_logout_closes_that_logins_sockets(settings: Any) -> None:
    from parley.accounts.models import AuthToken
    from parley.accounts.selectors import token_lookup
    from parley.accounts.services import logout

    user = await db(make_user)("leaver")
    t1, t2 = await db(token_for)(user), await db(token_for)(user)
    s1, s2 = await connected(t1), await connected(t2)
    token = await db(token_lookup)(key=t1)
    assert isinstance(token, AuthToken)
    await db(logout)(user=user, token=token, session_key=None)
    assert await s1.expect_close() == 4003
    await s2.send({"type": "ping"})
    assert (await s2.recv_type("pong"))["type"] == "pong"
    await s2.close()


async def test_deactivation_closes_every_socket() -> None:
    from parley.accounts.services import user_deactivate

    user = await db(make_user)("gone")
    s1 = await connected(await db(token_for)(user))
    await db(user_deactivate)(user=user)
    assert await s1.expect_close() == 4003


async def test_a_socket_that_does_not_keep_up_is_closed_and_others_are_not(settings: Any) -> None:
    settings.WS_QUEUE_MAX = 5
    fresh_runtime()
    setup = await setup_room()
    rid = setup["room"].pk
    slow, fast = await connected(setup["tokens"][1]), await connected(setup["tokens"][0])
    hub = runtime.current().hub
    slow_conn = next(c for c in hub.conns if c.user_id == setup["users"][1].pk)

    async def never_drains(text: str) -> None:
        await asyncio.Event().wait()  # no one sets it

    slow_conn._send = never_drains  # the peer stopped reading: sends never complete
    for i in range(10):
        await db(message_send)(sender=setup["users"][0], room_id=rid, body=f"f{i}", client_id=f"f{i}")
    assert await slow.expect_close() == 4008
    frames = await fast.messages(10)
    assert [f["seq"] for f in frames] == list(range(1, 11))
    await fast.close()


async def test_a_peer_sending_only_garbage_is_disconnected() -> None:
    setup = await setup_room()
    client = await connected(setup["tokens"][0])
    for _ in range(60):
        await client.send("garbage")
    assert await client.expect_close() == 1008


async def test_socket_cap_per_user(settings: Any) -> None:
    settings.WS_MAX_SOCKETS_PER_USER = 2
    fresh_runtime()
    setup = await setup_room()
    s1, s2 = await connected(setup["tokens"][0]), await connected(setup["tokens"][0])
    third = WsClient(setup["tokens"][0])
    ok, _ = await third.connect(expect_hello=False)
    assert ok
    assert await third.expect_close() == 4029
    await s1.close()
    await s2.close()


async def test_session_cookie_authenticates_the_socket() -> None:
    from django.test import Client

    @db
    def login() -> str:
        make_user("cookie")
        client = Client()
        r = client.post(
            "/api/v1/auth/login", {"username": "cookie", "password": "a-long enough passphrase 42"},
            content_type="application/json",
        )  # fmt: skip
        assert r.status_code == 200
        return client.cookies["sessionid"].value

    session = await login()
    client = WsClient(None, headers=[ORIGIN, (b"cookie", f"sessionid={session}".encode())])
    ok, _ = await client.connect()
    assert ok and client.hello is not None
    assert client.hello["user"]["username"] == "cookie"
    await client.close()


async def test_fanout_cost_does_not_grow_with_the_room(monkeypatch: pytest.MonkeyPatch) -> None:
    """Per message: the same number of JSON encodes and hub publishes for 2 or 12 listeners.

    Presence and keepalive frames are left out of the count: they go out on their own
    schedule (a presence update coalesced after the connects, a ping tick), so one may fall
    inside the measured send under load without being part of the send's cost."""
    from parley.realtime import protocol

    encodes: list[str] = []
    publishes: list[str] = []
    real_dumps = protocol.json.dumps
    scheduled = {"presence", "ping"}

    def counting_dumps(*args: Any, **kwargs: Any) -> str:
        kind = args[0].get("type") if args and isinstance(args[0], dict) else None
        if kind not in scheduled:
            encodes.append(str(kind))
        return real_dumps(*args, **kwargs)

    monkeypatch.setattr(protocol.json, "dumps", counting_dumps)

    def counting_publish(real: Any, backend: Any, kind: str, target: int, data: str) -> None:
        publishes.append(kind)
        real(backend, kind, target, data)

    wrap_publish(monkeypatch, counting_publish)

    async def cost(members: int, name: str) -> tuple[int, int]:
        setup = await setup_room(name, members=members)
        clients = [await connected(t) for t in setup["tokens"]]
        # The connects' presence update goes out first: the last one shows everyone online.
        while (await clients[-1].recv_type("presence", timeout=10))["online"] < len(clients):
            pass
        encodes.clear()
        publishes.clear()
        await clients[0].send(
            {"type": "send", "room": setup["room"].pk, "body": "count me", "client_id": name}
        )
        await clients[0].recv_type("ack")
        for client in clients:
            await client.messages(1)
        result = (len(encodes), publishes.count("r"))
        for client in clients:
            await client.close()
        return result

    small, large = await cost(2, "small"), await cost(12, "large")
    assert small == large
    assert large[1] == 1  # one publish per message


async def test_frames_do_not_wait_for_the_shared_sync_thread() -> None:
    """A ping and a send are answered while the one shared sync thread is busy: incoming
    frames must not queue behind unrelated thread-sensitive work (Channels' own dispatch
    hops to that thread for every frame)."""
    setup = await setup_room(members=2)
    client = await connected(setup["tokens"][0])
    started, release = threading.Event(), threading.Event()

    def occupy() -> None:
        started.set()
        release.wait(30)

    blocker = asyncio.ensure_future(sync_to_async(occupy, thread_sensitive=True)())
    try:
        await wait_until_async(started.is_set, what="the shared sync thread to be occupied")
        await client.send({"type": "ping"})
        assert (await client.recv_type("pong", timeout=10))["type"] == "pong"
        await client.send({"type": "send", "room": setup["room"].pk, "body": "now", "client_id": "busy-1"})
        assert (await client.recv_type("ack", timeout=10))["seq"] == 1
        assert not blocker.done()  # the thread was busy the whole time
    finally:
        release.set()
        await blocker
    await client.close()


async def test_a_connect_does_not_hide_an_event_still_in_flight(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """A message committed before B connects but routed by the hub after it: B's hello
    already counts it, and A must still get it live, without waiting for a later message
    or a sweep (the hub used to take B's head as already delivered to everyone)."""
    settings.HUB_SWEEP_INTERVAL = 60.0  # no sweep may repair it within the test
    fresh_runtime()
    setup = await setup_room(members=3)
    rid = setup["room"].pk
    a = await connected(setup["tokens"][0])
    held: list[tuple[Any, ...]] = []

    def holding(real: Any, backend: Any, kind: str, target: int, data: str) -> None:
        if kind == "r":
            held.append((real, backend, kind, target, data))
        else:
            real(backend, kind, target, data)

    wrap_publish(monkeypatch, holding)
    await a.send({"type": "send", "room": rid, "body": "in flight", "client_id": "fly-1"})
    ack = await a.recv_type("ack")
    assert len(held) == 1  # committed and acknowledged, not routed yet
    b = await connected(setup["tokens"][1])
    assert b.hello is not None
    assert {r["id"]: r["last_seq"] for r in b.hello["rooms"]}[rid] == ack["seq"]
    monkeypatch.undo()
    for real, *args in held:
        real(*args)
    (frame,) = await a.messages(1, timeout=3)
    assert frame["seq"] == ack["seq"] and frame["message"]["body"] == "in flight"
    await b.nothing(ignore=("presence", "ping"))  # B's hello already covered it
    await b.send({"type": "send", "room": rid, "body": "next", "client_id": "fly-2"})
    for client in (a, b):
        (nxt,) = await client.messages(1)
        assert nxt["seq"] == ack["seq"] + 1
    for client in (a, b):
        await client.close()
