"""Issue 33's read replica, on real engines: a PostgreSQL primary and a streaming replica this
module starts itself (parley.testing.pgreplica), a replay delay on the replica, and a live
`parley.serve` process with DATABASE_URL on the primary and DATABASE_REPLICA_URL on the replica.

While the replica replays each commit DELAY seconds late, a person who just wrote (a send over
REST or WebSocket, a read marker) reads history, search and the lobby from the primary and never
misses their own write; a person who wrote nothing reads from the replica (the process's
`parley_replica_reads_total` counters say where each read went, and the reader sees the
replica's older state); once the replica has replayed the write, the writer's reads go back to
it. With the replica stopped, reads fall back to the primary, /healthz stays 200 but says
"degraded", and the server logs a WARNING, no ERROR (the log guard checks)."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from parley.testing.live import ServerProcess, base_env, migrate, services_or_skip
from parley.testing.pgreplica import ReplicaPair, replica_pair
from parley.testing.remote import RemoteUser
from parley.testing.waits import wait_until

pytestmark = [pytest.mark.services, pytest.mark.processes]

DELAY = 3.0  # seconds the replica waits before replaying each commit, while the test needs it
READS = re.compile(
    r'^parley_replica_reads_total\{db="(?P<db>\w+)",reason="(?P<reason>\w+)"\} (?P<n>[0-9.e+]+)$'
)


class Site:
    def __init__(self, pair: ReplicaPair, server: ServerProcess):
        self.pair = pair
        self.server = server

    def metrics(self) -> str:
        r = httpx.get(self.server.url + "/metrics", timeout=10)
        r.raise_for_status()
        return r.text

    def reads(self) -> dict[tuple[str, str], float]:
        out: dict[tuple[str, str], float] = {}
        for line in self.metrics().splitlines():
            found = READS.match(line)
            if found:
                out[(found["db"], found["reason"])] = float(found["n"])
        return out

    def gauge(self, name: str) -> float | None:
        for line in self.metrics().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return None

    def health(self) -> tuple[int, dict[str, Any]]:
        r = httpx.get(self.server.url + "/healthz", timeout=10)
        return r.status_code, r.json()


def counted(before: dict[tuple[str, str], float], after: dict[tuple[str, str], float]) -> dict[str, float]:
    """Reads between two looks, by "db/reason"."""
    return {
        f"{db}/{reason}": n - before.get((db, reason), 0.0)
        for (db, reason), n in after.items()
        if n - before.get((db, reason), 0.0) > 0
    }


def on(reads: dict[str, float], db: str) -> float:
    return sum(n for key, n in reads.items() if key.startswith(db + "/"))


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    _, redis_url = services_or_skip(postgres=False)
    with replica_pair() as pair:
        env = base_env(
            pair.primary_url,
            redis_url,
            DATABASE_REPLICA_URL=pair.replica_url,
            # The replica is behind by DELAY while it matters; the migrations' commits are the
            # newest it replayed before that, possibly long before: a lag in seconds counted
            # from them must not turn the replica off for everyone during the test.
            REPLICA_MAX_LAG="600",
            REPLICA_CHECK_INTERVAL="0.05",
            REPLICA_RETRY_AFTER="1",
        )
        migrate(env)
        server = ServerProcess(env)
        try:
            server.start(timeout=60)
            yield Site(pair, server)
        finally:
            server.stop()


def _send(user: RemoteUser, room_id: int, body: str) -> dict[str, Any]:
    r = user.http.post(f"rooms/{room_id}/messages", json={"body": body, "client_id": uuid.uuid4().hex})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def _search(user: RemoteUser, word: str) -> list[int]:
    r = user.http.get("search", params={"q": word})
    assert r.status_code == 200, r.text
    return [hit["message"]["id"] for hit in r.json()["results"]]


def _lobby(user: RemoteUser, room_id: int) -> dict[str, Any]:
    r = user.http.get("rooms", params={"joined": "true"})
    assert r.status_code == 200, r.text
    return next(room for room in r.json() if room["id"] == room_id)


def _ids(user: RemoteUser, room_id: int) -> list[int]:
    return [m["id"] for m in user.history(room_id, limit=50)]


def _delay(site: Site, seconds: float) -> None:
    site.pair.wait_caught_up()
    site.pair.replica_delay(seconds)
    time.sleep(0.3)  # the reload reaches the replica's startup process


def test_a_writer_reads_the_primary_until_the_replica_replayed_the_write(site: Site) -> None:
    alice = RemoteUser.register(site.server.url)
    bob = RemoteUser.register(site.server.url)
    room = alice.create_room()
    bob.join(room["id"])
    _send(alice, room["id"], "before the delay")
    _delay(site, DELAY)

    before = site.reads()
    word = f"kumquat{uuid.uuid4().hex[:8]}"
    sent_at = time.monotonic()
    message = _send(alice, room["id"], f"fresh {word}")
    # Alice wrote: everything she reads now comes from the primary and has her message.
    assert message["id"] in _ids(alice, room["id"])
    assert _search(alice, word) == [message["id"]]
    assert _lobby(alice, room["id"])["last_seq"] == message["seq"]
    after_writer = site.reads()
    writer = counted(before, after_writer)
    assert writer.get("primary/own_write", 0) == 3, writer
    assert on(writer, "replica") == 0, writer

    # Bob wrote nothing since: he reads the replica, which has not replayed Alice's send yet.
    bob_sees = _ids(bob, room["id"])
    read_within = time.monotonic() - sent_at
    reader = counted(after_writer, site.reads())
    assert reader == {"replica/caught_up": 1}, reader
    if read_within < DELAY - 0.5:  # on a machine slow enough to pass DELAY, only the counter proves it
        assert message["id"] not in bob_sees, f"read {read_within:.2f} s after the send"
    lag = site.gauge("parley_replica_lag_bytes")
    assert lag is not None

    # Bob's read marker is a write too: his lobby then shows the head, from the primary.
    r = bob.http.post(f"rooms/{room['id']}/read", json={"seq": message["seq"]})
    assert r.status_code == 204, r.text
    seen = site.reads()
    lobby = _lobby(bob, room["id"])
    assert (lobby["last_seq"], lobby["unread_count"]) == (message["seq"], 0)
    assert counted(seen, site.reads()) == {"primary/own_write": 1}

    # Once the replica replayed the send, Alice's reads go back to it, her message there.
    site.pair.wait_caught_up(timeout=DELAY + 20)
    time.sleep(0.2)  # past the process's REPLICA_CHECK_INTERVAL

    def alice_on_replica() -> bool:
        looked = site.reads()
        ids = _ids(alice, room["id"])
        return message["id"] in ids and counted(looked, site.reads()) == {"replica/caught_up": 1}

    wait_until(alice_on_replica, timeout=10, interval=0.2, what="Alice's history read from the replica")
    looked = site.reads()
    assert _search(alice, word) == [message["id"]]
    assert message["id"] in _ids(bob, room["id"])
    assert counted(looked, site.reads()) == {"replica/caught_up": 2}


def test_a_websocket_send_is_in_the_history_and_thread_read_right_after_its_ack(site: Site) -> None:
    alice = RemoteUser.register(site.server.url)
    room = alice.create_room()
    _delay(site, DELAY)

    async def send_then_read() -> None:
        sock = await alice.socket()
        root = 0
        try:
            for n in range(3):
                client_id = uuid.uuid4().hex
                await sock.send(
                    {"type": "send", "room": room["id"], "body": f"ws {n}", "client_id": client_id}
                )
                ack = await sock.recv_type("ack")
                assert ack["client_id"] == client_id
                before = site.reads()
                assert ack["id"] in _ids(alice, room["id"])
                assert counted(before, site.reads()) == {"primary/own_write": 1}
                root = root or ack["id"]
            # A thread reply, then the thread page at once.
            await sock.send(
                {"type": "send", "room": room["id"], "body": "in a thread", "client_id": "t1", "thread": root}
            )
            ack = await sock.recv_type("ack")
            before = site.reads()
            r = alice.http.get(f"messages/{root}/thread")
            assert r.status_code == 200, r.text
            assert ack["id"] in [m["id"] for m in r.json()["replies"]]
            assert counted(before, site.reads()) == {"primary/own_write": 1}
        finally:
            await sock.close()

    asyncio.run(send_then_read())
    site.pair.replica_delay(0)


def test_with_the_replica_down_reads_fall_back_to_the_primary(site: Site) -> None:
    alice = RemoteUser.register(site.server.url)
    room = alice.create_room()
    message = _send(alice, room["id"], "kept on the primary")
    site.pair.wait_caught_up()
    code, body = site.health()
    assert code == 200 and body["replica"] == "ok" and body["degraded"] is False, body
    assert site.gauge("parley_replica_up") == 1.0

    site.pair.stop_replica()
    try:
        before = site.reads()
        for _ in range(3):
            assert message["id"] in _ids(alice, room["id"])
        reads = counted(before, site.reads())
        assert on(reads, "replica") == 0 and on(reads, "primary") == 3, reads
        code, body = site.health()
        assert code == 200, body
        assert body["replica"] == "down" and body["degraded"] is True and body["database"] == "ok", body
        assert "replica" in body["reasons"]
        assert site.gauge("parley_replica_up") == 0.0
        assert re.search(r"WARNING .*read replica", site.server.output()), site.server.output()[-2000:]
    finally:
        site.pair.start_replica()

    # Back: after REPLICA_RETRY_AFTER, reads return to the replica.
    def on_replica_again() -> bool:
        looked = site.reads()
        assert message["id"] in _ids(alice, room["id"])
        return counted(looked, site.reads()) == {"replica/caught_up": 1}

    wait_until(on_replica_again, timeout=20, interval=0.3, what="reads on the replica again")
    code, body = site.health()
    assert code == 200 and body["replica"] == "ok", body
