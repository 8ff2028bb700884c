"""The installable app's files at the site root: /sw.js and /manifest.webmanifest (issue 30)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from parley.testing.live import ROOT, unavailable

pytestmark = pytest.mark.django_db


@pytest.fixture
def dist(settings: Any, tmp_path: Path) -> Path:
    settings.FRONTEND_DIST = tmp_path
    (tmp_path / "sw.js").write_text("self.addEventListener('fetch', () => {})\n")
    (tmp_path / "manifest.webmanifest").write_text('{"name": "Parley", "start_url": "/"}')
    return tmp_path


def test_the_service_worker_is_served_from_the_root_for_the_whole_site(dist: Path) -> None:
    r = Client().get("/sw.js")
    assert r.status_code == 200
    assert r["Content-Type"] == "text/javascript; charset=utf-8"
    assert r["Service-Worker-Allowed"] == "/"
    # Revalidated on every update check, so a deploy is seen at once (never a long cache).
    assert r["Cache-Control"] == "no-cache"
    assert r.content == (dist / "sw.js").read_bytes()
    # The worker runs under the site's CSP: its scripts from our origin only.
    assert "script-src 'self'" in r["Content-Security-Policy"]


def test_an_unchanged_worker_answers_304_and_a_new_build_a_new_etag(dist: Path) -> None:
    first = Client().get("/sw.js")
    again = Client().get("/sw.js", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    (dist / "sw.js").write_text("// build 2\n")
    changed = Client().get("/sw.js", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]
    assert changed.content == b"// build 2\n"


def test_the_manifest_has_its_own_content_type(dist: Path) -> None:
    r = Client().get("/manifest.webmanifest")
    assert r.status_code == 200
    assert r["Content-Type"] == "application/manifest+json"
    assert r["Cache-Control"] == "no-cache"
    assert json.loads(r.content)["name"] == "Parley"


def test_without_a_build_both_are_404_not_the_page(settings: Any, tmp_path: Path) -> None:
    settings.FRONTEND_DIST = tmp_path
    (tmp_path / "index.html").write_text("<!doctype html>")
    for path in ("/sw.js", "/manifest.webmanifest"):
        r = Client().get(path)
        # index.html under the worker's URL would register a page as a worker.
        assert r.status_code == 404, path
    assert Client().post("/sw.js").status_code == 405


def test_the_built_manifest_makes_the_app_installable() -> None:
    """The committed build configuration's manifest (checked in the browser too)."""
    path = ROOT / "frontend" / "dist" / "manifest.webmanifest"
    if not path.exists():
        unavailable("frontend/dist is not built with its manifest (make frontend)")
    manifest = json.loads(path.read_text())
    assert manifest["name"] == "Parley"
    assert manifest["start_url"] == "/" and manifest["scope"] == "/" and manifest["id"] == "/"
    assert manifest["display"] == "standalone"
    sizes = {(i["sizes"], i["purpose"]) for i in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        assert icon["src"].startswith("/static/")
        assert (ROOT / "frontend" / "dist" / icon["src"].removeprefix("/static/")).is_file(), icon["src"]
