"""Fakes for driving the realtime layer without a database, Redis or real time.

The realtime layer imports no app, so its tests need no Django models either:
a `FakeStore` plays the event log, a `FakeBackend` the wire (publishes are kept
until the test delivers, reorders or drops them), a `FakeClock` the timers.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Sequence
from typing import Any

from parley.realtime import protocol, wire
from parley.realtime.clock import Clock
from parley.realtime.config import RealtimeConfig
from parley.realtime.connection import Connection
from parley.realtime.hub import Hub


async def settle(rounds: int = 30) -> None:
    """Let every task that can run, run (no time passes)."""
    for _ in range(rounds):
        await asyncio.sleep(0)  # a turn of the loop, not a wait: the fake clock does not move


class FakeClock(Clock):
    """Time stands still until the test calls `advance`; sleepers wake in deadline order."""

    def __init__(self, start: float = 1_000_000.0):
        self.now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._order), future))
        await future

    async def advance(self, seconds: float) -> None:
        target = self.now + seconds
        await settle()
        while self._sleepers and self._sleepers[0][0] <= target:
            deadline, _, future = heapq.heappop(self._sleepers)
            self.now = max(self.now, deadline)
            if not future.done():
                future.set_result(None)
            await settle()
        self.now = target
        await settle()


class FakeStore:
    """The event log: per room, frames in seq order; counts the reads the hub makes."""

    def __init__(self) -> None:
        self.log: dict[int, list[str]] = {}
        self.event_reads = 0
        self.head_reads = 0

    def commit(self, room: int, body: str) -> tuple[int, str]:
        """Store a message event; returns its seq and frame text (what a service publishes)."""
        events = self.log.setdefault(room, [])
        seq = len(events) + 1
        text = protocol.message(room=room, seq=seq, message={"body": body})
        events.append(text)
        return seq, text

    async def events_after(self, room: int, after: int, limit: int) -> tuple[list[tuple[int, str]], int]:
        self.event_reads += 1
        events = self.log.get(room, [])
        rows = [(seq, text) for seq, text in enumerate(events, 1) if seq > after][:limit]
        return rows, len(events)

    async def room_heads(self, room_ids: Sequence[int]) -> dict[int, int]:
        self.head_reads += 1
        return {room: len(self.log.get(room, [])) for room in room_ids}


class FakeBackend:
    """Keeps what is published; the test decides what reaches the hub, and when."""

    def __init__(self, *, durable_signals: bool = True):
        self.durable_signals = durable_signals
        self.hub: Hub | None = None
        self.sent: list[str] = []
        self.topics: set[str] = set()

    def topic(self, kind: str, target: int) -> str:
        return wire.topic_for(kind, target, "parley")

    def publish(self, kind: str, target: int, data: str) -> None:
        self.sent.append(data)

    async def publish_async(self, kind: str, target: int, data: str) -> None:
        self.sent.append(data)

    async def start(self, hub: Hub) -> None:
        self.hub = hub

    async def subscribe(self, topic: str) -> None:
        self.topics.add(topic)

    async def unsubscribe(self, topic: str) -> None:
        self.topics.discard(topic)

    async def stop(self) -> None:
        self.hub = None


def event(room: int, seq: int, text: str) -> str:
    """The wire form of a logged event, as the hub receives it."""
    return wire.pack("r", room, seq, text)


class FakeSocket:
    """The far end of a Connection: what it was sent, and whether it was closed."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.closed_with: int | None = None
        self.stalled = False  # a peer that stopped reading: sends never complete

    async def send(self, text: str) -> None:
        if self.stalled:
            await asyncio.Event().wait()
        self.texts.append(text)

    async def close(self, code: int, reason: str = "") -> None:
        self.closed_with = code

    def seqs(self, room: int | None = None) -> list[int]:
        import json

        frames = [json.loads(t) for t in self.texts]
        return [f["seq"] for f in frames if f["type"] == "message" and (room is None or f["room"] == room)]

    def types(self) -> list[str]:
        import json

        return [json.loads(t)["type"] for t in self.texts]


class Rig:
    """A hub on fakes, and sockets attached to it."""

    def __init__(self, *, durable_signals: bool = True, backend: Any = None, **config: Any):
        self.clock = FakeClock()
        self.store = FakeStore()
        self.backend = backend or FakeBackend(durable_signals=durable_signals)
        self.config = RealtimeConfig(**config)
        self.hub = Hub(
            backend=self.backend,  # type: ignore[arg-type]
            config=self.config,
            fetch_events=self.store.events_after,
            fetch_heads=self.store.room_heads,
            clock=self.clock,
        )

    async def __aenter__(self) -> Rig:
        await self.hub.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.hub.stop()

    async def socket(
        self, rooms: dict[int, int], *, user_id: int = 1, compact: bool = False
    ) -> tuple[Connection, FakeSocket]:
        """A socket whose hello said each room's head was `rooms[room]` (as the consumer does);
        `compact`: opened with `?wire=compact`."""
        peer = FakeSocket()
        conn = Connection(
            hub=self.hub,
            user_id=user_id,
            auth_id="",
            rooms=set(rooms),
            send=peer.send,
            close=peer.close,
            compact=compact,
        )
        await self.hub.attach(conn)
        for room, head in rooms.items():
            conn.last[room] = head
            self.hub.note_head(room, head)
            conn.release(room)
        conn.start_writer()
        return conn, peer

    def publish(self, room: int, body: str) -> tuple[int, str]:
        """Commit a message and return its wire event (not yet delivered)."""
        seq, text = self.store.commit(room, body)
        return seq, event(room, seq, text)
