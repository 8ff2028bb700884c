"""The realtime layer's settings, read from Django's settings once, when a runtime is built.

A frozen value instead of `settings.X` lookups scattered through the hub: a
runtime (and a test's runtime) sees one consistent set, and the hub's logic can
be driven in tests without Django's settings machinery at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from parley.realtime.redisconn import RedisTarget, target_for


@dataclass(frozen=True)
class RealtimeConfig:
    redis_url: str = ""  # one Redis instance
    redis_cluster_url: str = ""  # or any seed node of a Redis Cluster (sharded pub/sub)
    prefix: str = "parley"
    send_rate: float = 8.0  # messages per second per user
    send_burst: int = 30
    max_sockets: int = 20  # per user, across every process when Redis is shared
    queue_max: int = 2000  # frames queued for a slow socket before it is closed
    max_frame: int = 64 * 1024
    ping_interval: float = 25.0
    ping_misses: int = 2  # pings left unanswered before the socket is presumed dead
    resume_limit: int = 500
    sweep_interval: float = 5.0
    reorder_wait: float = 0.25
    presence_flush: float = 1.0  # room online counts are recomputed at most this often
    process_ttl: float = 30.0  # how long a process's Redis records outlive its last refresh
    process_refresh: float = 10.0
    away_after: float = 600.0  # seconds without an activity frame before a person is away
    read_coalesce: float = 0.5  # read positions advancing within this are sent once

    @property
    def redis(self) -> RedisTarget | None:
        """The Redis every process shares (one instance or a cluster), or None: one process."""
        return target_for(redis_url=self.redis_url, redis_cluster_url=self.redis_cluster_url)

    @property
    def shared(self) -> bool:
        """Processes share their state through Redis (limits, presence, events)."""
        return bool(self.redis_url or self.redis_cluster_url)

    @classmethod
    def from_settings(cls, settings: Any = None) -> RealtimeConfig:
        if settings is None:
            from django.conf import settings as django_settings

            settings = django_settings
        return cls(
            redis_url=settings.REDIS_URL,
            redis_cluster_url=getattr(settings, "REDIS_CLUSTER_URL", ""),
            prefix=settings.PARLEY_REDIS_PREFIX,
            send_rate=float(settings.WS_SEND_RATE),
            send_burst=int(settings.WS_SEND_BURST),
            max_sockets=int(settings.WS_MAX_SOCKETS_PER_USER),
            queue_max=int(settings.WS_QUEUE_MAX),
            max_frame=int(settings.WS_MAX_FRAME),
            ping_interval=float(settings.WS_PING_INTERVAL),
            ping_misses=int(settings.WS_PING_MISSES),
            resume_limit=int(settings.WS_RESUME_LIMIT),
            sweep_interval=float(settings.HUB_SWEEP_INTERVAL),
            reorder_wait=float(settings.HUB_REORDER_WAIT),
            away_after=float(settings.AWAY_AFTER),
            read_coalesce=float(settings.READ_RECEIPT_COALESCE),
        )
