"""Probes reach a process by its private address (`web:8000` on the compose network,
`127.0.0.1:8000` under systemd), a name the public ALLOWED_HOSTS leaves out: /healthz and
/metrics answer whatever the Host, and nothing else does."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def public_hosts_only(settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["chat.example.org"]
    settings.REDIS_URL = ""


@pytest.mark.usefixtures("public_hosts_only")
def test_health_check_by_the_private_address() -> None:
    r = Client().get("/healthz", HTTP_HOST="web:8000")
    assert r.status_code == 200, r.content
    assert r.json() == {"database": "ok", "redis": "off"}


@pytest.mark.usefixtures("public_hosts_only")
def test_scrape_by_the_private_address_with_the_token(settings: Any) -> None:
    """What docs/deploy.md tells Prometheus to do: web:8000/metrics with the bearer token."""
    settings.METRICS_ALLOWED = []
    settings.METRICS_TOKEN = "scrape-secret"
    ok = Client().get("/metrics", HTTP_HOST="web:8000", HTTP_AUTHORIZATION="Bearer scrape-secret")
    assert ok.status_code == 200, ok.content
    assert b"parley_messages_sent_total" in ok.content
    # The host is not checked, the metrics' own gate still is.
    assert Client().get("/metrics", HTTP_HOST="web:8000").status_code == 403


@pytest.mark.usefixtures("public_hosts_only")
def test_every_other_path_still_checks_the_host() -> None:
    assert Client().get("/", HTTP_HOST="web:8000").status_code == 400
    assert Client().get("/api/v1/me", HTTP_HOST="web:8000").status_code == 400
    assert Client().get("/healthz/", HTTP_HOST="web:8000").status_code == 400
    assert Client().get("/healthz", HTTP_HOST="chat.example.org").status_code == 200


@pytest.mark.usefixtures("public_hosts_only")
def test_probes_keep_the_security_headers() -> None:
    r = Client().get("/healthz", HTTP_HOST="web:8000")
    assert r["X-Frame-Options"] == "DENY" and r["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in r["Content-Security-Policy"]
