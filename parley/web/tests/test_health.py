"""`GET /healthz`: 200 when the database and a configured Redis answer, 503 (with a
reason) when one does not, and never slower than its timeout when one hangs."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from django.test import Client

from parley.testing.faults import RedisServer, TcpProxy
from parley.testing.live import (
    ServerProcess,
    base_env,
    migrate,
    private_database,
    refused_port,
    services_or_skip,
)
from parley.testing.waits import wait_until

pytestmark = pytest.mark.django_db


def test_healthy_without_redis_says_it_is_off(settings: Any) -> None:
    settings.REDIS_URL = ""
    r = Client().get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"database": "ok", "redis": "off"}
    assert r["Cache-Control"] == "no-store"


def test_probes_over_plain_http_are_not_redirected_to_tls(settings: Any) -> None:
    """Behind the TLS proxy, health checks and scrapers call the app directly over HTTP."""
    settings.REDIS_URL = ""
    settings.SECURE_SSL_REDIRECT = True
    assert Client().get("/healthz").status_code == 200
    assert Client().get("/metrics").status_code == 200
    assert Client().get("/api/v1/me").status_code == 301  # everything else still redirects


def test_a_configured_redis_that_refuses_connections_is_down(settings: Any) -> None:
    settings.REDIS_URL = f"redis://127.0.0.1:{refused_port()}/0"  # held, never listening
    r = Client().get("/healthz")
    assert r.status_code == 503
    body = r.json()
    assert (body["database"], body["redis"]) == ("ok", "down")
    assert body["reasons"]["redis"] and "database" not in body["reasons"]


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server that accepts connections and never answers (a hung dependency)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        listener.close()


def test_a_hung_redis_cannot_hang_the_probe(settings: Any, silent_server: int) -> None:
    settings.REDIS_URL = f"redis://127.0.0.1:{silent_server}/0"
    settings.HEALTH_TIMEOUT = 0.5
    for _ in range(3):  # a check still stuck from the previous probe is reported at once
        start = time.monotonic()
        r = Client().get("/healthz")
        elapsed = time.monotonic() - start
        assert r.status_code == 503
        assert r.json()["redis"] == "down"
        assert elapsed < 1.5, elapsed


def _wait_for(url: str, status: int, timeout: float = 20) -> dict[str, Any]:
    def answer() -> dict[str, Any] | None:
        try:
            r = httpx.get(url + "/healthz", timeout=5)
        except httpx.HTTPError:
            return None
        return dict(r.json()) if r.status_code == status else None

    return wait_until(answer, timeout=timeout, interval=0.1, what=f"/healthz to answer {status}")


@pytest.mark.processes
# Django logs every 5xx answer at ERROR; a 503 from the probe is what this test provokes.
@pytest.mark.server_log_expects(r"ERROR django\.request: Service Unavailable: /healthz$")
def test_a_live_server_reports_redis_and_the_database_going_and_coming_back() -> None:
    """Real process, private redis-server (killed and restarted on its port), PostgreSQL
    behind a proxy the test cuts and restores."""
    services_or_skip(redis=False)
    redis = RedisServer().start()
    server: ServerProcess | None = None
    try:
        with private_database("postgres") as db:
            migrate(base_env(db))
            pg = urlparse(db)
            with TcpProxy(pg.hostname or "127.0.0.1", pg.port or 5432) as proxy:
                proxied = db.replace(f"{pg.hostname}:{pg.port or 5432}", f"127.0.0.1:{proxy.port}", 1)
                server = ServerProcess(base_env(proxied, redis.url, HEALTH_TIMEOUT="1")).start()
                assert _wait_for(server.url, 200) == {"database": "ok", "redis": "ok"}

                redis.kill9()
                down = _wait_for(server.url, 503)
                assert (down["database"], down["redis"]) == ("ok", "down"), down
                assert down["reasons"]["redis"]

                redis = RedisServer(port=redis.port).start()  # empty, on the same port
                assert _wait_for(server.url, 200) == {"database": "ok", "redis": "ok"}

                proxy.cut()
                down = _wait_for(server.url, 503)
                assert (down["database"], down["redis"]) == ("down", "ok"), down
                assert down["reasons"]["database"]

                proxy.restore()
                assert _wait_for(server.url, 200) == {"database": "ok", "redis": "ok"}
                server.stop()
                server = None
    finally:
        if server is not None:
            server.stop()
        redis.stop()
