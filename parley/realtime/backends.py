"""How events travel between processes: in-memory (one process) or Redis pub/sub (one
Redis; a Redis Cluster's sharded pub/sub is `cluster.ClusterBackend`).

`publish` is called from service threads after commit and must never raise or
block for long: the database already holds the event, and a lost signal is
repaired by the hub's catch-up (see hub.Hub.sweep), so a dead Redis costs
latency, never messages.

Either way a process hands its own events to its own hub directly
(`LocalHandoff`), so its sockets never wait for the round trip through Redis;
with Redis the event is also published, tagged with the process's origin, and
the subscriber drops the echo of its own publishes.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import secrets
import threading
from collections.abc import Collection
from typing import Any, Protocol

from parley.realtime import metrics, wire
from parley.realtime.redisconn import RedisTarget

log = logging.getLogger(__name__)


class Receiver(Protocol):
    """What a backend hands events to: the process's hub (`hub.Hub`), named by what it
    does so that this module and the hub do not import each other."""

    loop: asyncio.AbstractEventLoop | None

    def receive(self, data: str) -> None: ...

    def receive_many(self, datas: list[str]) -> None: ...

    def resync(self, room_ids: Collection[int] | None = None) -> None: ...


class LocalHandoff:
    """Events published by this process's threads, handed to its hub on the event loop.

    Events that arrive while a hand-off is already scheduled join it, so the events of
    one group commit reach the hub as one batch and each socket gets its share of them
    in one write (`Hub.receive_many`), as a batch read from Redis does. Order is the
    order of `put`.
    """

    __slots__ = ("_buffer", "_lock", "hub")

    def __init__(self) -> None:
        self.hub: Receiver | None = None
        self._buffer: list[str] = []
        self._lock = threading.Lock()

    def put(self, data: str) -> None:
        hub = self.hub
        loop = hub.loop if hub is not None else None
        if loop is None or loop.is_closed():
            return
        with self._lock:
            self._buffer.append(data)
            if len(self._buffer) > 1:
                return  # a hand-off is already scheduled and will take this one too
        try:
            # In a context of its own, not a copy of the publishing thread's: the tasks the hub
            # spawns from here (a socket joining a room, a catch-up) must not inherit, say,
            # asgiref's mark of a sync_to_async call in progress, or their own database
            # reads would be refused as a deadlock.
            loop.call_soon_threadsafe(self._drain, context=contextvars.Context())
        except RuntimeError:  # the loop closed between the check and the call: nobody will drain
            with self._lock:
                self._buffer.clear()

    def _drain(self) -> None:
        with self._lock:
            datas, self._buffer = self._buffer, []
        hub = self.hub
        if hub is not None and datas:
            hub.receive_many(datas)


class MemoryBackend:
    """Single process: hand the event straight to the hub on its event loop."""

    durable_signals = True

    def __init__(self) -> None:
        self.hub: Receiver | None = None
        self.local = LocalHandoff()

    def topic(self, kind: str, target: int) -> str:
        return wire.topic_for(kind, target, "")

    def publish(self, kind: str, target: int, data: str) -> None:
        self.local.put(data)

    async def publish_async(self, kind: str, target: int, data: str) -> None:
        if self.hub is not None:
            self.hub.receive(data)

    async def start(self, hub: Receiver) -> None:
        self.hub = self.local.hub = hub

    async def subscribe(self, topic: str) -> None:
        return None

    async def unsubscribe(self, topic: str) -> None:
        return None

    async def stop(self) -> None:
        self.hub = self.local.hub = None


BATCH_MAX = 256


# What a process puts before the events it publishes to Redis: "@" and its origin id.
# No wire kind starts with "@", so an untagged event (a process from before the tag) still reads.
ORIGIN_MARK = "@"


def foreign(raw: list[bytes | str], origin: str) -> list[str]:
    """The events other processes published, their origin tag removed (this process's own,
    tagged `origin`, were delivered when it published them)."""
    out = []
    for item in raw:
        data = item.decode() if isinstance(item, bytes) else item
        if data.startswith(ORIGIN_MARK):
            if data.startswith(origin):
                continue
            data = data[data.index("|") + 1 :]
        out.append(data)
    return out


class RedisBackend:
    """Redis pub/sub: one PUBLISH per event, one subscriber connection per process.

    The publishing process delivers the event to its own sockets at once and ignores the
    echo Redis sends it back: its first writes then start right after the commit instead
    of after a PUBLISH, the subscriber's read and its parse on the event loop. The hub's
    per-room seq order holds as before: events from other processes arrive through Redis
    and an early one waits for the hole to fill (`Hub._room_event`).
    """

    durable_signals = False

    def __init__(self, url: str, prefix: str) -> None:
        self.target = RedisTarget(url)
        self.url = url
        self.prefix = prefix
        self.hub: Receiver | None = None
        self.local = LocalHandoff()
        self.origin = f"{ORIGIN_MARK}{secrets.token_hex(6)}|"
        self.topics: set[str] = {f"{prefix}:lobby"}
        self._sync = self.target.sync(
            socket_timeout=0.5, socket_connect_timeout=0.5, health_check_interval=30
        )
        self._async: Any = None
        self._pubsub: Any = None
        self._task: asyncio.Task[None] | None = None
        self._warned = threading.Event()
        self.connected = asyncio.Event()

    def topic(self, kind: str, target: int) -> str:
        return wire.topic_for(kind, target, self.prefix)

    def publish(self, kind: str, target: int, data: str) -> None:
        self.local.put(data)
        try:
            self._sync.publish(self.topic(kind, target), self.origin + data)
            self._warned.clear()
        except Exception as exc:
            if not self._warned.is_set():
                log.warning("Redis publish failed (%s); sockets catch up from the database", exc)
                self._warned.set()

    async def publish_async(self, kind: str, target: int, data: str) -> None:
        if self.hub is not None:
            self.hub.receive(data)
        try:
            client = self._client()
            await client.publish(self.topic(kind, target), self.origin + data)
        except Exception as exc:
            log.debug("Redis publish failed: %s", exc)

    def _client(self) -> Any:
        if self._async is None:
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff

            # No silent retries: a broken subscription must surface so the hub can resync.
            self._async = self.target.asyncio(
                retry=Retry(NoBackoff(), 0),
                socket_connect_timeout=1,
                health_check_interval=0,
            )
        return self._async

    async def start(self, hub: Receiver) -> None:
        self.hub = self.local.hub = hub
        self._task = asyncio.get_running_loop().create_task(self._run(), name="parley-redis-subscriber")

    async def _run(self) -> None:
        delay = 0.1
        first = True
        while True:
            try:
                pubsub = self._client().pubsub(ignore_subscribe_messages=True)
                initial = set(self.topics)
                await pubsub.subscribe(*initial)
                self._pubsub = pubsub
                # Topics added while the first SUBSCRIBE was in flight (a burst of
                # connects right after start) must not be left out.
                if late := self.topics - initial:
                    await pubsub.subscribe(*late)
                self.connected.set()
                if not first:
                    metrics.REDIS_RECONNECTS.inc()
                    log.info("Redis subscription restored; resyncing rooms from the database")
                    assert self.hub is not None
                    self.hub.resync()
                first = False
                delay = 0.1
                while True:
                    msg = await pubsub.get_message(timeout=5.0)
                    if msg is None:
                        await pubsub.ping()
                        continue
                    # Take whatever else is already buffered too: under load the hub
                    # then writes each socket's share of the batch in one syscall.
                    batch = [msg]
                    while len(batch) < BATCH_MAX and (more := await pubsub.get_message(timeout=0.0)):
                        batch.append(more)
                    datas = foreign([m["data"] for m in batch if m.get("type") == "message"], self.origin)
                    if datas and self.hub is not None:
                        self.hub.receive_many(datas)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.connected.clear()
                self._pubsub = None
                log.warning("Redis subscription lost (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def subscribe(self, topic: str) -> None:
        """Subscribe, waiting briefly for the connection so a new socket's snapshot follows it."""
        self.topics.add(topic)
        if not self.connected.is_set():
            try:
                await asyncio.wait_for(self.connected.wait(), 2.0)
            except TimeoutError:
                return  # Redis is away: the run loop subscribes every topic when it is back
        if self._pubsub is not None:
            try:
                await self._pubsub.subscribe(topic)
            except Exception as exc:  # the run loop resubscribes everything on reconnect
                log.debug("subscribe %s failed: %s", topic, exc)

    async def unsubscribe(self, topic: str) -> None:
        self.topics.discard(topic)
        if self._pubsub is not None:
            try:
                await self._pubsub.unsubscribe(topic)
            except Exception as exc:
                log.debug("unsubscribe %s failed: %s", topic, exc)

    async def stop(self) -> None:
        """Cancel the subscriber and close the connections, never waiting more than a few seconds."""
        self.hub = self.local.hub = None
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=2.0)
        for closable in (self._pubsub, self._async):
            if closable is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(closable.aclose(), 2.0)
        self._pubsub = self._async = None


class Backend(Protocol):
    """What the hub and the publisher use of a backend: `MemoryBackend`, `RedisBackend`
    (one Redis) or `cluster.ClusterBackend` (a Redis Cluster); chosen by
    `transports.make_backend`."""

    durable_signals: bool
    local: LocalHandoff

    def topic(self, kind: str, target: int) -> str: ...

    def publish(self, kind: str, target: int, data: str) -> None: ...

    async def publish_async(self, kind: str, target: int, data: str) -> None: ...

    async def start(self, hub: Receiver) -> None: ...

    async def subscribe(self, topic: str) -> None: ...

    async def unsubscribe(self, topic: str) -> None: ...

    async def stop(self) -> None: ...
