"""Group commit for WebSocket sends: one transaction per room at a time, per process.

While a room's batch is being committed, further sends to that room wait and
then go together in the next transaction. At low load a batch is one message
and nothing changes; under load the room row lock and the commit are paid
once per batch instead of once per message, and the process publishes each
room's events in seq order (fewer reorderings for the hub to repair).

The batcher knows nothing of messages: the runtime hands it the function that
stores a batch (`messaging.services.message_send_batch`, wired in `parley.ws`,
behind the send rate limit: one limit check per batch, in the same worker thread).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

MAX_BATCH = 100

# (room id, requests, their senders' user ids) -> one answer per request: a result, or the
# exception that refused it.
AsyncStoreBatch = Callable[[int, list[Any], list[int]], Awaitable[list[Any]]]


class SendBatcher:
    def __init__(self, store: AsyncStoreBatch) -> None:
        self.store = store
        self.pending: dict[int, list[tuple[Any, int, asyncio.Future[Any]]]] = {}
        self.running: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def send(self, room_id: int, request: Any, *, user_id: int) -> Any:
        """Store `request` by `user_id` (batched with its neighbours); raises the exception that
        refused it."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self.pending.setdefault(room_id, []).append((request, user_id, future))
        if room_id not in self.running:
            self.running.add(room_id)
            task = loop.create_task(self._run(room_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _run(self, room_id: int) -> None:
        try:
            while queue := self.pending.get(room_id):
                batch, self.pending[room_id] = queue[:MAX_BATCH], queue[MAX_BATCH:]
                try:
                    results = await self.store(room_id, [r for r, _, _ in batch], [u for _, u, _ in batch])
                except Exception as exc:
                    log.warning("send batch for room %s failed: %s", room_id, exc)
                    for _req, _user, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_req, _user, future), result in zip(batch, results, strict=True):
                    if future.done():  # the socket went away; the message is stored all the same
                        continue
                    if isinstance(result, BaseException):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self.running.discard(room_id)
            if not self.pending.get(room_id):
                self.pending.pop(room_id, None)
