"""Rooms sharded over a Redis Cluster (REDIS_CLUSTER_URL), and a master killed under traffic.

The test starts its own cluster (three masters with a replica each, on loopback ports) and
three Parley processes on PostgreSQL and that cluster. One user owns 300 rooms; a reader
socket on the first process is in all of them, two sender sockets on the other processes
send into them round-robin, so every message reaches the reader through a shard. Then one
master is killed with SIGKILL mid-traffic: its replica is promoted by the cluster, the
processes move their subscriptions to it and resync from the database. The promise: every
acknowledged message reaches the reader exactly once and in order per room. The time to
recover is printed in a `FIGURES` line (run with `-s`) and quoted in docs/scaling.md.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from parley.testing.faults import db_messages
from parley.testing.live import ServerProcess, base_env, migrate, private_database, services_or_skip
from parley.testing.rediscluster import RedisCluster, RoomsClient, require_redis_tools
from parley.testing.remote import RemoteUser
from parley.testing.waits import wait_until, wait_until_async

pytestmark = [pytest.mark.processes, pytest.mark.services]

ROOMS = 300
PREFIX = f"pcl{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def cluster() -> Iterator[RedisCluster]:
    require_redis_tools()
    services_or_skip()
    nodes = RedisCluster(masters=3, replicas=1, node_timeout=1000).start()
    try:
        yield nodes
    finally:
        nodes.stop()


@pytest.fixture(scope="module")
def servers(cluster: RedisCluster) -> Iterator[list[ServerProcess]]:
    _db, redis_url = services_or_skip()
    with private_database("postgres") as db:
        migrate(base_env(db))
        env = base_env(
            db,
            REDIS_CLUSTER_URL=cluster.url,
            # Django's cache and Celery's broker cannot be the cluster: the single Redis here.
            CACHE_URL=redis_url,
            CELERY_BROKER_URL=redis_url,
            PARLEY_REDIS_PREFIX=PREFIX,
            WS_SEND_RATE="2000",
            WS_SEND_BURST="4000",
            THROTTLE_ROOM_CREATE="100000/hour",
        )
        procs = [ServerProcess(env).start() for _ in range(3)]
        try:
            yield procs
        finally:
            for proc in procs:
                proc.stop()


def make_rooms(token: str, urls: list[str]) -> list[int]:
    """ROOMS private rooms of the token's user, made through every process at once."""
    from concurrent.futures import ThreadPoolExecutor

    def make(i: int) -> int:
        url = urls[i % len(urls)]
        r = httpx.post(
            f"{url}/api/v1/rooms",
            json={"name": f"shard-{i}", "visibility": "private"},
            headers={"Authorization": f"Token {token}"},
            timeout=30,
        )
        r.raise_for_status()
        return int(r.json()["id"])

    with ThreadPoolExecutor(len(urls)) as pool:
        return list(pool.map(make, range(ROOMS)))


def spublish_calls(node: Any) -> int:
    stats = node.client().info("commandstats")
    return int(stats.get("cmdstat_spublish", {}).get("calls", 0))


def shard_channels(node: Any) -> int:
    return len(node.client().execute_command("PUBSUB", "SHARDCHANNELS", f"{PREFIX}:*"))


def metric(url: str, name: str) -> float:
    text = httpx.get(url + "/metrics", timeout=5).text
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name + " "))


def figures(name: str, **values: Any) -> None:
    print(f"\nFIGURES {name} " + json.dumps(values, sort_keys=True))


async def test_a_master_killed_mid_traffic_loses_nothing_and_its_rooms_move_to_the_replica(
    cluster: RedisCluster, servers: list[ServerProcess]
) -> None:
    started = time.monotonic()
    owner = RemoteUser.register(servers[0].url)
    rooms = await asyncio.to_thread(make_rooms, owner.token, [s.url for s in servers])
    masters = cluster.masters()
    assert len(masters) == 3
    print(f"rooms made in {time.monotonic() - started:.1f} s")

    reader = await RoomsClient(owner.token, [servers[0].url], rooms, "reader").start()
    senders = [
        await RoomsClient(owner.token, [servers[1].url, servers[2].url], rooms, "sender-b").start(),
        await RoomsClient(owner.token, [servers[2].url, servers[1].url], rooms, "sender-c").start(),
    ]
    # The reader's process subscribed every room's channel, on the shard of its slot.
    await wait_until_async(
        lambda: sum(shard_channels(m) for m in masters) >= ROOMS, timeout=15, what="room channels subscribed"
    )
    per_shard_channels = {m.port: shard_channels(m) for m in masters}
    assert all(n > 0 for n in per_shard_channels.values()), per_shard_channels

    counter = 0
    sent_at: dict[str, float] = {}

    async def traffic(n: int, pace: float) -> None:
        nonlocal counter
        for _ in range(n):
            room = rooms[counter % ROOMS]
            sender = senders[counter % 2]
            client_id = f"m{counter}-{uuid.uuid4().hex[:6]}"
            sent_at[client_id] = time.monotonic()
            await sender.send(room, f"message {counter}", client_id)
            counter += 1
            await asyncio.sleep(pace)

    before = {m.port: spublish_calls(m) for m in masters}
    await traffic(600, 0.004)
    await wait_until_async(
        lambda: not any(s.pending for s in senders), timeout=30, what="the first sends acked"
    )
    await wait_until_async(
        lambda: len(reader.received_at) >= 600, timeout=30, what="the first 600 messages at the reader"
    )
    per_shard_publishes = {m.port: spublish_calls(m) - before[m.port] for m in masters}
    # Each of the three masters carried part of the rooms' traffic.
    assert all(n >= 100 for n in per_shard_publishes.values()), per_shard_publishes

    victim = masters[1]
    (replica,) = [n for n in cluster.nodes if n.alive and n.master_port() == victim.port]
    victim_rooms = {room for room in rooms if cluster.master_of(f"{PREFIX}:{{r:{room}}}").port == victim.port}
    assert victim_rooms
    traffic_task = asyncio.get_running_loop().create_task(traffic(900, 0.006))
    await asyncio.sleep(1.0)
    killed_at = time.monotonic()
    victim.kill9()
    await asyncio.to_thread(
        wait_until,
        lambda: replica.role() == "master" and cluster.ok(),
        timeout=30,
        what="the replica promoted",
    )
    promoted_after = time.monotonic() - killed_at
    await traffic_task

    # Every acknowledged message is stored once and reaches the reader, once, in order.
    deadline = time.monotonic() + 40
    while any(s.pending for s in senders) and time.monotonic() < deadline:
        await asyncio.sleep(1.0)
        for sender in senders:
            await sender.retry_pending()
    assert not any(s.pending for s in senders), [len(s.pending) for s in senders]
    acked = {cid: ack for s in senders for cid, ack in s.acks.items()}
    await wait_until_async(
        lambda: all(cid in reader.received_at for cid in acked),
        timeout=40,
        what="every acked message at the reader",
    )
    assert (reader.dupes, reader.disorder, reader.holes) == (0, 0, 0)
    for cid, (room, seq) in acked.items():
        assert reader.timeline[room].get(seq) == cid, (cid, room, seq)
    db_url = servers[0].env["DATABASE_URL"]
    for room in rooms[:: ROOMS // 30]:
        stored = [(seq, cid) for seq, _id, cid, _sender in db_messages(db_url, room)]
        assert [seq for seq, _ in stored] == list(range(1, len(stored) + 1)), room
        assert sorted(reader.timeline[room].items()) == stored, room

    # Recovery: the worst delay from an ack to the reader, for the failed shard's rooms, and
    # from when on their messages arrive live again (under half a second each).
    late = [
        (acked_at := s.acked_at[cid], reader.received_at[cid] - acked_at)
        for s in senders
        for cid, (room, _seq) in s.acks.items()
        if room in victim_rooms and cid in s.acked_at and s.acked_at[cid] >= killed_at
    ]
    assert late, "messages to the failed shard's rooms were acked after the kill"
    worst = max(delay for _at, delay in late)
    slow = [at for at, delay in late if delay > 0.5]
    live_again = (max(slow) - killed_at) if slow else 0.0
    moves = metric(servers[0].url, "parley_redis_shard_moves_total")
    assert moves >= len(victim_rooms), (moves, len(victim_rooms))
    figures(
        "cluster_failover",
        rooms=ROOMS,
        per_shard_channels=per_shard_channels,
        per_shard_publishes=per_shard_publishes,
        victim_rooms=len(victim_rooms),
        messages=len(acked),
        promoted_s=round(promoted_after, 2),
        worst_delay_s=round(worst, 2),
        live_again_s=round(live_again, 2),
        channels_moved_on_reader_process=moves,
    )
    assert live_again < 15, live_again
    for client in (reader, *senders):
        await client.stop()
