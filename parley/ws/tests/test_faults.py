"""Faults against real processes: Redis killed and flushed, PostgreSQL cut, a server
killed, and concurrent sends. The promise under test (docs/security.md): an
acknowledged message is durable, every member's client shows it exactly once and
in order, and sending keeps its meaning (an `ack` only after a commit).

Each test prints a `FIGURES` line (run with `-s` to see them).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from parley.testing.faults import (
    Peer,
    RedisServer,
    TcpProxy,
    acked_all,
    db_messages,
    guest,
    settle,
)
from parley.testing.live import (
    ServerProcess,
    base_env,
    migrate,
    private_database,
    services_or_skip,
)
from parley.testing.remote import RemoteUser
from parley.testing.waits import wait_until_async

pytestmark = [pytest.mark.processes]

FAST = {"WS_SEND_RATE": "1000", "WS_SEND_BURST": "2000"}


@pytest.fixture(scope="module")
def fault_db() -> Iterator[str]:
    """One private PostgreSQL database, migrated once, for this module's servers."""
    services_or_skip()
    with private_database("postgres") as db:
        migrate(base_env(db))
        yield db


def figures(name: str, **values: Any) -> None:
    print(f"\nFIGURES {name} " + json.dumps(values, sort_keys=True))


def crowd(urls: list[str], n: int) -> tuple[list[RemoteUser], dict[str, Any]]:
    """`n` guests spread over the processes, all members of one public room."""
    users = [guest(urls[i % len(urls)]) for i in range(n)]
    room = users[0].create_room()
    for user in users[1:]:
        user.join(room["id"])
    return users, room


async def traffic(senders: list[Peer], stop: asyncio.Event, every: float = 0.02) -> int:
    """Round-robin sends until `stop`; returns how many were sent."""
    sent = 0
    while not stop.is_set() and sent < 5000:
        await senders[sent % len(senders)].send()
        sent += 1
        await asyncio.sleep(every)  # pacing: one send every `every` s (the workload, not a wait)
    return sent


def acked(peers: list[Peer]) -> int:
    return sum(len(p.acks) for p in peers)


def refused(peers: list[Peer]) -> int:
    return sum(len(codes) for p in peers for codes in p.errors.values())


async def grown(count: Callable[[], int], by: int, what: str, timeout: float = 30) -> None:
    """Until `count()` has grown by `by` from now: the traffic went on through a phase of the
    fault (so the phase covers real sends, however fast or slow the machine is)."""
    start = count()
    await wait_until_async(lambda: count() >= start + by, timeout=timeout, interval=0.05, what=what)


def check_against_database(database_url: str, room_id: int, peers: list[Peer]) -> list[int]:
    """Every ack is a stored row; every client_id is stored once; seqs have no holes."""
    rows = db_messages(database_url, room_id)
    seqs = [r[0] for r in rows]
    assert seqs == list(range(1, len(rows) + 1)), "seqs must be 1..n without holes or repeats"
    by_client = {r[2]: r for r in rows}
    assert len(by_client) == len(rows), "a client_id was stored twice"
    for peer in peers:
        assert peer.false_acks == [], peer.false_acks
        assert peer.pending == {}, f"unacknowledged sends: {peer.state()}"
        for client_id, (msg_id, seq) in peer.acks.items():
            seq_db, id_db, _cid, sender = by_client[client_id]  # acknowledged => stored
            assert (id_db, seq_db) == (msg_id, seq)
            assert sender == peer.user.user["id"]
    return seqs


async def subscribers(redis: RedisServer, topic: str) -> int:
    try:
        ((_, n),) = redis.client().pubsub_numsub(topic)
        return int(n)
    except Exception:
        return -1


@pytest.mark.fault
async def test_redis_killed_and_flushed_mid_traffic_loses_nothing(fault_db: str) -> None:
    redis = RedisServer().start()
    env = base_env(fault_db, redis.url, **FAST)
    servers = [ServerProcess(env).start(), ServerProcess(env).start()]
    peers: list[Peer] = []
    try:
        urls = [s.url for s in servers]
        users, room = crowd(urls, 6)
        rid = room["id"]
        # Each client has a home process and falls back to the other one.
        peers = [await Peer(u, [urls[i % 2], urls[(i + 1) % 2]], rid).start() for i, u in enumerate(users)]
        senders = peers[:3]
        stop = asyncio.Event()
        sending = asyncio.get_running_loop().create_task(traffic(senders, stop))
        faults = []

        await grown(lambda: acked(senders), 50, "sends acknowledged before the fault")
        redis.client().set("fault:marker", "1")
        redis.kill9()  # no persistence: whatever Redis held is gone
        faults.append("kill -9")
        await grown(lambda: acked(senders), 100, "sends committing while Redis is down")
        redis.start()
        # Not dbsize() == 0: the servers reconnect at once and may already have written a key.
        assert redis.client().get("fault:marker") is None, "the restarted Redis must have lost its data"
        await grown(lambda: acked(senders), 50, "sends acknowledged after Redis came back")
        redis.client().flushall()
        redis.kill9()
        faults.append("flushall + kill -9, restarted at once")
        redis.start()
        await grown(lambda: acked(senders), 50, "sends acknowledged after the flush")
        stop.set()
        sent = await sending

        await acked_all(senders, timeout=20)
        seqs = check_against_database(fault_db, rid, peers)
        took = await settle(peers, seqs, timeout=30)
        for peer in peers:
            assert sorted(peer.timeline) == seqs, (peer.name, set(seqs) - set(peer.timeline))
            ids = {seq: msg["id"] for seq, msg in peer.timeline.items()}
            assert ids == {r[0]: r[1] for r in db_messages(fault_db, rid)}
            assert peer.per_socket_dupes == 0 and peer.per_socket_disorder == 0, peer.name
        assert took < 30

        # Live delivery is back: both processes subscribed again, and a new message arrives on both.
        topic = f"{env['PARLEY_REDIS_PREFIX']}:r:{rid}"

        async def resubscribed() -> bool:
            return await subscribers(redis, topic) == 2

        await wait_until_async(resubscribed, interval=0.1, what="both processes to resubscribe to the room")
        before = {p.name: len(p.timeline) for p in peers}
        await peers[0].send("after recovery")
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        with contextlib.suppress(AssertionError):  # the assertion below says who lacks it
            await wait_until_async(lambda: all(len(p.timeline) > before[p.name] for p in peers), timeout=5)
        latency = loop.time() - t0
        assert all(len(p.timeline) == before[p.name] + 1 for p in peers)
        figures(
            "redis",
            faults=faults,
            sent=sent,
            stored=len(seqs),
            acked=sum(len(p.acks) for p in senders),
            receivers=len(peers),
            messages_checked=len(seqs) * len(peers),
            lost=0,
            settle_s=round(took, 2),
            live_after_recovery_s=round(latency, 3),
            reconnects=sum(p.drops for p in peers),
        )
    finally:
        for peer in peers:
            await peer.stop()
        for server in servers:
            server.stop()
        redis.stop()


# What the server logs while its database is unreachable is the point of these two.
DATABASE_CUT_ERRORS = (
    r"OperationalError",
    r"ERROR django\.request: Service Unavailable: /api/v1/",
)


@pytest.mark.fault
@pytest.mark.server_log_expects(*DATABASE_CUT_ERRORS)
async def test_database_cut_gives_errors_never_false_acks_and_retries_store_once(fault_db: str) -> None:
    target = urlparse(fault_db)
    with TcpProxy(target.hostname or "127.0.0.1", target.port or 5432) as proxy:
        proxied = target._replace(netloc=f"{target.username}@127.0.0.1:{proxy.port}").geturl()
        env = base_env(proxied, "", CONN_MAX_AGE="0", **FAST)
        server = ServerProcess(env).start()
        peer: Peer | None = None
        try:
            user = RemoteUser.register(server.url)
            room = user.create_room()
            rid = room["id"]
            peer = await Peer(user, [server.url], rid).start()
            for _ in range(10):
                await peer.send()
            await acked_all([peer], timeout=10)
            assert len(peer.acks) == 10

            sent_during_cut: list[str] = []
            proxy.cut()
            for _ in range(20):
                sent_during_cut.append(await peer.send())
                await asyncio.sleep(0.01)  # pacing: 100 sends/s into the cut (the workload)
            rest = await asyncio.to_thread(
                user.http.post, f"rooms/{rid}/messages", json={"body": "via REST", "client_id": "rest-cut"}
            )
            with contextlib.suppress(AssertionError):  # the assertions below say which was not
                await wait_until_async(
                    lambda: all(cid in peer.errors or cid in peer.acks for cid in sent_during_cut),
                    interval=0.05,
                )
            answered_with_error = [cid for cid in sent_during_cut if cid in peer.errors]
            assert not [cid for cid in sent_during_cut if cid in peer.acks], "an ack while the DB is cut"
            assert answered_with_error == sent_during_cut, "every send gets an explicit error"
            codes = {code for cid in sent_during_cut for code in peer.errors[cid]}
            assert codes <= {"server_error", "unavailable"}, codes
            assert rest.status_code == 503, rest.text
            assert rest.json()["error"]["code"] == "unavailable"

            proxy.restore()
            await acked_all([peer], timeout=20, retry_every=0.5)
            rest_retry = user.http.post(
                f"rooms/{rid}/messages", json={"body": "via REST", "client_id": "rest-cut"}
            )
            assert rest_retry.status_code == 201
            assert (
                user.http.post(
                    f"rooms/{rid}/messages", json={"body": "via REST", "client_id": "rest-cut"}
                ).json()["id"]
                == rest_retry.json()["id"]
            )
            seqs = check_against_database(fault_db, rid, [peer])
            assert len(seqs) == 10 + 20 + 1
            await settle([peer], seqs, timeout=10)
            assert sorted(peer.timeline) == seqs
            figures(
                "postgres",
                sent_during_cut=len(sent_during_cut),
                errors=len(answered_with_error),
                false_acks=0,
                stored=len(seqs),
                stored_twice=0,
                codes=sorted(codes),
            )
        finally:
            if peer is not None:
                await peer.stop()
            server.stop()


@pytest.mark.fault
@pytest.mark.server_log_expects(*DATABASE_CUT_ERRORS)
async def test_database_cut_in_the_middle_of_a_burst_loses_nothing_acknowledged(fault_db: str) -> None:
    target = urlparse(fault_db)
    with TcpProxy(target.hostname or "127.0.0.1", target.port or 5432) as proxy:
        proxied = target._replace(netloc=f"{target.username}@127.0.0.1:{proxy.port}").geturl()
        server = ServerProcess(base_env(proxied, "", CONN_MAX_AGE="0", **FAST)).start()
        peers: list[Peer] = []
        try:
            users, room = crowd([server.url], 3)
            peers = [await Peer(u, [server.url], room["id"]).start() for u in users]
            stop = asyncio.Event()
            sending = asyncio.get_running_loop().create_task(traffic(peers, stop, every=0.005))
            await grown(lambda: acked(peers), 30, "sends acknowledged before the cut")
            proxy.cut()  # transactions in flight die with their connections
            await grown(lambda: refused(peers), 20, "sends refused while the database is cut")
            proxy.restore()
            await grown(lambda: acked(peers), 30, "sends acknowledged after the database came back")
            stop.set()
            sent = await sending
            await acked_all(peers, timeout=20, retry_every=0.5)
            seqs = check_against_database(fault_db, room["id"], peers)
            assert len(seqs) == sent
            took = await settle(peers, seqs, timeout=15)
            for peer in peers:
                assert sorted(peer.timeline) == seqs
            figures(
                "postgres-burst",
                sent=sent,
                stored=len(seqs),
                errors=sum(len(p.errors) for p in peers),
                lost=0,
                settle_s=round(took, 2),
            )
        finally:
            for peer in peers:
                await peer.stop()
            server.stop()


@pytest.mark.fault
async def test_a_killed_process_clients_resume_on_the_other_with_nothing_lost(fault_db: str) -> None:
    _db, redis_url = services_or_skip()
    env = base_env(fault_db, redis_url, **FAST)
    servers = [ServerProcess(env).start(), ServerProcess(env).start()]
    peers: list[Peer] = []
    try:
        urls = [s.url for s in servers]
        users, room = crowd(urls, 6)
        rid = room["id"]
        peers = [await Peer(u, [urls[i % 2], urls[(i + 1) % 2]], rid).start() for i, u in enumerate(users)]
        stop = asyncio.Event()
        sending = asyncio.get_running_loop().create_task(traffic(peers[:4], stop))
        await grown(lambda: acked(peers), 50, "sends acknowledged before the kill")
        servers[0].kill()  # SIGKILL: no goodbye to anyone
        await wait_until_async(
            lambda: sum(1 for p in peers if p.drops and p.connected) == 3,
            timeout=30,
            what="the killed process's clients to reconnect to the other one",
        )
        await grown(lambda: acked(peers), 50, "sends acknowledged after the kill")
        stop.set()
        sent = await sending
        await acked_all(peers, timeout=20)
        seqs = check_against_database(fault_db, rid, peers)
        took = await settle(peers, seqs, timeout=30)
        moved = [p for p in peers if p.drops]
        assert len(moved) == 3, "the killed process's clients reconnected"
        for peer in peers:
            assert sorted(peer.timeline) == seqs, (peer.name, set(seqs) - set(peer.timeline))
        figures(
            "process-kill",
            sent=sent,
            stored=len(seqs),
            moved_clients=len(moved),
            messages_checked=len(seqs) * len(peers),
            lost=0,
            settle_s=round(took, 2),
        )
    finally:
        for peer in peers:
            await peer.stop()
        for server in servers:
            server.stop()


# --- concurrency: runs on the embedded server and, with services, on the cluster ----


@pytest.fixture(params=[pytest.param("embedded", marks=pytest.mark.embedded_only), "cluster"])
def servers(request: pytest.FixtureRequest) -> list[ServerProcess]:
    if request.param == "embedded":
        return [request.getfixturevalue("live_server_embedded")]
    return list(request.getfixturevalue("live_cluster"))


def database_of(server: ServerProcess) -> str:
    return server.env["DATABASE_URL"]


async def test_the_same_client_id_sent_ten_times_at_once_is_stored_once(
    servers: list[ServerProcess],
) -> None:
    urls = [s.url for s in servers]
    user = guest(urls[0])
    room = user.create_room()
    rid = room["id"]
    sockets = [await user.socket(urls[i % len(urls)]) for i in range(9)]
    frame = {"type": "send", "room": rid, "body": "once, please", "client_id": "same-every-time"}

    def rest_send() -> httpx.Response:
        return user.http.post(
            f"rooms/{rid}/messages", json={"body": "once, please", "client_id": frame["client_id"]}
        )

    results = await asyncio.gather(asyncio.to_thread(rest_send), *(s.send(frame) for s in sockets))
    acks = [await s.recv_type("ack") for s in sockets]
    rest = results[0]
    assert isinstance(rest, httpx.Response) and rest.status_code in (200, 201)
    answers = {(a["id"], a["seq"]) for a in acks} | {(rest.json()["id"], rest.json()["seq"])}
    assert len(answers) == 1, answers
    firsts = len([a for a in acks if not a["duplicate"]]) + (rest.status_code == 201)
    assert firsts == 1, "exactly one answer says it stored the message"
    ((seq, msg_id, client_id, _sender),) = db_messages(database_of(servers[0]), rid)
    assert (msg_id, seq, client_id) == (*answers.pop(), "same-every-time")
    for s in sockets:
        await s.close()


async def test_twenty_concurrent_senders_get_unique_seqs_without_holes(servers: list[ServerProcess]) -> None:
    urls = [s.url for s in servers]
    users = [guest(urls[i % len(urls)]) for i in range(20)]
    room = users[0].create_room()
    rid = room["id"]
    for user in users[1:]:
        user.join(rid)
    sockets = [await u.socket(urls[i % len(urls)]) for i, u in enumerate(users)]
    per_sender = 5

    async def burst(n: int) -> list[dict[str, Any]]:
        for i in range(per_sender):
            await sockets[n].send({"type": "send", "room": rid, "body": f"{n}/{i}", "client_id": f"c{n}-{i}"})
        return [await sockets[n].recv_type("ack", timeout=30) for _ in range(per_sender)]

    acks = [a for batch in await asyncio.gather(*(burst(n) for n in range(20))) for a in batch]
    total = 20 * per_sender
    assert sorted(a["seq"] for a in acks) == list(range(1, total + 1))
    history = users[1].history(rid, limit=100)
    assert [m["seq"] for m in history] == list(range(1, total + 1))
    assert {m["client_id"] for m in history} == {f"c{n}-{i}" for n in range(20) for i in range(per_sender)}
    rows = db_messages(database_of(servers[0]), rid)
    assert [r[0] for r in rows] == list(range(1, total + 1))
    assert {(a["seq"], a["id"]) for a in acks} == {(r[0], r[1]) for r in rows}
    # Every member's socket saw the whole room once, in order.
    for s in sockets:
        frames = await s.messages(total, timeout=30)
        assert [f["seq"] for f in frames] == list(range(1, total + 1))
    for s in sockets:
        await s.close()
