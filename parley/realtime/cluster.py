"""Events between processes over a Redis Cluster: sharded pub/sub (Redis 7).

Each room's channel `<prefix>:{r:<id>}` (a user's `<prefix>:{u:<id>}`, the lobby's
`<prefix>:{lobby}`) lives on the shard that serves its hash slot: `SPUBLISH` goes to
that shard's master only, and only the processes subscribed there receive a copy. So a
room's traffic costs one shard, and the shards add up (docs/scaling.md, "Redis Cluster").

Publishing uses redis-py's `RedisCluster` (it follows the slot map and MOVED). Receiving
does not: a process keeps one subscriber connection per shard master it needs (the
masters serving the channels of its sockets' rooms and users, and the lobby's), each a
plain connection with its own task, reading the slot map itself (`CLUSTER SLOTS`). When a
shard's connection drops (its master died, a replica is being promoted) or the server
says a channel moved (`sunsubscribe` for a channel we still want: its slot migrated),
the map is read again, the channels go to the master now serving them, and once they are
subscribed there the hub resyncs from the database exactly as after a Redis restart
(`Hub.resync`): whatever was published to the old master and never delivered is read
from the database, in seq order, once.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import re
import secrets
import threading
from collections import defaultdict
from typing import Any
from urllib.parse import urlparse

from parley.realtime import backends, metrics, wire
from parley.realtime.backends import BATCH_MAX, ORIGIN_MARK, LocalHandoff, Receiver
from parley.realtime.redisconn import RedisTarget, room_tag, user_tag

log = logging.getLogger(__name__)

ROOM_CHANNEL = re.compile(r"\{r:(\d+)\}$")

Address = tuple[str, int]


def channel_for(kind: str, target: int, prefix: str) -> str:
    """The sharded channel of an event: a room's, a user's, or the lobby's (one slot each)."""
    if kind in wire.ROOM_KINDS:
        return f"{prefix}:{room_tag(target)}"
    if kind in wire.USER_KINDS:
        return f"{prefix}:{user_tag(target)}"
    return f"{prefix}:{{lobby}}"


def slot_of(channel: str) -> int:
    from redis.crc import key_slot

    return int(key_slot(channel.encode()))


class SlotMap:
    """Which master serves each hash slot, read with `CLUSTER SLOTS` from any node that
    answers (the nodes last seen first, then the seed)."""

    def __init__(self, seed: Address):
        self.seed = seed
        self.starts: list[int] = []
        self.ranges: list[tuple[int, int, Address]] = []
        self.known: list[Address] = [seed]

    def owner(self, slot: int) -> Address | None:
        i = bisect.bisect_right(self.starts, slot) - 1
        if i >= 0:
            start, end, address = self.ranges[i]
            if start <= slot <= end:
                return address
        return None

    def load(self, rows: list[Any]) -> None:
        ranges = []
        known: list[Address] = []
        for row in rows:
            start, end, master, *replicas = row
            address = (_text(master[0]), int(master[1]))
            ranges.append((int(start), int(end), address))
            for node in (master, *replicas):
                where = (_text(node[0]), int(node[1]))
                if where not in known:
                    known.append(where)
        ranges.sort()
        self.ranges = ranges
        self.starts = [start for start, _end, _address in ranges]
        self.known = known + ([self.seed] if self.seed not in known else [])

    async def refresh(self, target: RedisTarget, skip: Address | None = None) -> bool:
        """Read the map from the first node that answers; False when none did."""
        for host, port in [a for a in self.known if a != skip] + ([skip] if skip else []):
            client = target.node(host, port, socket_connect_timeout=0.5, socket_timeout=1.0)
            try:
                rows = await client.execute_command("CLUSTER", "SLOTS")
            except Exception as exc:
                log.debug("CLUSTER SLOTS from %s:%s failed: %s", host, port, exc)
                continue
            finally:
                with contextlib.suppress(Exception):
                    await client.aclose()
            if rows:
                self.load(rows)
                return True
        return False


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class ShardSubscriber:
    """One connection to one shard's master, subscribed to the channels it serves."""

    def __init__(self, backend: ClusterBackend, address: Address):
        self.backend = backend
        self.address = address
        self.channels: set[str] = set()
        self.leaving: set[str] = set()  # unsubscribed by us: their confirmation is no move
        self.pubsub: Any = None
        self.client: Any = None
        self.connected = asyncio.Event()
        self.owed: set[str] = set()  # channels that came here from a lost shard: resync once subscribed
        self.task: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        return f"{self.address[0]}:{self.address[1]}"

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run(), name=f"parley-shard-{self.name}")

    async def add(self, channels: set[str], *, resync: bool = False) -> None:
        new = channels - self.channels
        self.channels |= channels
        self.leaving -= channels
        if resync:
            self.owed |= channels
        if self.pubsub is not None and new:
            try:
                await _ssubscribe(self.pubsub, new)
            except Exception as exc:  # the run loop subscribes everything when it reconnects
                log.debug("SSUBSCRIBE on %s failed: %s", self.name, exc)
                return
            if self.owed:
                owed, self.owed = self.owed, set()
                self.backend.resync(owed)

    async def remove(self, channel: str) -> None:
        self.channels.discard(channel)
        if self.pubsub is not None:
            self.leaving.add(channel)
            try:
                await self.pubsub.sunsubscribe(channel)
            except Exception as exc:
                log.debug("SUNSUBSCRIBE on %s failed: %s", self.name, exc)

    async def _run(self) -> None:
        delay = 0.05
        lost = False
        while self.channels:
            try:
                await self._connect()
                if lost:
                    metrics.REDIS_RECONNECTS.inc()
                    log.info(
                        "Redis shard %s subscription restored; resyncing rooms from the database", self.name
                    )
                # This shard's rooms only: the other shards' subscriptions lost nothing.
                owed, self.owed = (set(self.channels) if lost else self.owed), set()
                if owed:
                    self.backend.resync(owed)
                lost = False
                delay = 0.05
                await self._read()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.connected.clear()
                self.pubsub = None
                await self._close_client()
                if not lost:
                    log.warning(
                        "Redis shard %s subscription lost (%s); finding its channels' master", self.name, exc
                    )
                lost = True
                await self.backend.reroute(self)
                if not self.channels:
                    break  # every channel moved to another master (a failover)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
        self.backend.forget(self)

    async def _connect(self) -> None:
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        host, port = self.address
        # No silent retries: a broken subscription must surface so the hub can resync.
        self.client = self.backend.target.node(
            host, port, retry=Retry(NoBackoff(), 0), socket_connect_timeout=1, health_check_interval=0
        )
        pubsub = self.client.pubsub()
        initial = set(self.channels)
        await _ssubscribe(pubsub, initial)
        self.pubsub = pubsub
        if late := self.channels - initial:  # added while the first SSUBSCRIBE was in flight
            await _ssubscribe(pubsub, late)
        self.leaving.clear()
        self.connected.set()

    async def _read(self) -> None:
        pubsub = self.pubsub
        backend = self.backend
        while True:
            msg = await pubsub.get_message(timeout=5.0)
            if msg is None:
                await pubsub.ping()
                continue
            # Take whatever else is already buffered too: the hub writes each socket's share
            # of the batch in one go.
            batch = [msg]
            while len(batch) < BATCH_MAX and (more := await pubsub.get_message(timeout=0.0)):
                batch.append(more)
            datas = []
            moved = []
            for m in batch:
                kind = m.get("type")
                if kind == "smessage":
                    datas.append(m["data"])
                elif kind == "sunsubscribe":
                    channel = _text(m["channel"])
                    if channel in self.leaving:
                        self.leaving.discard(channel)
                    elif channel in self.channels:
                        moved.append(channel)  # the server dropped it: its slot moved
            if datas and backend.hub is not None:
                foreign = backends.foreign(datas, backend.origin)
                if foreign:
                    backend.hub.receive_many(foreign)
            if moved:
                log.info("Redis shard %s gave up %d channel(s) (slot moved)", self.name, len(moved))
                self.channels.difference_update(moved)
                await backend.place(set(moved), resync=True)

    async def _close_client(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.aclose(), 2.0)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.wait({self.task}, timeout=2.0)
        if self.pubsub is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.pubsub.aclose(), 2.0)
        self.pubsub = None
        await self._close_client()


async def _ssubscribe(pubsub: Any, channels: set[str]) -> None:
    """SSUBSCRIBE takes several channels only of one slot: one command per slot (each only
    written, not waited for: the confirmations arrive as messages)."""
    by_slot: dict[int, list[str]] = defaultdict(list)
    for channel in channels:
        by_slot[slot_of(channel)].append(channel)
    for group in by_slot.values():
        await pubsub.ssubscribe(*group)


class ClusterBackend:
    """Sharded pub/sub over a Redis Cluster: one SPUBLISH per event on its channel's shard,
    one subscriber connection per shard master this process needs."""

    durable_signals = False

    def __init__(self, target: RedisTarget, prefix: str) -> None:
        self.target = target
        self.prefix = prefix
        self.hub: Receiver | None = None
        self.local = LocalHandoff()
        self.origin = f"{ORIGIN_MARK}{secrets.token_hex(6)}|"
        parsed = urlparse(target.url)
        self.slots = SlotMap((parsed.hostname or "127.0.0.1", parsed.port or 6379))
        self.lobby = channel_for("l", 0, prefix)
        self.channels: set[str] = {self.lobby}
        self.shards: dict[Address, ShardSubscriber] = {}
        self._sync: Any = None
        self._sync_lock = threading.Lock()
        self._async: Any = None
        self._warned = threading.Event()
        self._placing = asyncio.Lock()
        self._started = False

    def topic(self, kind: str, target: int) -> str:
        return channel_for(kind, target, self.prefix)

    # --- publishing ------------------------------------------------------------------
    def _sync_client(self) -> Any:
        client = self._sync
        if client is None:
            with self._sync_lock:
                if self._sync is None:
                    # Made on first use, not at start: a cluster unreachable then must not
                    # stop the process (the publish fails, the hub repairs it).
                    self._sync = self.target.sync(socket_timeout=0.5, socket_connect_timeout=0.5)
                client = self._sync
        return client

    def publish(self, kind: str, target: int, data: str) -> None:
        self.local.put(data)
        try:
            self._sync_client().spublish(self.topic(kind, target), self.origin + data)
            self._warned.clear()
        except Exception as exc:
            if not self._warned.is_set():
                log.warning("Redis Cluster publish failed (%s); sockets catch up from the database", exc)
                self._warned.set()

    async def publish_async(self, kind: str, target: int, data: str) -> None:
        if self.hub is not None:
            self.hub.receive(data)
        try:
            if self._async is None:
                self._async = self.target.asyncio(socket_timeout=0.5, socket_connect_timeout=0.5)
            await self._async.spublish(self.topic(kind, target), self.origin + data)
        except Exception as exc:
            log.debug("Redis Cluster publish failed: %s", exc)

    # --- subscribing -----------------------------------------------------------------
    async def start(self, hub: Receiver) -> None:
        self.hub = self.local.hub = hub
        self._started = True
        if not await self.slots.refresh(self.target):
            log.warning("no Redis Cluster node answered CLUSTER SLOTS; the lobby subscribes when one does")
        await self.place({self.lobby})

    async def subscribe(self, topic: str) -> None:
        """Subscribe on the channel's shard, waiting briefly for its connection so a new
        socket's snapshot follows the subscription."""
        self.channels.add(topic)
        shard = await self.place({topic})
        if shard is not None and not shard.connected.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(shard.connected.wait(), 2.0)

    async def unsubscribe(self, topic: str) -> None:
        self.channels.discard(topic)
        for shard in list(self.shards.values()):
            if topic in shard.channels:
                await shard.remove(topic)
                if not shard.channels:  # this process needs that shard no more
                    self.shards.pop(shard.address, None)
                    await shard.stop()

    async def place(self, channels: set[str], *, resync: bool = False) -> ShardSubscriber | None:
        """Hand each channel to the subscriber of the master serving its slot (started when
        it is the first channel there). Returns the last subscriber used."""
        if not self.slots.ranges and not await self.slots.refresh(self.target):
            self._park(channels)
            return None
        groups: dict[Address, set[str]] = defaultdict(set)
        unserved = set()
        for channel in channels:
            if channel not in self.channels:
                continue  # unsubscribed meanwhile
            owner = self.slots.owner(slot_of(channel))
            if owner is None:
                unserved.add(channel)
            else:
                groups[owner].add(channel)
        if unserved:
            self._park(unserved)
        shard = None
        for address, group in groups.items():
            shard = self.shards.get(address)
            if shard is None:
                shard = self.shards[address] = ShardSubscriber(self, address)
                shard.channels |= group
                shard.owed = set(group) if resync else set()
                if self._started:
                    shard.start()
            else:
                await shard.add(group, resync=resync)
        return shard

    def _park(self, channels: set[str]) -> None:
        """No map, or a slot no master serves (mid-failover): try again shortly."""
        if self.hub is None:
            return

        async def later() -> None:
            await asyncio.sleep(0.2)
            await self.slots.refresh(self.target)
            await self.place(channels, resync=True)

        asyncio.get_running_loop().create_task(later())

    async def reroute(self, shard: ShardSubscriber) -> None:
        """A shard's connection failed: read the map again and move the channels whose slots
        another master serves now (a promoted replica) to that master's subscriber."""
        async with self._placing:
            await self.slots.refresh(self.target, skip=shard.address)
            moving = {c for c in shard.channels if self.slots.owner(slot_of(c)) not in (shard.address, None)}
            if moving:
                shard.channels -= moving
                metrics.REDIS_SHARD_MOVES.inc(len(moving))
                log.info(
                    "moving %d channel(s) from Redis shard %s to their new master", len(moving), shard.name
                )
                await self.place(moving, resync=True)

    def forget(self, shard: ShardSubscriber) -> None:
        if self.shards.get(shard.address) is shard:
            del self.shards[shard.address]

    def resync(self, channels: set[str]) -> None:
        """Repair, from the database, the rooms of `channels` (their signals may have gone to
        a master that died, or to the old owner of a slot that moved)."""
        rooms = {int(m.group(1)) for channel in channels if (m := ROOM_CHANNEL.search(channel))}
        if rooms and self.hub is not None:
            self.hub.resync(rooms)

    @property
    def connected(self) -> bool:
        """Every shard this process needs has its subscription up (for tests and health)."""
        return all(shard.connected.is_set() for shard in self.shards.values())

    async def stop(self) -> None:
        """Cancel the subscribers and close the connections, never waiting more than a few seconds."""
        self.hub = self.local.hub = None
        shards, self.shards = list(self.shards.values()), {}
        for shard in shards:
            await shard.stop()
        if self._async is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._async.aclose(), 2.0)
        self._async = None
        if self._sync is not None:
            with contextlib.suppress(Exception):
                self._sync.close()
