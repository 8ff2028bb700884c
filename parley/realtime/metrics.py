"""The process's Prometheus metrics (served at /metrics by parley.web).

Counted once per message or per event, never per recipient: the fan-out stays
a loop of socket writes. With several uvicorn workers, `parley.serve` points
`PROMETHEUS_MULTIPROC_DIR` at a directory the workers share, and /metrics adds
up every worker's values (docs/deploy.md, "Metrics").

Imports only prometheus_client, so every layer may count.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

OPEN_SOCKETS = Gauge(
    "parley_open_sockets",
    "WebSocket connections open (registered with the hub).",
    multiprocess_mode="livesum",
)
MESSAGES_SENT = Counter(
    "parley_messages_sent", "Messages stored by a send (REST or WebSocket); retries not counted."
)
SEND_ERRORS = Counter(
    "parley_send_errors",
    "Sends refused, by error code (rate_limited, invalid, too_large, not_member, room_closed, ...).",
    ["code"],
)
DELIVERY_SECONDS = Histogram(
    "parley_delivery_seconds",
    "From a logged event's publish (right after its commit) to its frame being written to, or "
    "queued for, this process's sockets. Timed on the process that published it.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
REDIS_RECONNECTS = Counter(
    "parley_redis_reconnects", "Times the hub's Redis subscription was lost and restored."
)
REDIS_SHARD_MOVES = Counter(
    "parley_redis_shard_moves",
    "Sharded channels (rooms, users) this process moved to another Redis Cluster master after "
    "their shard's connection failed (a failover) or the server said their slot moved.",
)
WS_SILENT_CLOSED = Counter(
    "parley_ws_silent_closed",
    "Sockets closed because the peer answered none of the last WS_PING_MISSES pings.",
)
HUB_SWEEPS = Counter("parley_hub_sweeps", "Sweeps comparing delivered heads with the database (Redis mode).")
HUB_CATCHUPS = Counter(
    "parley_hub_catchups",
    "Reads of missed events from the database by the hub, by reason (reorder: a hole in the "
    "seq order; sweep: a signal lost, found by a sweep or after a Redis reconnect).",
    ["reason"],
)
# The job queue depth is read from the broker at scrape time (parley.web.metrics).


def forget_dead_workers(folder: str) -> None:
    """Drop the open-socket gauges of workers that exited (uvicorn restarts them)."""
    from prometheus_client import multiprocess

    for path in Path(folder).glob("gauge_livesum_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, folder)
        except PermissionError:
            pass


def open_sockets() -> int:
    """WebSocket connections open now: this process's, or every live worker's in multiprocess mode."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    registry = REGISTRY
    if folder:
        from prometheus_client import multiprocess

        forget_dead_workers(folder)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, folder)
    return int(registry.get_sample_value("parley_open_sockets") or 0)


def send_refused(code: str) -> None:
    SEND_ERRORS.labels(code).inc()


def sends_answered(answers: Iterable[object]) -> None:
    """Count a send batch's answers: stored messages, and refusals (exceptions) by their code."""
    created = 0
    for answer in answers:
        if isinstance(answer, BaseException):
            send_refused(str(getattr(answer, "code", "server_error")))
        elif getattr(answer, "created", False):
            created += 1
    if created:
        MESSAGES_SENT.inc(created)


class DeliveryTimer:
    """Publish times of this process's logged events, until the hub hands them to sockets.

    Keyed by (room, seq); events of rooms with no local socket are never delivered
    here and fall out once `limit` newer ones are held.
    """

    def __init__(self, limit: int = 4096):
        self.limit = limit
        self.started: dict[tuple[int, int], float] = {}
        self._lock = threading.Lock()  # publishes come from service threads

    def published(self, room_id: int, seq: int) -> None:
        now = time.monotonic()
        with self._lock:
            started = self.started
            started[(room_id, seq)] = now
            if len(started) > self.limit:
                del started[next(iter(started))]

    def delivered(self, room_id: int, seq: int) -> None:
        with self._lock:
            start = self.started.pop((room_id, seq), None)
        if start is not None:
            DELIVERY_SECONDS.observe(time.monotonic() - start)
