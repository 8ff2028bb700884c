"""One Redis connection pool per process for Django's cache.

Django keeps a cache object per async context, and under ASGI every request is a context of
its own: each request that touched the cache (DRF's throttles: uploads, sign-ups, search…)
built a cache object, a connection pool and a new Redis connection, then dropped them.
Django's Redis cache takes a `pool_class` option; this one hands every cache object the
process's pool for the same URL and options.
"""

from __future__ import annotations

import threading
from typing import Any

import redis

_pools: dict[tuple[str, str], redis.ConnectionPool] = {}
_lock = threading.Lock()


class SharedConnectionPool(redis.ConnectionPool):
    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Any:
        key = (url, repr(sorted(kwargs.items())))
        with _lock:
            pool = _pools.get(key)
            if pool is None:
                pool = _pools[key] = redis.ConnectionPool.from_url(url, **kwargs)
            return pool
