"""The one place that chooses how this process's events travel: in memory, one Redis
(`REDIS_URL`) or a Redis Cluster (`REDIS_CLUSTER_URL`)."""

from __future__ import annotations

from parley.realtime.backends import Backend, MemoryBackend, RedisBackend
from parley.realtime.cluster import ClusterBackend
from parley.realtime.redisconn import RedisTarget


def make_backend(*, target: RedisTarget | None, prefix: str) -> Backend:
    """Sharded pub/sub on a cluster, pub/sub on one Redis, else the in-memory hand-off."""
    if target is None:
        return MemoryBackend()
    if target.cluster:
        return ClusterBackend(target, prefix)
    return RedisBackend(target.url, prefix)
