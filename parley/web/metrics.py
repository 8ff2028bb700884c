"""`GET /metrics`: the process's Prometheus metrics (`parley.realtime.metrics`), not public.

Allowed from a `METRICS_ALLOWED` address (default loopback) or with
`Authorization: Bearer <METRICS_TOKEN>`. The address is the one
`parley.common.clientip` believes; a request that came through a proxy not in
`TRUSTED_PROXIES` (it carries X-Forwarded-For) is not judged by its peer's
address, so an nginx on the same host does not make every client "loopback".
With several workers (`PROMETHEUS_MULTIPROC_DIR` set by `parley.serve`) the
answer adds up every worker's values.
"""

from __future__ import annotations

import hmac
import ipaddress
import os

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from parley.common import replica
from parley.common.clientip import resolve_client_ip
from parley.common.errors import error_body
from parley.realtime.metrics import forget_dead_workers


def _token_ok(request: HttpRequest) -> bool:
    token: str = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


def _address_ok(request: HttpRequest) -> bool:
    peer = request.META.get("REMOTE_ADDR", "") or ""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    addr = resolve_client_ip(peer, forwarded)
    if forwarded and addr == peer:
        return False  # proxied by someone we do not trust: the client's address is unknown
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    for net in settings.METRICS_ALLOWED:
        try:
            if ip in ipaddress.ip_network(net, strict=False):
                return True
        except ValueError:
            continue
    return False


# kombu's Redis transport keeps a queue as one list per priority step (0, 3, 6, 9), the
# higher steps suffixed with "\x06\x16<step>", under the broker's global key prefix.
PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


class JobQueueCollector(Collector):
    """Jobs waiting for a Celery worker, read from the broker (CELERY_BROKER_URL: one Redis, or
    RabbitMQ) at scrape time. Absent without a broker: jobs then run in process and nothing
    ever waits in a queue."""

    def collect(self):  # type: ignore[no-untyped-def]
        broker = settings.CELERY_BROKER_URL
        if broker.startswith(("amqp://", "amqps://", "pyamqp://")):
            yield from self._amqp(broker)
            return
        if not broker.startswith(("redis://", "rediss://", "unix://")):
            return
        import redis

        prefix = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix", "")
        queue = getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")
        family = GaugeMetricFamily(
            "parley_job_queue_depth", "Jobs waiting for a Celery worker in the broker.", labels=["queue"]
        )
        try:
            client = redis.Redis.from_url(broker, socket_timeout=0.5, socket_connect_timeout=0.5)
            pipe = client.pipeline(transaction=False)
            for suffix in PRIORITY_SUFFIXES:
                pipe.llen(f"{prefix}{queue}{suffix}")
            family.add_metric([queue], float(sum(pipe.execute())))
            client.close()
        except Exception:  # Redis away: no sample rather than a wrong one (healthz says why)
            return
        yield family

    def _amqp(self, broker: str):  # type: ignore[no-untyped-def]
        """RabbitMQ: the queue's ready messages, from a passive declare (which creates nothing)."""
        from kombu import Connection

        queue = getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")
        try:
            with Connection(broker, connect_timeout=0.5) as conn:
                _name, count, _consumers = conn.default_channel.queue_declare(queue=queue, passive=True)
        except Exception:  # the broker away, or no worker declared the queue yet: no sample
            return
        family = GaugeMetricFamily(
            "parley_job_queue_depth", "Jobs waiting for a Celery worker in the broker.", labels=["queue"]
        )
        family.add_metric([queue], float(count))
        yield family


JOB_QUEUE = JobQueueCollector()


class ReplicaCollector(Collector):
    """The read replica's state, asked at scrape time (parley.common.replica.lag). Absent
    without DATABASE_REPLICA_URL."""

    def collect(self):  # type: ignore[no-untyped-def]
        if not replica.enabled():
            return
        lag = replica.lag()
        up = GaugeMetricFamily("parley_replica_up", "1 when the read replica answers, else 0.")
        up.add_metric([], 1.0 if lag.up else 0.0)
        yield up
        if not lag.up:
            return
        seconds = GaugeMetricFamily(
            "parley_replica_lag_seconds",
            "Seconds the replica's replay is behind (0 when it has replayed all it received).",
        )
        seconds.add_metric([], lag.seconds)
        yield seconds
        behind = GaugeMetricFamily(
            "parley_replica_lag_bytes", "WAL bytes the primary has written that the replica has not replayed."
        )
        behind.add_metric([], float(lag.bytes))
        yield behind


REPLICA = ReplicaCollector()


@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    if not (_token_ok(request) or _address_ok(request)):
        return JsonResponse(error_body("forbidden", "Metrics are not public."), status=403)
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        from prometheus_client import multiprocess

        forget_dead_workers(folder)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, folder)
        output = generate_latest(registry)
    else:
        output = generate_latest(REGISTRY)
    jobs = CollectorRegistry(auto_describe=False)
    jobs.register(JOB_QUEUE)
    jobs.register(REPLICA)
    output += generate_latest(jobs)
    response = HttpResponse(output, content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
