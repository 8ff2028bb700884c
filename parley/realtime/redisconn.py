"""Where the realtime layer gets its Redis clients: one instance or a Redis Cluster.

Every Redis client of the realtime layer is made here, from the one choice the settings
make: `REDIS_URL` (one Redis instance, redis-py's `Redis`) or `REDIS_CLUSTER_URL` (any
seed node of a Redis Cluster, redis-py's `RedisCluster`, which follows the slot map and
MOVED redirections). The callers only use commands that work on both: single-key
commands, pipelines of them, and scripts whose keys share one hash slot (hash tags,
`user_tag`). Nothing else in `parley.realtime` names a Redis client class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def user_tag(user_id: int) -> str:
    """The hash tag of a user's keys: all of one user's keys live in one slot, so a script
    over them runs on one shard of a cluster (and is the same script on one Redis)."""
    return f"{{u:{user_id}}}"


def room_tag(room_id: int) -> str:
    """The hash tag of a room's keys and its sharded pub/sub channel."""
    return f"{{r:{room_id}}}"


@dataclass(frozen=True)
class RedisTarget:
    """The Redis the processes share: `url` is one instance's, or a cluster seed's."""

    url: str
    cluster: bool = False

    def sync(self, **options: Any) -> Any:
        """A blocking client (service threads, the presence and limit checks off the loop)."""
        if self.cluster:
            from redis.cluster import RedisCluster

            return RedisCluster.from_url(self.url, **_cluster_options(options, asyncio=False))
        import redis

        return redis.Redis.from_url(self.url, **options)

    def asyncio(self, **options: Any) -> Any:
        """A client for the event loop."""
        if self.cluster:
            from redis.asyncio.cluster import RedisCluster

            return RedisCluster.from_url(self.url, **_cluster_options(options, asyncio=True))
        import redis.asyncio

        return redis.asyncio.Redis.from_url(self.url, **options)

    def node(self, host: str, port: int, **options: Any) -> Any:
        """An asyncio connection to one node of the cluster (a shard's subscriber)."""
        import redis.asyncio

        return redis.asyncio.Redis(host=host, port=port, **options)


def _cluster_options(options: dict[str, Any], *, asyncio: bool) -> dict[str, Any]:
    """A cluster client takes `retry` as its own (how often a command follows a failed node
    or a changed slot map), not per connection; by default one retry, without back-off:
    callers on the send path must never wait long (a lost signal is repaired from the
    database), and a failed-over shard is found at the retry's slot-map refresh."""
    from redis.backoff import NoBackoff

    options = dict(options)
    options.pop("health_check_interval", None)
    if "retry" not in options:
        if asyncio:
            from redis.asyncio.retry import Retry as AsyncRetry

            options["retry"] = AsyncRetry(NoBackoff(), 1)
        else:
            from redis.retry import Retry

            options["retry"] = Retry(NoBackoff(), 1)
    return options


def target_for(*, redis_url: str, redis_cluster_url: str) -> RedisTarget | None:
    """The shared Redis, or None for one process without Redis (the in-memory hub)."""
    if redis_cluster_url:
        return RedisTarget(redis_cluster_url, cluster=True)
    if redis_url:
        return RedisTarget(redis_url)
    return None
