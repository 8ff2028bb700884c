"""The send rate and the socket cap hold per user across processes when Redis is shared.

Two real uvicorn processes on PostgreSQL + Redis with tight limits: a user
cannot buy a fresh allowance or more sockets by reconnecting to the other one.
And the Redis limits themselves: a crashed process's sockets stop counting once
its heartbeat expires; on one Redis and on a Redis Cluster (each script's keys share
the user's hash slot, so none is refused with CROSSSLOT).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import websockets
from websockets.typing import Origin

from parley.realtime.limits import RedisLimits
from parley.realtime.redisconn import RedisTarget
from parley.realtime.tests.fakes import FakeClock
from parley.testing.live import ServerProcess, base_env, migrate, private_database, services_or_skip
from parley.testing.rediscluster import RedisCluster, require_redis_tools
from parley.testing.remote import RemoteUser

BURST = 5
MAX_SOCKETS = 3


@pytest.fixture(scope="module")
def tight_cluster() -> Iterator[list[ServerProcess]]:
    _db, redis_url = services_or_skip()
    with private_database("postgres") as db:
        env = base_env(
            db,
            redis_url,
            WS_SEND_RATE="0.01",
            WS_SEND_BURST=str(BURST),
            WS_MAX_SOCKETS_PER_USER=str(MAX_SOCKETS),
        )
        migrate(env)
        servers = [ServerProcess(env).start(), ServerProcess(env).start()]
        try:
            yield servers
        finally:
            for server in servers:
                server.stop()


@pytest.mark.processes
async def test_the_socket_cap_counts_sockets_on_every_process(tight_cluster: list[ServerProcess]) -> None:
    one, two = tight_cluster
    alice = RemoteUser.register(one.url)
    held = [await alice.socket(one.url), await alice.socket(one.url), await alice.socket(two.url)]
    url = two.ws_url + f"?token={alice.token}"
    async with websockets.connect(url, origin=Origin(two.url), compression=None) as extra:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await extra.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4029
    await held[0].close()  # a slot frees on process one: process two may use it
    replacement = await alice.socket(two.url)
    assert replacement.hello["type"] == "hello"
    for sock in (*held[1:], replacement):
        await sock.close()


@pytest.mark.processes
async def test_reconnecting_to_another_process_buys_no_fresh_allowance(
    tight_cluster: list[ServerProcess],
) -> None:
    one, two = tight_cluster
    alice = RemoteUser.register(one.url)
    room = alice.create_room()
    a = await alice.socket(one.url)
    for i in range(BURST):
        await a.send({"type": "send", "room": room["id"], "body": f"m{i}", "client_id": f"a-{i}"})
        assert (await a.recv_type("ack"))["seq"] == i + 1
    await a.close()
    b = await alice.socket(two.url)
    await b.send({"type": "send", "room": room["id"], "body": "one more", "client_id": "b-1"})
    refused = await b.recv_type("error")
    assert (refused["code"], refused["ref"]) == ("rate_limited", "b-1")
    r = alice.http.post(f"rooms/{room['id']}/messages", json={"body": "over REST", "client_id": "c-1"})
    assert r.status_code == 429  # REST shares the same bucket
    await b.close()


@pytest.fixture(scope="module", params=["one Redis", "Redis Cluster"])
def target(request: pytest.FixtureRequest) -> Iterator[RedisTarget]:
    """REDIS_URL's Redis, or a private cluster of three masters (no replicas)."""
    _db, redis_url = services_or_skip(postgres=False)
    if request.param == "one Redis":
        yield RedisTarget(redis_url)
        return
    require_redis_tools()
    nodes = RedisCluster(masters=3, replicas=0).start()
    try:
        yield RedisTarget(nodes.url, cluster=True)
    finally:
        nodes.stop()


def _limits(target: RedisTarget, prefix: str, process: str, clock: FakeClock) -> RedisLimits:
    return RedisLimits(
        target=target,
        prefix=prefix,
        process_id=process,
        rate=0.01,  # no refill within the test
        burst=2,
        max_sockets=2,
        process_ttl=30.0,
        clock=clock,
    )


async def test_a_crashed_process_stops_holding_its_users_sockets_once_its_heartbeat_expires(
    target: RedisTarget,
) -> None:
    clock, prefix = FakeClock(), f"parleytest{uuid.uuid4().hex[:8]}"
    crashed, alive = (
        _limits(target, prefix, "p-crashed", clock),
        _limits(target, prefix, "p-alive", clock),
    )
    await crashed.refresh()
    await alive.refresh()
    assert await crashed.socket_acquire(1) and await crashed.socket_acquire(1)
    assert not await alive.socket_acquire(1)  # two sockets elsewhere: the cap is reached
    await clock.advance(20.0)
    await alive.refresh()  # the crashed process no longer refreshes
    assert not await alive.socket_acquire(1)
    await clock.advance(20.0)  # 40 s since its last heartbeat: past the 30 s expiry
    assert await alive.socket_acquire(1)
    await alive.socket_release(1)
    await alive.stop()
    await crashed.stop()


async def test_the_heartbeat_writes_socket_counts_only_when_redis_lost_them(target: RedisTarget) -> None:
    clock, prefix = FakeClock(), f"parleytest{uuid.uuid4().hex[:8]}"
    one, two = _limits(target, prefix, "p1", clock), _limits(target, prefix, "p2", clock)
    raw = target.sync()
    await one.refresh()
    await two.refresh()
    assert await one.socket_acquire(1) and await one.socket_acquire(1)
    # Steady state: the heartbeat leaves the counts alone (one command per connected user
    # on every heartbeat was a stall of the event loop with many users online).
    raw.hset(f"{prefix}:limit:sockets:{{u:1}}", "p1", 1)
    await one.refresh()
    assert raw.hget(f"{prefix}:limit:sockets:{{u:1}}", "p1") == b"1"
    # Redis restarted empty: the process's record is gone, so the next heartbeat writes
    # every count again and the cap holds on the other process.
    raw.delete(f"{prefix}:limit:sockets:{{u:1}}", f"{prefix}:processes")
    await one.refresh()
    assert raw.hget(f"{prefix}:limit:sockets:{{u:1}}", "p1") == b"2"
    await two.refresh()
    assert not await two.socket_acquire(1)
    raw.delete(f"{prefix}:limit:sockets:{{u:1}}", f"{prefix}:processes")
    raw.close()
    await one.stop()
    await two.stop()


async def test_the_send_bucket_is_one_per_user_across_processes(target: RedisTarget) -> None:
    clock, prefix = FakeClock(), f"parleytest{uuid.uuid4().hex[:8]}"
    one, two = _limits(target, prefix, "p1", clock), _limits(target, prefix, "p2", clock)
    assert one.allow_send_sync(7) and two.allow_sends_sync([8, 7, 8]) == [True, True, True]
    assert two.allow_sends_sync([7, 8, 9]) == [False, False, True]  # 7 and 8 spent their 2 across processes
    assert not one.allow_send_sync(7) and one.allow_sends_sync([8]) == [False]
    await one.stop()
    await two.stop()


async def test_a_flood_is_refused_in_process_and_what_passes_is_checked_in_redis(target: RedisTarget) -> None:
    clock, prefix = FakeClock(), f"parleytest{uuid.uuid4().hex[:8]}"
    one, two = _limits(target, prefix, "p1", clock), _limits(target, prefix, "p2", clock)
    # Process one admits the burst (2) and refuses the rest at once, without Redis.
    assert [one.admit_send(5) for _ in range(4)] == [True, True, False, False]
    assert one.confirm_sends_sync([5, 5]) == [True, True]
    # Process two has seen nothing of user 5, but the shared bucket is empty.
    assert two.admit_send(5)
    assert two.confirm_sends_sync([5]) == [False]
    await one.stop()
    await two.stop()
