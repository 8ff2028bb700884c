"""Group commit for WebSocket sends: one transaction per room at a time, per process.

While a room's batch is being committed, further sends to that room wait and
then go together in the next transaction. At low load a batch is one message
and nothing changes; under load the room row lock and the commit are paid
once per batch instead of once per message, and the process publishes each
room's events in seq order (fewer reorderings for the hub to repair).
"""

from __future__ import annotations

import asyncio
import logging

from channels.db import database_sync_to_async

from parley.common.errors import ServiceError
from parley.messaging import services as messaging

log = logging.getLogger(__name__)

MAX_BATCH = 100

send_batch = database_sync_to_async(messaging.message_send_batch, thread_sensitive=False)


class SendBatcher:
    def __init__(self) -> None:
        self.pending: dict[int, list[tuple[messaging.SendRequest, asyncio.Future[messaging.SendResult]]]] = {}
        self.running: set[int] = set()

    async def send(self, room_id: int, request: messaging.SendRequest) -> messaging.SendResult:
        """Store `request` (batched with its neighbours); raises the ServiceError that refused it."""
        future: asyncio.Future[messaging.SendResult] = asyncio.get_running_loop().create_future()
        self.pending.setdefault(room_id, []).append((request, future))
        if room_id not in self.running:
            self.running.add(room_id)
            asyncio.get_running_loop().create_task(self._run(room_id))
        return await future

    async def _run(self, room_id: int) -> None:
        try:
            while queue := self.pending.get(room_id):
                batch, self.pending[room_id] = queue[:MAX_BATCH], queue[MAX_BATCH:]
                try:
                    results = await send_batch(room_id=room_id, requests=[req for req, _ in batch])
                except Exception as exc:
                    log.warning("send batch for room %s failed: %s", room_id, exc)
                    for _req, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_req, future), result in zip(batch, results, strict=True):
                    if future.done():  # the socket went away; the message is stored all the same
                        continue
                    if isinstance(result, ServiceError):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self.running.discard(room_id)
            if not self.pending.get(room_id):
                self.pending.pop(room_id, None)
