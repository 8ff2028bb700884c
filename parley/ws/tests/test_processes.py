"""Real processes: two uvicorn servers sharing PostgreSQL and Redis, clients on loopback."""

from __future__ import annotations

import pytest

from parley.testing.live import ServerProcess
from parley.testing.remote import RemoteUser

pytestmark = [pytest.mark.processes]


async def test_a_message_sent_on_one_process_arrives_on_the_other(
    live_cluster: list[ServerProcess],
) -> None:
    one, two = live_cluster
    alice, bob = RemoteUser.register(one.url), RemoteUser.register(two.url)
    room = alice.create_room()
    bob.join(room["id"])
    a, b = await alice.socket(one.url), await bob.socket(two.url)
    await a.send({"type": "send", "room": room["id"], "body": "across processes", "client_id": "x-1"})
    ack = await a.recv_type("ack")
    (got,) = await b.messages(1)
    assert got["message"]["body"] == "across processes"
    assert got["message"]["id"] == ack["id"] and got["seq"] == 1
    await b.send({"type": "send", "room": room["id"], "body": "and back", "client_id": "y-1"})
    (mine, back) = await a.messages(2)
    assert (mine["seq"], back["seq"]) == (1, 2)
    assert back["message"]["body"] == "and back"
    await a.close()
    await b.close()


async def test_a_dropped_socket_gets_exactly_the_missed_50_after_resume(
    live_cluster: list[ServerProcess],
) -> None:
    one, two = live_cluster
    sender, reader = RemoteUser.register(one.url), RemoteUser.register(two.url)
    room = sender.create_room()
    reader.join(room["id"])
    s = await sender.socket(one.url)
    r = await reader.socket(two.url)
    await s.send({"type": "send", "room": room["id"], "body": "before the drop", "client_id": "pre"})
    await s.recv_type("ack")
    (first,) = await r.messages(1)
    last_seq = first["seq"]
    await r.close()  # the reader's network goes away

    for i in range(50):
        await s.send(
            {
                "type": "send",
                "room": room["id"],
                "body": f"while away {i}",
                "client_id": f"away-{i}",
            }
        )
    acks = [await s.recv_type("ack") for _ in range(50)]
    assert [a["seq"] for a in acks] == list(range(2, 52))

    r2 = await reader.socket(one.url)  # comes back through the other process
    await r2.send({"type": "resume", "rooms": {str(room["id"]): last_seq}})
    frames = await r2.messages(50)
    assert [f["seq"] for f in frames] == list(range(2, 52))
    assert [f["message"]["body"] for f in frames] == [f"while away {i}" for i in range(50)]
    assert [f for f in await r2.quiet() if f["type"] == "message"] == []  # nothing twice
    stored = reader.history(room["id"], limit=100)
    assert [m["seq"] for m in stored] == list(range(1, 52))
    await s.close()
    await r2.close()


async def test_ordering_holds_with_senders_on_both_processes(
    live_cluster: list[ServerProcess],
) -> None:
    one, two = live_cluster
    users = [RemoteUser.register(one.url) for _ in range(4)]
    room = users[0].create_room()
    for user in users[1:]:
        user.join(room["id"])
    senders = [await users[0].socket(one.url), await users[1].socket(two.url)]
    readers = [await users[2].socket(one.url), await users[3].socket(two.url)]
    for i in range(20):
        for n, sock in enumerate(senders):
            await sock.send(
                {"type": "send", "room": room["id"], "body": f"{n}:{i}", "client_id": f"o{n}-{i}"}
            )
    for reader in readers:
        frames = await reader.messages(40)
        assert [f["seq"] for f in frames] == list(range(1, 41))
    for sock in senders + readers:
        await sock.close()
