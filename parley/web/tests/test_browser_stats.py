"""The statistics page in a real browser: a staff member sees the charts, anyone else "Staff only".

A server of its own (so the numbers are exactly this test's), a superuser made by
`manage.py createsuperuser --noinput`, messages sent over REST and spread over the
last weeks, the aggregation run by `manage.py stats_aggregate`, then the page in
light and dark at desktop and phone widths (screenshots in artifacts/screenshots).
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator

import httpx
import pytest

from parley.testing.live import ROOT, ServerProcess, base_env, migrate, private_database, unavailable
from parley.web.tests.test_browser import SHOTS, browser, new_page, register  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.processes]

ADMIN, ADMIN_PASSWORD = "admin", "a long admin passphrase 42"
PASSWORD = "a long enough passphrase 42"
ROOMS = {"townsquare": 40, "random": 25, "dev-talk": 15, "support": 8, "a-room-with-a-rather-long-name": 3}
DM_MESSAGES = 4
TOTAL = sum(ROOMS.values())

# Dates the messages over the last three weeks (some today), at varied hours.
SPREAD = """
from datetime import timedelta
from django.utils import timezone
from parley.messaging.models import Message
now = timezone.now()
for m in Message.objects.order_by("id"):
    if m.id % 4 == 0:
        continue
    at = now - timedelta(days=(m.id * 5) % 21 + 1, hours=(m.id * 7) % 13)
    Message.objects.filter(pk=m.pk).update(created_at=at)
"""


def manage(server: ServerProcess, *args: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**server.env, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        unavailable("frontend/dist is not built (make frontend)")
    with private_database("sqlite") as db:
        env = base_env(db, WS_SEND_RATE="1000", WS_SEND_BURST="1000")
        migrate(env)
        server = ServerProcess(env).start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="module")
def counted(server: ServerProcess) -> dict[str, int]:
    """A superuser and a member chat in five rooms; the job counts it all."""
    manage(
        server,
        "createsuperuser",
        "--noinput",
        DJANGO_SUPERUSER_USERNAME=ADMIN,
        DJANGO_SUPERUSER_EMAIL="admin@example.com",
        DJANGO_SUPERUSER_PASSWORD=ADMIN_PASSWORD,
    )
    with httpx.Client(base_url=server.url + "/api/v1/", timeout=10) as http:
        admin = http.post("auth/login", json={"username": ADMIN, "password": ADMIN_PASSWORD})
        assert admin.status_code == 200, admin.text
        assert admin.json()["user"]["is_staff"] is True
        http.cookies.clear()  # tokens from here on: a session cookie would ask for CSRF
        bob = http.post("auth/register", json={"username": "bob", "password": PASSWORD})
        assert bob.status_code == 201, bob.text
        http.cookies.clear()
        tokens = [admin.json()["token"], bob.json()["token"]]
        heads = [{"Authorization": f"Token {t}"} for t in tokens]
        for name, n in ROOMS.items():
            room = http.post("rooms", json={"name": name}, headers=heads[0]).json()
            http.post(f"rooms/{room['id']}/join", headers=heads[1]).raise_for_status()
            for i in range(n):
                body = {"body": f"{name} {i}", "client_id": uuid.uuid4().hex}
                http.post(
                    f"rooms/{room['id']}/messages", json=body, headers=heads[1 if i % 3 == 0 else 0]
                ).raise_for_status()
        # A direct conversation: counted apart, never named in the busiest rooms.
        dm = http.post("dms", json={"user_ids": [admin.json()["user"]["id"]]}, headers=heads[1]).json()
        for i in range(DM_MESSAGES):
            body = {"body": f"just us {i}", "client_id": uuid.uuid4().hex}
            http.post(f"rooms/{dm['id']}/messages", json=body, headers=heads[i % 2]).raise_for_status()
    manage(server, "shell", "-c", SPREAD)
    out = manage(server, "stats_aggregate", "--settle", "0")
    assert out.startswith(f"Aggregated {TOTAL + DM_MESSAGES} message(s)")
    assert manage(server, "stats_aggregate", "--settle", "0").startswith("Aggregated 0 message(s)")
    return ROOMS


def sign_in(page, username: str, password: str) -> None:
    page.goto("/login")
    page.get_by_test_id("tab-login").click()
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("lobby").wait_for()


def test_a_member_sees_staff_only_and_no_link(browser, server: ServerProcess, counted) -> None:  # noqa: F811
    ctx, page = new_page(browser, server)
    try:
        register(page, f"member{uuid.uuid4().hex[:6]}")
        assert page.get_by_test_id("stats-link").count() == 0
        page.goto("/stats")
        notice = page.get_by_test_id("stats-staff-only")
        notice.wait_for()
        assert "Staff only" in notice.inner_text()
        assert page.locator("canvas").count() == 0
        assert page.request.get("/api/v1/stats").status == 403
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "stats-staff-only.png"))
        assert page.errors == []
    finally:
        ctx.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_staff_see_the_charts(browser, server: ServerProcess, counted, scheme: str, width: int) -> None:  # noqa: F811
    # Tall enough to hold the whole page: the page scrolls inside the app, not the document.
    height = 1150 if width > 720 else 1900
    ctx, page = new_page(browser, server, color_scheme=scheme, viewport={"width": width, "height": height})
    try:
        sign_in(page, ADMIN, ADMIN_PASSWORD)
        page.get_by_test_id("stats-link").click()
        page.wait_for_url("**/stats")
        for chart in ("chart-days", "chart-rooms", "chart-hours"):
            canvas = page.get_by_test_id(chart)
            canvas.wait_for()
            box = canvas.bounding_box()
            assert box is not None and box["width"] > 200 and box["height"] > 150, (chart, box)
        assert page.get_by_test_id("stats-messages").inner_text().split()[-1] == str(TOTAL + DM_MESSAGES)
        assert page.get_by_test_id("stats-active").inner_text().split()[-1] == "2"
        rooms_label = page.get_by_test_id("chart-rooms").get_attribute("aria-label")
        assert "townsquare" in rooms_label and "admin" not in rooms_label and "bob" not in rooms_label
        direct = page.get_by_test_id("stats-direct").inner_text()
        assert (
            direct
            == f"Direct messages: messages {DM_MESSAGES} · conversations 1 · people 2 (not in the list above)"
        ), direct
        # Usable at phone width: nothing wider than the viewport.
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"stats-{scheme}-{width}.png"))
        assert page.errors == []
    finally:
        ctx.close()
