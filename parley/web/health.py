"""`GET /healthz`: does this process reach its database and (when configured) Redis?

With DATABASE_REPLICA_URL it also reports the read replica ("ok", "behind": more than
REPLICA_MAX_LAG seconds, or "down") and its lag. A replica that is behind or down makes
the report `"degraded": true` but keeps the answer 200: reads then go to the primary, so
the process still serves everything and a load balancer must not take it out of service.

Each check runs on a small executor of its own and is waited for at most
`HEALTH_TIMEOUT` seconds, both at once, so a hung dependency makes the probe
answer 503 in about a second instead of hanging it, and can never tie up the
threads that sends and sockets use. A check still stuck from an earlier probe
is not started again: the probe reports it as down at once.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from django.conf import settings
from django.db import connection, connections

from parley.common import replica

_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="parley-health")
_running: dict[str, Future[None]] = {}
_lock = threading.Lock()
_redis: dict[str, Any] = {}


def _check_database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        connection.close()  # the next probe connects afresh
        raise
    # This thread is no request: apply CONN_MAX_AGE here (kept for reuse, or closed at 0).
    connection.close_if_unusable_or_obsolete()


def _check_redis() -> None:
    import redis

    url = settings.REDIS_URL
    timeout = float(settings.HEALTH_TIMEOUT)
    client = _redis.get(url)
    if client is None:
        client = _redis[url] = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, retry_on_timeout=False
        )
    client.ping()


def _check_replica() -> replica.Lag:
    lag = replica.lag()
    # This thread is no request: apply CONN_MAX_AGE to both connections it used.
    for alias in (replica.PRIMARY, replica.REPLICA):
        connections[alias].close_if_unusable_or_obsolete()
    return lag


def _check_redis_cluster() -> None:
    """The cluster answers and serves every slot (`cluster_state:ok`): while a failed
    master's replica is not yet promoted, part of the rooms has no pub/sub."""
    from redis.cluster import RedisCluster

    url = settings.REDIS_CLUSTER_URL
    timeout = float(settings.HEALTH_TIMEOUT)
    client = _redis.get(url)
    if client is None:
        client = RedisCluster.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        _redis[url] = client
    state = client.cluster_info().get("cluster_state")
    if state != "ok":
        raise RuntimeError(f"cluster_state is {state}")


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:200] if text else type(exc).__name__


def _start(name: str, check: Any) -> Future[Any]:
    with _lock:
        running = _running.get(name)
        if running is not None and not running.done():
            return running  # still stuck since an earlier probe: do not pile up threads
        future = _running[name] = _pool.submit(check)
        return future


def _outcome(future: Future[Any], wait: float, timeout: float) -> tuple[str, str | None]:
    try:
        future.result(timeout=wait)
    except FutureTimeout:
        return "down", f"no answer within {timeout:g} s"
    except Exception as exc:
        return "down", _reason(exc)
    return "ok", None


def status() -> tuple[bool, dict[str, Any]]:
    """(healthy, body): `{"database": "ok"|"down", "redis": "ok"|"down"|"off"}`, plus
    `"reasons": {name: short text}` for what is down; with a replica, `replica`, its lag and
    `degraded` (a replica's trouble degrades the report, it never makes it unhealthy)."""
    timeout = float(settings.HEALTH_TIMEOUT)
    checks = {"database": _start("database", _check_database)}
    if settings.REDIS_CLUSTER_URL:
        checks["redis"] = _start("redis", _check_redis_cluster)
    elif settings.REDIS_URL:
        checks["redis"] = _start("redis", _check_redis)
    body: dict[str, Any] = {}
    reasons: dict[str, str] = {}
    replica_check = _start("replica", _check_replica) if replica.enabled() else None
    deadline = time.monotonic() + timeout  # the checks run at once: together they wait at most `timeout`
    for name, future in checks.items():
        state, reason = _outcome(future, max(0.0, deadline - time.monotonic()), timeout)
        body[name] = state
        if reason:
            reasons[name] = reason
    if not (settings.REDIS_URL or settings.REDIS_CLUSTER_URL):
        body["redis"] = "off"
    healthy = not reasons
    if replica_check is not None:
        _replica_status(replica_check, body, reasons, max(0.0, deadline - time.monotonic()), timeout)
    if reasons:
        body["reasons"] = reasons
    return healthy, body


def _replica_status(
    future: Future[Any], body: dict[str, Any], reasons: dict[str, str], wait: float, timeout: float
) -> None:
    """`replica`: "ok" | "behind" | "down", its lag, and `degraded` (never unhealthy)."""
    try:
        lag: replica.Lag = future.result(timeout=wait)
    except FutureTimeout:
        lag = replica.Lag.down(f"no answer within {timeout:g} s")
    except Exception as exc:
        lag = replica.Lag.down(_reason(exc))
    if not lag.up:
        body["replica"] = "down"
        reasons["replica"] = lag.error
    elif lag.seconds > float(settings.REPLICA_MAX_LAG):
        body["replica"] = "behind"
        limit = float(settings.REPLICA_MAX_LAG)
        reasons["replica"] = f"replay {lag.seconds:.1f} s behind (REPLICA_MAX_LAG {limit:g} s)"
    else:
        body["replica"] = "ok"
    if lag.up:
        body["replica_lag_seconds"] = round(lag.seconds, 3)
        body["replica_lag_bytes"] = lag.bytes
    body["degraded"] = body["replica"] != "ok"
