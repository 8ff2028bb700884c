"""The real backends as `parley.ws` wires them: a process's own events reach its sockets without
the trip through Redis, and every process still gets every event exactly once. (Here rather
than in the realtime layer's tests, which may not import the project's test helpers.)"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from parley.realtime import wire
from parley.realtime.backends import MemoryBackend, RedisBackend
from parley.realtime.tests.fakes import Rig
from parley.testing.live import refused_port, services_or_skip
from parley.testing.waits import wait_until_async

ROOM = 7


async def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    await wait_until_async(check, timeout=timeout)


async def publish_from_thread(rig: Rig, body: str) -> None:
    """Commit and publish as a service does: from a worker thread, after the commit."""
    seq, text = rig.store.commit(ROOM, body)
    await asyncio.to_thread(rig.backend.publish, "r", ROOM, wire.pack("r", ROOM, seq, text))


@pytest.mark.parametrize(
    "make", [MemoryBackend, lambda: RedisBackend(f"redis://127.0.0.1:{refused_port()}/0", "t")]
)
async def test_own_events_reach_local_sockets_at_once_even_with_redis_away(make: Callable[[], Any]) -> None:
    async with Rig(backend=make()) as rig:
        _, peer = await rig.socket({ROOM: 0})
        for body in ("a", "b", "c"):
            await publish_from_thread(rig, body)
        await until(lambda: len(peer.seqs()) == 3)
        # Unlogged frames from the loop (typing, presence) take the same short way.
        await rig.backend.publish_async("e", ROOM, wire.pack("e", ROOM, 0, '{"type":"typing"}'))
        await until(lambda: peer.types()[-1:] == ["typing"])
        assert peer.seqs() == [1, 2, 3]
        assert rig.store.event_reads == 0  # delivered, not repaired


async def test_two_processes_each_get_every_event_once() -> None:
    _, url = services_or_skip(postgres=False)
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    sender = RedisBackend(url, prefix)
    async with (
        Rig(backend=sender, prefix=prefix) as one,
        Rig(backend=RedisBackend(url, prefix), prefix=prefix) as two,
    ):
        two.store = one.store  # one database behind both processes
        two.hub.fetch_events, two.hub.fetch_heads = one.store.events_after, one.store.room_heads
        _, here = await one.socket({ROOM: 0}, user_id=1)
        _, there = await two.socket({ROOM: 0}, user_id=2)
        lobby_here, lobby_there = await one.socket({}, user_id=3), await two.socket({}, user_id=4)
        for body in ("a", "b"):
            await publish_from_thread(one, body)
        await publish_from_thread(two, "c")
        # An event from a process older than the origin tag (untagged) still reads.
        seq, text = one.store.commit(ROOM, "d")
        untagged = wire.pack("r", ROOM, seq, text)
        await asyncio.to_thread(sender._sync.publish, f"{prefix}:r:{ROOM}", untagged)
        await one.backend.publish_async("l", 0, wire.pack("l", 0, 0, '{"type":"lobby"}'))
        await until(lambda: here.seqs() == there.seqs() == [1, 2, 3, 4])
        await until(lambda: "lobby" in lobby_here[1].types() and "lobby" in lobby_there[1].types())
        # A fence: Redis hands a subscriber its messages in the order it ran the publishes, so
        # once each process has received a frame the *other* one published after everything
        # above, the echoes of its own publishes have come back (and been dropped) too.
        await two.backend.publish_async("e", ROOM, wire.pack("e", ROOM, 0, '{"type":"fence"}'))
        await until(lambda: "fence" in here.types())
        await one.backend.publish_async("e", ROOM, wire.pack("e", ROOM, 0, '{"type":"fence"}'))
        await until(lambda: there.types().count("fence") == 2)
        assert here.seqs() == there.seqs() == [1, 2, 3, 4]
        assert lobby_here[1].types().count("lobby") == lobby_there[1].types().count("lobby") == 1
        assert one.store.event_reads == 0
