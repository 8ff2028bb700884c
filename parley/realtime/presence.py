"""Who is online, across processes, and the `presence {room, online}` frames.

A user is online while any process holds a socket of theirs. Each process
records its online users in a Redis sorted set (member "user:process", score =
expiry) and refreshes it; a crashed process's entries simply expire. Without
Redis this process's own table is the whole truth. Room counts are recomputed
at most once per `presence_flush` per process, for the rooms whose members came
or went. One `Presence` belongs to each runtime; selectors read it from any
thread through `online_user_ids`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from parley.realtime import protocol
from parley.realtime.clock import Clock
from parley.realtime.config import RealtimeConfig
from parley.realtime.ports import EventStore
from parley.realtime.publisher import Publisher

log = logging.getLogger(__name__)

RunSync = Callable[..., Awaitable[Any]]


class Presence:
    def __init__(
        self,
        *,
        config: RealtimeConfig,
        store: EventStore,
        publisher: Publisher,
        process_id: str,
        run_sync: RunSync,
        clock: Clock | None = None,
    ):
        self.config = config
        self.store = store
        self.publisher = publisher
        self.process_id = process_id
        self.run_sync = run_sync
        self.clock = clock or Clock()
        self.local: dict[int, int] = {}  # user id -> sockets in this process
        self.snapshot: frozenset[int] = frozenset()
        self.dirty: set[int] = set()
        self._cache: tuple[float, frozenset[int]] = (0.0, frozenset())
        self._flusher: asyncio.Task[None] | None = None
        self._redis: Any = None

    @property
    def key(self) -> str:
        return f"{self.config.prefix}:presence"

    def _client(self) -> Any:
        if self._redis is None:
            import redis

            self._redis = redis.Redis.from_url(
                self.config.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5
            )
        return self._redis

    # --- reads (any thread) ---------------------------------------------------------
    def online_user_ids(self) -> frozenset[int]:
        """Users with a live socket anywhere (cached for a second)."""
        if not self.config.redis_url:
            return self.snapshot
        now = self.clock.time()
        stamp, ids = self._cache
        if now - stamp < 1.0:
            return ids
        try:
            members = self._client().zrangebyscore(self.key, now, "+inf")
            ids = frozenset(int(m.split(b":", 1)[0]) for m in members)
        except Exception as exc:
            log.debug("presence read failed: %s", exc)
            ids = self.snapshot
        self._cache = (now, ids)
        return ids

    def online_counts(self, room_ids: Sequence[int]) -> dict[int, int]:
        online = self.online_user_ids()
        if not online or not room_ids:
            return {}
        return self.store.online_member_counts(room_ids, online)

    # --- writes (the event loop) ----------------------------------------------------
    def _touch(self, user_ids: list[int], gone: list[int]) -> None:
        if not self.config.redis_url:
            return
        try:
            pipe = self._client().pipeline(transaction=False)
            now = self.clock.time()
            if user_ids:
                pipe.zadd(
                    self.key, {f"{uid}:{self.process_id}": now + self.config.process_ttl for uid in user_ids}
                )
            if gone:
                pipe.zrem(self.key, *[f"{uid}:{self.process_id}" for uid in gone])
            pipe.zremrangebyscore(self.key, "-inf", now)
            pipe.execute()
        except Exception as exc:
            log.debug("presence write failed: %s", exc)
        self._cache = (0.0, frozenset())

    async def connected(self, user_id: int, rooms: set[int]) -> None:
        count = self.local.get(user_id, 0)
        self.local[user_id] = count + 1
        if count == 0:
            self.snapshot = frozenset(self.local)
            await self.run_sync(self._touch, [user_id], [])
            self._mark(rooms)

    async def disconnected(self, user_id: int, rooms: set[int]) -> None:
        count = self.local.get(user_id, 0) - 1
        if count > 0:
            self.local[user_id] = count
            return
        self.local.pop(user_id, None)
        self.snapshot = frozenset(self.local)
        await self.run_sync(self._touch, [], [user_id])
        self._mark(rooms)

    async def refresh(self) -> None:
        """Keep this process's online users from expiring (the runtime's heartbeat)."""
        if self.local:
            await self.run_sync(self._touch, list(self.local), [])

    def _mark(self, rooms: set[int]) -> None:
        self.dirty |= rooms
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        await self.clock.sleep(self.config.presence_flush)
        rooms, self.dirty = self.dirty, set()
        if not rooms:
            return
        try:
            counts = await self.run_sync(self.online_counts, sorted(rooms))
        except Exception as exc:
            log.warning("presence counts failed: %s", exc)
            return
        for room in rooms:
            await self.publisher.room_frame(room, protocol.presence(room=room, online=counts.get(room, 0)))

    async def stop(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
        if self.config.redis_url and self.local:
            await self.run_sync(self._touch, [], list(self.local))
