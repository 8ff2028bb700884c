"""Putting an event on the wire: pack it once and hand it to the backend.

`publish` (the functions services call) defers to the transaction's commit and
then calls `Publisher.publish`; the WebSocket interface and the presence
tracker publish unlogged frames (typing, presence) at once with `publish_now`.
"""

from __future__ import annotations

from parley.realtime import wire
from parley.realtime.backends import Backend
from parley.realtime.metrics import DeliveryTimer


class Publisher:
    __slots__ = ("backend", "timer")

    def __init__(self, backend: Backend, timer: DeliveryTimer | None = None):
        self.backend = backend
        self.timer = timer

    def publish(self, kind: str, target: int, arg: str | int, payload: str) -> None:
        """From any thread; never raises (a lost signal is repaired from the database)."""
        if kind == "r" and self.timer is not None:
            self.timer.published(target, int(arg))  # delivery latency starts at the commit
        self.backend.publish(kind, target, wire.pack(kind, target, arg, payload))

    async def publish_now(self, kind: str, target: int, arg: str | int, payload: str) -> None:
        """From the event loop, for frames that are not logged (typing, presence)."""
        await self.backend.publish_async(kind, target, wire.pack(kind, target, arg, payload))

    async def room_frame(self, room_id: int, text: str) -> None:
        await self.publish_now("e", room_id, 0, text)
