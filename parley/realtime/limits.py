"""Per-user limits: the send rate (a token bucket) and the number of open sockets.

With one process (no `REDIS_URL`) both live in this process's memory. With
Redis they live in Redis, so a user who reconnects to another process keeps
the allowance they had and the socket cap counts every process: each check is
one round trip (a Lua script, run atomically by Redis). If Redis cannot be
reached the check falls back to this process's own count (logged once): a
limit that is briefly per process beats refusing every send.

A user's keys carry the hash tag `{u:<id>}` (`redisconn.user_tag`), so on a Redis
Cluster each script touches one slot: every key a script uses is passed in KEYS and
shares that tag; what a script needs from elsewhere (the live processes) comes in ARGV.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy as _

from parley.realtime import metrics
from parley.realtime.redisconn import RedisTarget, user_tag

log = logging.getLogger(__name__)


class TokenBucket:
    """`rate` tokens a second up to `burst`; one token per allowed action."""

    def __init__(self, rate: float, burst: int):
        self.rate = rate
        self.burst = burst
        self._state: dict[object, tuple[float, float]] = {}
        self._lock = threading.Lock()  # REST sends check from worker threads

    def allow(self, key: object, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, stamp = self._state.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + max(now - stamp, 0.0) * self.rate)
            if tokens < 1.0:
                self._state[key] = (tokens, now)
                return False
            self._state[key] = (tokens - 1.0, now)
            if len(self._state) > 100_000:  # forget idle senders; a full bucket is the default anyway
                idle = self.burst / self.rate if self.rate > 0 else 60.0
                self._state = {k: v for k, v in self._state.items() if now - v[1] < idle}
            return True


class SendRefused(Exception):
    """A send over its user's rate limit (answered `rate_limited`, nothing stored)."""

    code = "rate_limited"
    message = _("You are sending too fast; wait a moment.")


def _counted(allowed: bool) -> bool:
    """Every refusal of a send, on either interface, is counted once here."""
    if not allowed:
        metrics.send_refused("rate_limited")
    return allowed


class LocalLimits:
    """One process: the bucket and the socket counts in memory."""

    shared = False

    def __init__(self, *, rate: float, burst: int, max_sockets: int, clock: Any = None):
        self.bucket = TokenBucket(rate, burst)
        self.max_sockets = max_sockets
        self.sockets: dict[int, int] = {}
        self._now = clock.monotonic if clock is not None else time.monotonic

    def allow_send_sync(self, user_id: int) -> bool:
        return _counted(self.bucket.allow(user_id, self._now()))

    def allow_sends_sync(self, user_ids: list[int]) -> list[bool]:
        """One answer per send, in order (a batch of WebSocket sends)."""
        return [self.allow_send_sync(user_id) for user_id in user_ids]

    def admit_send(self, user_id: int) -> bool:
        """A WebSocket frame's check as it arrives: in one process, the check itself."""
        return self.allow_send_sync(user_id)

    def confirm_sends_sync(self, user_ids: list[int]) -> list[bool]:
        """The batch's check: already made frame by frame by `admit_send`."""
        return [True] * len(user_ids)

    async def socket_acquire(self, user_id: int) -> bool:
        count = self.sockets.get(user_id, 0)
        if count >= self.max_sockets:
            return False
        self.sockets[user_id] = count + 1
        return True

    async def socket_release(self, user_id: int) -> None:
        count = self.sockets.get(user_id, 0) - 1
        if count > 0:
            self.sockets[user_id] = count
        else:
            self.sockets.pop(user_id, None)

    async def refresh(self) -> None:
        return None

    async def stop(self) -> None:
        return None


# KEYS[1] the user's bucket. ARGV: rate, burst, expiry (ms). Redis's own clock, so every
# process agrees on the elapsed time.
_BUCKET = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local v = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens, ts = tonumber(v[1]), tonumber(v[2])
if tokens == nil then tokens = burst; ts = now end
tokens = math.min(burst, tokens + math.max(now - ts, 0) * rate)
local ok = 0
if tokens >= 1 then tokens = tokens - 1; ok = 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return ok
"""

# The same for several users at once (a batch of sends): KEYS the users' buckets,
# ARGV rate, burst, expiry, then how many sends each user has in the batch.
# Returns how many of each user's sends are allowed.
_BUCKETS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local out = {}
for i, key in ipairs(KEYS) do
  local v = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens, ts = tonumber(v[1]), tonumber(v[2])
  if tokens == nil then tokens = burst; ts = now end
  tokens = math.min(burst, tokens + math.max(now - ts, 0) * rate)
  local ok = math.min(math.floor(tokens), tonumber(ARGV[3 + i]))
  tokens = tokens - ok
  redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', tostring(now))
  redis.call('PEXPIRE', key, ARGV[3])
  out[i] = ok
end
return out
"""

# KEYS[1] the user's socket counts by process. ARGV: this process, the cap, expiry of the
# counts (ms), then the processes alive now (read from `<prefix>:processes` just before:
# that key lives in another slot of a cluster). Counts of processes that stopped
# refreshing (crashed) are dropped on the way.
_ACQUIRE = """
local live = {}
for i = 4, #ARGV do live[ARGV[i]] = true end
local fields = redis.call('HGETALL', KEYS[1])
local total = 0
for i = 1, #fields, 2 do
  local pid, n = fields[i], tonumber(fields[i + 1])
  if pid ~= ARGV[1] and not live[pid] then
    redis.call('HDEL', KEYS[1], pid)
    n = 0
  end
  total = total + n
end
if total >= tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""

_RELEASE = """
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if n <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return n
"""

COUNTS_EXPIRY_MS = 7 * 24 * 3600 * 1000  # garbage left by a crash goes eventually


class RedisLimits:
    """Every process: the bucket and the socket counts in Redis, one round trip per check."""

    shared = True

    def __init__(
        self,
        *,
        target: RedisTarget,
        prefix: str,
        process_id: str,
        rate: float,
        burst: int,
        max_sockets: int,
        process_ttl: float,
        clock: Any,
    ):
        self.prefix = prefix
        self.cluster = target.cluster
        self.process_id = process_id
        self.rate = rate
        self.burst = burst
        self.max_sockets = max_sockets
        self.process_ttl = process_ttl
        self.clock = clock
        self.local = LocalLimits(rate=rate, burst=burst, max_sockets=max_sockets, clock=clock)
        self.expiry_ms = int(max(burst / rate if rate > 0 else 3600.0, 1.0) * 1000) + 1000
        self._sync = target.sync(socket_timeout=0.5, socket_connect_timeout=0.5)
        self._async = target.asyncio(socket_timeout=0.5, socket_connect_timeout=0.5)
        self._bucket_sync = self._sync.register_script(_BUCKET)
        self._buckets_sync = self._sync.register_script(_BUCKETS)
        self._acquire = self._async.register_script(_ACQUIRE)
        self._release = self._async.register_script(_RELEASE)
        self._warned = threading.Event()
        # Users whose socket count changed while Redis was unreachable: the next heartbeat
        # writes their counts (all counts, if Redis lost this process's record).
        self._unrecorded: set[int] = set()

    def _bucket_key(self, user_id: int) -> str:
        return f"{self.prefix}:limit:send:{user_tag(user_id)}"

    def _sockets_key(self, user_id: int) -> str:
        return f"{self.prefix}:limit:sockets:{user_tag(user_id)}"

    @property
    def _processes_key(self) -> str:
        return f"{self.prefix}:processes"

    def _fallback(self, what: str, exc: Exception) -> None:
        if not self._warned.is_set():
            log.warning("Redis %s check failed (%s); limiting in this process until it is back", what, exc)
            self._warned.set()

    def allow_send_sync(self, user_id: int) -> bool:
        try:
            ok = self._bucket_sync(
                keys=[self._bucket_key(user_id)], args=[self.rate, self.burst, self.expiry_ms]
            )
        except Exception as exc:
            self._fallback("send rate", exc)
            return self.local.allow_send_sync(user_id)
        self._warned.clear()
        return _counted(bool(ok))

    def admit_send(self, user_id: int) -> bool:
        """A WebSocket frame's first check as it arrives, in this process's memory: what this
        process alone has seen the user send. The shared bucket can only hold fewer tokens
        (it counts the other processes' sends too), so a frame refused here is refused for
        good, at once and without Redis (a flood never reaches the send batcher); a frame
        admitted here is checked in Redis with its batch (`confirm_sends_sync`)."""
        return _counted(self.local.bucket.allow(user_id, self.local._now()))

    def confirm_sends_sync(self, user_ids: list[int]) -> list[bool]:
        """The shared check of frames `admit_send` let in; without Redis they stand admitted
        (this process's own bucket already limited them)."""
        return self._shared_check(user_ids, fallback=lambda: [True] * len(user_ids))

    def allow_sends_sync(self, user_ids: list[int]) -> list[bool]:
        """One answer per send, in order: a batch of sends costs one round trip."""
        return self._shared_check(user_ids, fallback=lambda: self.local.allow_sends_sync(user_ids))

    def _shared_check(self, user_ids: list[int], *, fallback: Callable[[], list[bool]]) -> list[bool]:
        counts: dict[int, int] = {}
        for user_id in user_ids:
            counts[user_id] = counts.get(user_id, 0) + 1
        left: dict[int, int] = {}
        try:
            for users in self._by_slot(list(counts)):
                granted = self._buckets_sync(
                    keys=[self._bucket_key(u) for u in users],
                    args=[self.rate, self.burst, self.expiry_ms, *(counts[u] for u in users)],
                )
                left.update((user, int(n)) for user, n in zip(users, granted, strict=True))
        except Exception as exc:
            self._fallback("send rate", exc)
            return fallback()
        self._warned.clear()
        answers = []
        for user_id in user_ids:
            ok = left[user_id] > 0
            left[user_id] -= 1
            answers.append(_counted(ok))
        return answers

    def _by_slot(self, users: list[int]) -> list[list[int]]:
        """The batch's users in groups one script may take: all of them on one Redis, those
        whose keys share a hash slot on a cluster (a script's keys must)."""
        if not self.cluster:
            return [users]
        from redis.crc import key_slot

        groups: dict[int, list[int]] = {}
        for user in users:
            groups.setdefault(key_slot(self._bucket_key(user).encode()), []).append(user)
        return list(groups.values())

    async def socket_acquire(self, user_id: int) -> bool:
        """Count a new socket of `user_id` unless the user already has `max_sockets` anywhere.
        Two round trips: the live processes, then the user's script."""
        try:
            live = await self._async.zrangebyscore(self._processes_key, self.clock.time(), "+inf")
            ok = await self._acquire(
                keys=[self._sockets_key(user_id)],
                args=[self.process_id, self.max_sockets, COUNTS_EXPIRY_MS, *live],
            )
        except Exception as exc:
            self._fallback("socket cap", exc)
            self._unrecorded.add(user_id)
            return await self.local.socket_acquire(user_id)
        if ok:
            self.local.sockets[user_id] = self.local.sockets.get(user_id, 0) + 1
        return bool(ok)

    async def socket_release(self, user_id: int) -> None:
        await self.local.socket_release(user_id)
        try:
            await self._release(keys=[self._sockets_key(user_id)], args=[self.process_id])
        except Exception as exc:
            self._unrecorded.add(user_id)
            log.debug("socket release not recorded in Redis: %s", exc)

    async def refresh(self) -> None:
        """Say this process is alive (its socket counts stay counted), and write the counts
        Redis does not have: those of users whose sockets opened while it was unreachable,
        or every count when the process's own record was gone (Redis restarted empty).

        Only then: re-writing every user's count on each heartbeat was one pipeline of a
        command per connected user, packed and parsed on the event loop, a stall of tens of
        milliseconds every 10 s with a thousand users online (it showed as the 1000-member
        room's p99; docs/performance.md)."""
        try:
            pipe = self._async.pipeline(transaction=False)
            pipe.zadd(self._processes_key, {self.process_id: self.clock.time() + self.process_ttl})
            pipe.zremrangebyscore(self._processes_key, "-inf", self.clock.time())
            added, _removed = await pipe.execute()
            users = list(self.local.sockets) if added else list(self._unrecorded)
            self._unrecorded.clear()
            if users:
                pipe = self._async.pipeline(transaction=False)
                for user_id in users:
                    count = self.local.sockets.get(user_id, 0)
                    if count:
                        pipe.hset(self._sockets_key(user_id), self.process_id, count)
                    else:
                        pipe.hdel(self._sockets_key(user_id), self.process_id)
                await pipe.execute()
        except Exception as exc:
            self._unrecorded.update(self.local.sockets)
            log.debug("process heartbeat failed: %s", exc)

    async def stop(self) -> None:
        """Forget this process's counts (a clean shutdown does not wait for the expiry)."""
        try:
            pipe = self._async.pipeline(transaction=False)
            for user_id in self.local.sockets:
                pipe.hdel(self._sockets_key(user_id), self.process_id)
            pipe.zrem(self._processes_key, self.process_id)
            await pipe.execute()
        except Exception as exc:
            log.debug("process records not removed: %s", exc)
        try:
            await self._async.aclose()  # type: ignore[attr-defined]
        except Exception:
            log.debug("closing the limits client failed", exc_info=True)
