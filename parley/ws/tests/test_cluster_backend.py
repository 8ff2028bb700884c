"""The Redis Cluster backend on a real cluster (no Parley processes): every process gets every
event of a room once, in order, and keeps getting them when the room's slot moves to another
master (the server drops the subscription with `sunsubscribe`; the backend subscribes on the
new master and resyncs). The failover under traffic, with processes, is test_cluster.py."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest

from parley.realtime import wire
from parley.realtime.cluster import ClusterBackend, channel_for
from parley.realtime.redisconn import RedisTarget
from parley.realtime.tests.fakes import Rig
from parley.testing.live import services_or_skip
from parley.testing.rediscluster import RedisCluster, require_redis_tools
from parley.testing.waits import wait_until_async

pytestmark = [pytest.mark.processes, pytest.mark.services]

ROOM = 7


@pytest.fixture(scope="module")
def cluster() -> Iterator[RedisCluster]:
    services_or_skip(postgres=False)  # the services pass (the embedded one has no Redis at all)
    require_redis_tools()
    nodes = RedisCluster(masters=3, replicas=0).start()
    try:
        yield nodes
    finally:
        nodes.stop()


async def publish_from_thread(rig: Rig, body: str) -> None:
    seq, text = rig.store.commit(ROOM, body)
    await asyncio.to_thread(rig.backend.publish, "r", ROOM, wire.pack("r", ROOM, seq, text))


def move_slot(cluster: RedisCluster, slot: int, to_port: int) -> None:
    """Hand `slot` (empty of keys: pub/sub only) to the master on `to_port`, as
    `redis-cli --cluster reshard` ends: CLUSTER SETSLOT <slot> NODE <id> on every master."""
    target_id = cluster.node(to_port).client().execute_command("CLUSTER", "MYID")
    for node in cluster.masters():
        node.client().execute_command("CLUSTER", "SETSLOT", slot, "NODE", target_id)


async def test_every_event_once_in_order_across_processes_and_a_slot_moving(cluster: RedisCluster) -> None:
    from redis.crc import key_slot

    target = RedisTarget(cluster.url, cluster=True)
    prefix = f"tc{uuid.uuid4().hex[:6]}"
    channel = channel_for("r", ROOM, prefix)
    async with (
        Rig(backend=ClusterBackend(target, prefix), prefix=prefix) as one,
        Rig(backend=ClusterBackend(target, prefix), prefix=prefix) as two,
    ):
        two.store = one.store  # one database behind both processes
        two.hub.fetch_events, two.hub.fetch_heads = one.store.events_after, one.store.room_heads
        _, here = await one.socket({ROOM: 0}, user_id=1)
        _, there = await two.socket({ROOM: 0}, user_id=2)
        for body in ("a", "b"):
            await publish_from_thread(one, body)
        await publish_from_thread(two, "c")
        await wait_until_async(lambda: here.seqs() == there.seqs() == [1, 2, 3], timeout=10)

        source = cluster.master_of(channel)
        (other, *_rest) = [m for m in cluster.masters() if m.port != source.port]
        backend = two.backend
        assert isinstance(backend, ClusterBackend)
        assert channel in backend.shards[("127.0.0.1", source.port)].channels
        move_slot(cluster, key_slot(channel.encode()), other.port)
        await wait_until_async(
            lambda: (
                ("127.0.0.1", other.port) in backend.shards
                and channel in backend.shards[("127.0.0.1", other.port)].channels
                and backend.shards[("127.0.0.1", other.port)].connected.is_set()
            ),
            timeout=10,
            what="the room's channel subscribed on its new master",
        )
        for body in ("d", "e"):
            await publish_from_thread(one, body)  # the publisher follows MOVED
        await publish_from_thread(two, "f")
        await wait_until_async(lambda: here.seqs() == there.seqs() == [1, 2, 3, 4, 5, 6], timeout=10)
        await asyncio.sleep(0.3)  # nothing more arrives: no event twice
        assert here.seqs() == there.seqs() == [1, 2, 3, 4, 5, 6]
        assert int(other.client().execute_command("PUBSUB", "SHARDNUMSUB", channel)[1]) == 2
