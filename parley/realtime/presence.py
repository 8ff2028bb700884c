"""Who is online, across processes, and the `presence {room, online}` frames.

A user is online while any process holds a socket of theirs. Each process
records its online users in a Redis sorted set (member "user:process", score =
expiry) and refreshes it; a crashed process's entries simply expire. Without
Redis the hub's own table is the whole truth. Room counts are recomputed at
most once a second per process for the rooms whose members came or went.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings

from parley.realtime import protocol, wire

log = logging.getLogger(__name__)

PROCESS_ID = uuid.uuid4().hex[:12]
TTL = 30.0
REFRESH = 10.0

_local: dict[int, int] = {}  # user id -> sockets in this process
_local_snapshot: frozenset[int] = frozenset()
_cache: tuple[float, frozenset[int]] = (0.0, frozenset())
_sync_client: Any = None


def _key() -> str:
    return f"{settings.PARLEY_REDIS_PREFIX}:presence"


def _client() -> Any:
    global _sync_client
    if _sync_client is None:
        import redis

        _sync_client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5
        )
    return _sync_client


def online_user_ids() -> frozenset[int]:
    """Users with a live socket anywhere (cached for a second; callable from any thread)."""
    global _cache
    if not settings.REDIS_URL:
        return _local_snapshot
    now = time.time()
    if now - _cache[0] < 1.0:
        return _cache[1]
    try:
        members = _client().zrangebyscore(_key(), now, "+inf")
        ids = frozenset(int(m.split(b":", 1)[0]) for m in members)
    except Exception as exc:
        log.debug("presence read failed: %s", exc)
        ids = _local_snapshot
    _cache = (now, ids)
    return ids


def online_counts(room_ids: list[int]) -> dict[int, int]:
    from parley.rooms.selectors import online_member_counts

    return online_member_counts(room_ids=room_ids, online=online_user_ids())


def _touch(user_ids: list[int], gone: list[int]) -> None:
    if not settings.REDIS_URL:
        return
    try:
        pipe = _client().pipeline(transaction=False)
        if user_ids:
            expiry = time.time() + TTL
            pipe.zadd(_key(), {f"{uid}:{PROCESS_ID}": expiry for uid in user_ids})
        if gone:
            pipe.zrem(_key(), *[f"{uid}:{PROCESS_ID}" for uid in gone])
        pipe.zremrangebyscore(_key(), "-inf", time.time())
        pipe.execute()
    except Exception as exc:
        log.debug("presence write failed: %s", exc)
    global _cache
    _cache = (0.0, frozenset())


touch = database_sync_to_async(_touch, thread_sensitive=False)
counts_for = database_sync_to_async(online_counts, thread_sensitive=False)


class PresenceTracker:
    """Per-process bookkeeping, driven by the consumer's connect and disconnect."""

    def __init__(self) -> None:
        self.dirty: set[int] = set()
        self._flusher: asyncio.Task[None] | None = None
        self._refresher: asyncio.Task[None] | None = None

    async def connected(self, user_id: int, rooms: set[int]) -> None:
        global _local_snapshot
        count = _local.get(user_id, 0)
        _local[user_id] = count + 1
        if count == 0:
            _local_snapshot = frozenset(_local)
            await touch([user_id], [])
            self._mark(rooms)
        self._ensure_refresher()

    async def disconnected(self, user_id: int, rooms: set[int]) -> None:
        global _local_snapshot
        count = _local.get(user_id, 0) - 1
        if count > 0:
            _local[user_id] = count
            return
        _local.pop(user_id, None)
        _local_snapshot = frozenset(_local)
        await touch([], [user_id])
        self._mark(rooms)

    def _mark(self, rooms: set[int]) -> None:
        self.dirty |= rooms
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        await asyncio.sleep(1.0)
        rooms, self.dirty = self.dirty, set()
        if not rooms:
            return
        from parley.realtime.hub import get_hub

        hub = await get_hub()
        try:
            counts = await counts_for(sorted(rooms))
        except Exception as exc:
            log.warning("presence counts failed: %s", exc)
            return
        for room in rooms:
            frame = protocol.encode({"type": "presence", "room": room, "online": counts.get(room, 0)})
            await hub.backend.publish_async("e", room, wire.pack("e", room, 0, frame))

    def _ensure_refresher(self) -> None:
        if settings.REDIS_URL and (self._refresher is None or self._refresher.done()):
            self._refresher = asyncio.get_running_loop().create_task(self._refresh())

    async def _refresh(self) -> None:
        while _local:
            await asyncio.sleep(REFRESH)
            await touch(list(_local), [])


_tracker: PresenceTracker | None = None
_tracker_loop: asyncio.AbstractEventLoop | None = None


def tracker() -> PresenceTracker:
    global _tracker, _tracker_loop
    loop = asyncio.get_running_loop()
    if _tracker is None or _tracker_loop is not loop:
        _tracker, _tracker_loop = PresenceTracker(), loop
        _local.clear()
    return _tracker
