"""Who is online, across processes, and the `presence {room, online}` frames.

A user is online while any process holds a socket of theirs. Each process
records its online users in a Redis sorted set (member "user:process", score =
expiry) and refreshes it; a crashed process's entries simply expire. Without
Redis this process's own table is the whole truth. Room counts are recomputed
at most once per `presence_flush` per process, for the rooms whose members came
or went. One `Presence` belongs to each runtime; selectors read it from any
thread through `online_user_ids`.

Protocol 3 adds idleness (issue 30). An activity frame (send, typing, read, edit, delete,
react: what a person does, never the client's keepalive or resume) stamps the user's
last activity; with Redis the stamp is also written to the sorted set `<prefix>:active`
(score = time), at most once per `away_after / 20` per user and process, so a person
active on a phone is not away because a laptop tab is idle. A watcher per process finds
its users idle for `away_after` and, like a first connect and a last disconnect, hands
them to `EventStore.presence_changed`, which publishes each person's `presence` frame
(the apps add do-not-disturb, away by hand and the status). Two processes holding an
idle person's sockets may both say so: the frames are the same.

On a Redis Cluster the two sorted sets are one key each, so each lives on one shard (every
command here touches one key; pipelines are split by shard by the cluster client). They
are read whole, once a second per process: docs/scaling.md says when that becomes the limit.
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
        self.active: dict[int, float] = {}  # local user -> last activity (wall clock)
        self.written: dict[int, float] = {}  # local user -> activity stamp last written to Redis
        self.idle: set[int] = set()  # local users this process has announced as idle
        self._idle_cache: tuple[float, frozenset[int]] = (0.0, frozenset())
        self._watcher: asyncio.Task[None] | None = None

    @property
    def key(self) -> str:
        return f"{self.config.prefix}:presence"

    @property
    def active_key(self) -> str:
        return f"{self.config.prefix}:active"

    @property
    def _write_every(self) -> float:
        return max(1.0, self.config.away_after / 20)

    def _client(self) -> Any:
        if self._redis is None:
            target = self.config.redis
            assert target is not None
            self._redis = target.sync(socket_timeout=0.5, socket_connect_timeout=0.5)
        return self._redis

    # --- reads (any thread) ---------------------------------------------------------
    def online_user_ids(self) -> frozenset[int]:
        """Users with a live socket anywhere (cached for a second)."""
        if not self.config.shared:
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

    def idle_user_ids(self) -> frozenset[int]:
        """People whose last activity anywhere is `away_after` old or more (cached for a
        second). Offline people may be among them: readers check `online_user_ids` first."""
        now = self.clock.time()
        cutoff = now - self.config.away_after
        local = frozenset(uid for uid, at in self.active.items() if at <= cutoff)
        if not self.config.shared:
            return local
        stamp, ids = self._idle_cache
        if now - stamp < 1.0:
            return ids
        try:
            members = self._client().zrangebyscore(self.active_key, "-inf", cutoff)
            ids = frozenset(int(m) for m in members)
        except Exception as exc:
            log.debug("presence idle read failed: %s", exc)
            ids = local
        self._idle_cache = (now, ids)
        return ids

    def online_counts(self, room_ids: Sequence[int]) -> dict[int, int]:
        online = self.online_user_ids()
        if not online or not room_ids:
            return {}
        return self.store.online_member_counts(room_ids, online)

    # --- writes (the event loop) ----------------------------------------------------
    def _touch(self, user_ids: list[int], gone: list[int], active: dict[int, float] | None = None) -> None:
        if not self.config.shared:
            return
        try:
            pipe = self._client().pipeline(transaction=False)
            now = self.clock.time()
            if user_ids:
                pipe.zadd(
                    self.key, {f"{uid}:{self.process_id}": now + self.config.process_ttl for uid in user_ids}
                )
            if active:
                pipe.zadd(self.active_key, {str(uid): at for uid, at in active.items()}, gt=True)
                # Stamps of people long gone: nobody needs them to tell away from online.
                pipe.zremrangebyscore(self.active_key, "-inf", now - self.config.away_after - 86400)
            if gone:
                pipe.zrem(self.key, *[f"{uid}:{self.process_id}" for uid in gone])
            pipe.zremrangebyscore(self.key, "-inf", now)
            pipe.execute()
        except Exception as exc:
            log.debug("presence write failed: %s", exc)
        self._cache = (0.0, frozenset())
        if active:
            self._idle_cache = (0.0, frozenset())

    def _scores(self, user_ids: list[int]) -> dict[int, float]:
        """Each user's last activity stamp in Redis (0 when none)."""
        scores = self._client().zmscore(self.active_key, [str(uid) for uid in user_ids])
        return {uid: float(score or 0.0) for uid, score in zip(user_ids, scores, strict=True)}

    async def connected(self, user_id: int, rooms: set[int]) -> None:
        count = self.local.get(user_id, 0)
        self.local[user_id] = count + 1
        if count == 0:
            self.snapshot = frozenset(self.local)
            now = self.clock.time()
            self.active[user_id] = self.written[user_id] = now  # opening the app is activity
            await self.run_sync(self._touch, [user_id], [], {user_id: now})
            self._mark(rooms)
            await self._announce([user_id])
            if self._watcher is None or self._watcher.done():
                self._watcher = asyncio.get_running_loop().create_task(self._watch())

    async def disconnected(self, user_id: int, rooms: set[int]) -> None:
        count = self.local.get(user_id, 0) - 1
        if count > 0:
            self.local[user_id] = count
            return
        self.local.pop(user_id, None)
        self.active.pop(user_id, None)
        self.written.pop(user_id, None)
        self.idle.discard(user_id)
        self.snapshot = frozenset(self.local)
        await self.run_sync(self._touch, [], [user_id])
        self._mark(rooms)
        await self._announce([user_id])

    async def activity(self, user_id: int) -> None:
        """The person did something (an activity frame): no longer idle; back at once if
        this process had said they were away."""
        if user_id not in self.local:
            return
        now = self.clock.time()
        self.active[user_id] = now
        back = user_id in self.idle
        self.idle.discard(user_id)
        if back or now - self.written.get(user_id, 0.0) >= self._write_every:
            self.written[user_id] = now
            await self.run_sync(self._touch, [], [], {user_id: now})
        if back:
            await self._announce([user_id])

    async def _announce(self, user_ids: list[int]) -> None:
        try:
            await self.run_sync(self.store.presence_changed, user_ids)
        except Exception as exc:
            log.warning("presence announcement failed: %s", exc)

    async def _watch(self) -> None:
        """While this process has users: find the ones who fell idle and announce them."""
        every = max(0.2, min(self.config.away_after / 10, 10.0))
        while self.local:
            await self.clock.sleep(every)
            try:
                await self.check_idle()
            except Exception as exc:
                log.warning("presence idle check failed: %s", exc)

    async def check_idle(self) -> list[int]:
        """Announce the local users idle for `away_after` everywhere; returns them."""
        cutoff = self.clock.time() - self.config.away_after
        idle = [uid for uid in self.local if uid not in self.idle and self.active.get(uid, cutoff) <= cutoff]
        if idle and self.config.shared:
            try:
                scores = await self.run_sync(self._scores, idle)
            except Exception as exc:
                log.debug("presence idle read failed: %s", exc)
                scores = {}
            for uid, score in scores.items():
                if score > cutoff:  # active on another process
                    self.active[uid] = max(self.active.get(uid, 0.0), score)
            idle = [uid for uid in idle if scores.get(uid, 0.0) <= cutoff]
        if idle:
            self.idle.update(idle)
            self._idle_cache = (0.0, frozenset())
            await self._announce(idle)
        return idle

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
        if self._watcher is not None:
            self._watcher.cancel()
        if self.config.shared and self.local:
            await self.run_sync(self._touch, [], list(self.local))
