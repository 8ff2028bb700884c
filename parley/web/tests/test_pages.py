"""The web client's page, the API schema and docs, and security headers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_page_urls_serve_the_built_client_or_say_how_to_build_it(settings: Any, tmp_path: Path) -> None:
    settings.FRONTEND_DIST = tmp_path
    r = Client().get("/rooms/12")
    assert r.status_code == 503
    assert b"make run" in r.content
    (tmp_path / "index.html").write_text(
        '<!doctype html><div id="app"></div><script type="module" src="/static/a.js"></script>'
    )
    r = Client().get("/rooms/12")
    assert r.status_code == 200
    assert b'id="app"' in r.content
    assert r["Cache-Control"] == "no-cache"
    assert "csrftoken" in r.cookies


def test_api_paths_are_not_swallowed_by_the_page_route() -> None:
    r = Client().get("/api/v1/nope")
    assert r.status_code == 404
    # In the API's error shape, as every other API answer.
    assert r["Content-Type"] == "application/json"
    assert r.json()["error"]["code"] == "not_found"


def test_security_headers_and_a_csp_without_inline_scripts() -> None:
    r = Client().get("/healthz")
    csp = r["Content-Security-Policy"]
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["X-Frame-Options"] == "DENY"
    assert r["Referrer-Policy"] == "same-origin"


def test_openapi_schema_describes_the_contract() -> None:
    r = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert r.status_code == 200
    import json

    schema = json.loads(r.content)
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    for path in [
        "/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/guest", "/api/v1/auth/logout",
        "/api/v1/me", "/api/v1/rooms", "/api/v1/rooms/{room_id}", "/api/v1/rooms/{room_id}/join",
        "/api/v1/rooms/{room_id}/leave", "/api/v1/rooms/{room_id}/members",
        "/api/v1/rooms/{room_id}/members/{user_id}", "/api/v1/rooms/{room_id}/messages",
        "/api/v1/rooms/{room_id}/read", "/api/v1/rooms/{room_id}/events", "/api/v1/search",
    ]:  # fmt: skip
        assert path in paths, path


def test_api_docs_are_served_without_a_cdn() -> None:
    r = Client().get("/api/docs/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "swagger" in html.lower()
    assert "cdn" not in html.lower() and "unpkg" not in html.lower() and "jsdelivr" not in html.lower()
    assert "/static/drf_spectacular_sidecar/" in html


@pytest.mark.processes  # runs `manage.py check --deploy` in a subprocess
def test_production_settings_pass_the_deploy_check(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PARLEY_TEST"))},
        "DEBUG": "false",
        "SECRET_KEY": "a" * 20 + "-production-secret-for-the-check-" + "z9" * 10,
        "ALLOWED_HOSTS": "chat.example.org",
        "SECURE_SSL_REDIRECT": "true",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "SECURE_HSTS_PRELOAD": "true",
        "PARLEY_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("PARLEY_TESTING", None)
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(__file__).resolve().parents[3], env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.processes  # runs `manage.py check` in subprocesses
def test_production_settings_refuse_a_wildcard_host_and_a_missing_secret(tmp_path: Path) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PARLEY_TEST"))}
    base.update(DEBUG="false", PARLEY_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings")
    root = Path(__file__).resolve().parents[3]
    no_secret = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=root,
        env={**base, "SECRET_KEY": ""},
        capture_output=True,
        text=True,
    )
    assert no_secret.returncode != 0 and "SECRET_KEY" in no_secret.stderr
    strong = "wildcard-check-" + "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"
    wildcard_env = {**base, "SECRET_KEY": strong, "ALLOWED_HOSTS": "*"}
    wildcard = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=root, env=wildcard_env, capture_output=True, text=True
    )
    assert wildcard.returncode != 0 and "ALLOWED_HOSTS" in wildcard.stderr


def test_schema_validates_and_the_committed_export_is_current(tmp_path: Path) -> None:
    from django.core.management import call_command

    out = tmp_path / "openapi.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    committed = Path(__file__).resolve().parents[3] / "docs" / "api" / "openapi.yaml"
    assert out.read_text() == committed.read_text(), "run `make openapi` and commit docs/api/openapi.yaml"
