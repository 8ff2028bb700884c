"""The installable app in Chromium (issue 30): manifest, service worker, offline, updates, push.

A server of its own serves a copy of frontend/dist, so one test can deploy a "new version"
(new bytes in sw.js) without touching the build. Each test runs in a persistent (not
incognito) Chromium profile: Chromium does not offer to install from an incognito window,
and says so in `Page.getInstallabilityErrors`.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from parley.testing.live import ROOT, ServerProcess, base_env, migrate, private_database
from parley.testing.waits import in_page, wait_until
from parley.web.tests import test_browser as base
from parley.web.tests.test_browser_ui import DESKTOP, api, make_room, open_room, post, sign_up

browser = base.browser

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - playwright is a dev dependency
    expect = None  # type: ignore[assignment]

pytestmark = [pytest.mark.browser, pytest.mark.processes]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    built = ROOT / "frontend" / "dist"
    if not (built / "sw.js").exists():
        base.unavailable("frontend/dist is not built with its service worker (make frontend)")
    copy = tmp_path_factory.mktemp("pwa") / "dist"
    shutil.copytree(built, copy)
    return copy


@pytest.fixture(scope="module")
def server(dist: Path) -> Iterator[ServerProcess]:
    with private_database("sqlite") as db:
        env = base_env(db, PARLEY_FRONTEND_DIST=str(dist), WS_SEND_RATE="50", WS_SEND_BURST="200")
        migrate(env)
        server = ServerProcess(env).start()
        try:
            yield server
        finally:
            server.stop()


def installable_context(browser, server: ServerProcess, profile: Path):  # type: ignore[no-untyped-def]
    """A Chromium profile of its own on disk (Chromium will not install from an incognito
    context, which `new_context()` makes) that allows notifications, and its first page."""
    ctx = browser.browser_type.launch_persistent_context(
        str(profile),
        executable_path=str(base.CHROMIUM),
        args=base.ARGS,
        base_url=server.url,
        locale="en-US",
        permissions=["notifications"],
        service_workers="allow",
        **DESKTOP,
    )
    ctx.set_default_timeout(base.TIMEOUT)
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return ctx, page


@pytest.fixture
def app(browser, server: ServerProcess, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A signed-in person in a Chromium profile of their own, on the lobby, the worker in control."""
    ctx, page = installable_context(browser, server, tmp_path / "profile")
    token = sign_up(page)
    page.goto("/")
    page.get_by_test_id("lobby").wait_for()
    # The first worker installs (precaching the shell) and takes the page (clientsClaim).
    holds(page, "navigator.serviceWorker.controller !== null")
    try:
        yield ctx, page, token
        assert page.errors == [], page.errors
    finally:
        ctx.close()


def holds(page, js: str, what: str = "") -> object:  # type: ignore[no-untyped-def]
    """Wait until the page's `js` (an expression, maybe a promise) is truthy; return it."""
    seconds = base.TIMEOUT / 1000
    return wait_until(lambda: page.evaluate(js), timeout=seconds, what=what or js, pause=in_page(page))


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def is_offline(page) -> bool:  # type: ignore[no-untyped-def]
    """Really offline: a request the worker does not answer from a cache fails."""
    return bool(page.evaluate("fetch('/healthz', {cache: 'no-store'}).then(() => false, () => true)"))


def test_installable_in_chromium_with_the_worker_at_the_root(app, server: ServerProcess) -> None:
    ctx, page, _token = app
    reg = page.evaluate(
        "navigator.serviceWorker.getRegistration().then(r => ({scope: r.scope, script: r.active.scriptURL}))"
    )
    assert reg == {"scope": server.url + "/", "script": server.url + "/sw.js"}
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL") == server.url + "/sw.js"

    r = page.request.get("/manifest.webmanifest")
    assert r.status == 200 and r.headers["content-type"] == "application/manifest+json"
    manifest = r.json()
    assert (manifest["name"], manifest["start_url"], manifest["scope"], manifest["display"]) == (
        "Parley",
        "/",
        "/",
        "standalone",
    )
    for icon in manifest["icons"]:
        got = page.request.get(icon["src"])
        assert got.status == 200, icon["src"]
        if icon["type"] == "image/png":
            w, h = png_size(got.body())
            assert f"{w}x{h}" == icon["sizes"], icon
    assert {"any", "maskable"} <= {i["purpose"] for i in manifest["icons"] if i["sizes"] == "512x512"}

    cdp = ctx.new_cdp_session(page)
    seen = cdp.send("Page.getAppManifest")
    assert seen["url"] == server.url + "/manifest.webmanifest"
    assert seen["errors"] == []
    # Chromium's own install criteria: manifest, icons, a worker controlling the start URL.
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    colours = page.locator('meta[name="theme-color"]').evaluate_all("ms => ms.map(m => m.media)")
    assert colours == ["(prefers-color-scheme: light)", "(prefers-color-scheme: dark)"]


def test_the_shell_and_an_opened_room_read_offline_and_the_outbox_still_queues(app) -> None:
    ctx, page, token = app
    room = make_room(page, token, topic="read me offline")
    for n in range(3):
        post(page, token, room["id"], f"history line {n}")
    other = make_room(page, token)
    post(page, token, other["id"], "never opened")
    open_room(page, room["id"])
    expect(base.sent(page, "history line 2")).to_be_visible()
    page.goto("/")
    page.get_by_test_id("lobby").wait_for()

    ctx.set_offline(True)
    assert is_offline(page)
    # The app shell opens without the server (reload and a cold navigation to a room's URL).
    page.reload()
    page.get_by_test_id("lobby").wait_for()
    page.get_by_test_id("offline-banner").wait_for()
    page.goto(f"/rooms/{room['id']}")
    page.get_by_test_id("composer").wait_for()
    for n in range(3):
        expect(base.sent(page, f"history line {n}")).to_be_visible()
    # A room never opened has nothing to show offline (only what was read is kept).
    page.goto(f"/rooms/{other['id']}")
    expect(base.sent(page, "never opened")).to_have_count(0)

    # Written offline: queued by the outbox as without a worker, sent once back online.
    page.goto(f"/rooms/{room['id']}")
    page.get_by_test_id("composer").wait_for()
    base.send(page, "written offline")
    base.message(page, "written offline").get_by_test_id("message-pending").wait_for()
    ctx.set_offline(False)
    page.get_by_test_id("offline-banner").wait_for(state="hidden")
    expect(base.sent(page, "written offline")).to_have_count(1)
    bodies = [m["body"] for m in api(page, token, "GET", f"rooms/{room['id']}/messages")["messages"]]
    assert bodies.count("written offline") == 1


def test_a_new_version_offers_reload_and_takes_over(app, dist: Path) -> None:
    _ctx, page, _token = app
    worker = dist / "sw.js"
    original = worker.read_bytes()
    expect(page.get_by_test_id("update-prompt")).to_have_count(0)
    try:
        worker.write_bytes(original + b"\n// the next deploy\n")
        page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
        prompt = page.get_by_test_id("update-prompt")
        expect(prompt).to_be_visible()
        expect(prompt).to_contain_text("A new version of Parley is available")
        # Until then the old worker keeps the page (nothing reloads under the reader's hands).
        assert page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.waiting !== null)")
        page.evaluate("window.beforeReload = true")
        with page.expect_event("load"):
            prompt.get_by_test_id("update-reload").click()
        assert page.evaluate("window.beforeReload") is None
        page.get_by_test_id("lobby").wait_for()
        state = page.evaluate(
            "navigator.serviceWorker.getRegistration().then(r => ({waiting: r.waiting, active: !!r.active}))"
        )
        assert state == {"waiting": None, "active": True}
        expect(page.get_by_test_id("update-prompt")).to_have_count(0)
    finally:
        worker.write_bytes(original)


def registration_id(cdp, scope: str) -> str:  # type: ignore[no-untyped-def]
    found: list[str] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: found.extend(
            r["registrationId"] for r in e["registrations"] if r["scopeURL"] == scope and not r["isDeleted"]
        ),
    )
    cdp.send("ServiceWorker.enable")
    for _ in range(50):
        if found:
            return found[0]
        cdp.send("Runtime.evaluate", {"expression": "1"})
    raise AssertionError("no service worker registration reported")


def notifications(page) -> list[dict]:  # type: ignore[no-untyped-def]
    return page.evaluate(  # type: ignore[no-any-return]
        "navigator.serviceWorker.ready.then(r => r.getNotifications())"
        ".then(ns => ns.map(n => ({title: n.title, body: n.body, tag: n.tag, data: n.data})))"
    )


def test_a_push_shows_a_notification_per_room_and_its_click_opens_it(app, server: ServerProcess) -> None:
    ctx, page, token = app
    room = make_room(page, token)
    msg = api(page, token, "POST", f"rooms/{room['id']}/messages", {"body": "open me", "client_id": "pwa-1"})
    cdp = ctx.new_cdp_session(page)
    reg = registration_id(cdp, server.url + "/")
    url = f"/rooms/{room['id']}?msg={msg['id']}&seq={msg['seq']}"
    payload = {
        "v": 1,
        "title": "Ann in #lunch",
        "body": "open me",
        "url": url,
        "tag": f"room-{room['id']}",
        "room": room["id"],
        "message_id": msg["id"],
        "seq": msg["seq"],
        "thread": None,
        "count": 1,
        "hidden": False,
        "kind": "room",
    }

    def deliver(data: dict) -> None:
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": server.url, "registrationId": reg, "data": json.dumps(data)},
        )

    deliver(payload)
    holds(page, "navigator.serviceWorker.ready.then(r => r.getNotifications()).then(ns => ns.length === 1)")
    [shown] = notifications(page)
    assert (shown["title"], shown["body"], shown["tag"]) == ("Ann in #lunch", "open me", f"room-{room['id']}")

    # A later push for the room replaces it; "hide text" keeps sender and text off the lock screen.
    deliver({**payload, "title": "Ann in #lunch", "body": "secret", "count": 2, "hidden": True})
    holds(
        page,
        "navigator.serviceWorker.ready.then(r => r.getNotifications())"
        ".then(ns => ns.length === 1 && ns[0].title === 'Parley')",
    )
    [hidden] = notifications(page)
    assert (hidden["title"], hidden["body"]) == ("Parley", "New message")
    assert hidden["data"]["url"] == url

    # The click (dispatched in the worker: headless Chromium has no notification to click)
    # brings the open window to the message through the app's router.
    [worker] = ctx.service_workers
    worker.evaluate(
        "self.registration.getNotifications().then(ns =>"
        " self.dispatchEvent(new NotificationEvent('notificationclick', {notification: ns[0]})))"
    )
    expect(page).to_have_url(re.compile(re.escape(f"/rooms/{room['id']}?")))
    expect(base.sent(page, "open me")).to_be_visible()
    assert notifications(page) == []


def test_signing_out_forgets_the_cached_answers(app) -> None:
    _ctx, page, token = app
    room = make_room(page, token)
    post(page, token, room["id"], "private words")
    open_room(page, room["id"])
    expect(base.sent(page, "private words")).to_be_visible()
    cached = "caches.open('parley-api').then(c => c.keys()).then(ks => ks.map(k => k.url))"
    assert any(f"/rooms/{room['id']}/messages" in u for u in page.evaluate(cached))
    page.evaluate(
        "fetch('/api/v1/auth/logout', {method: 'POST', headers: {'X-CSRFToken':"
        " document.cookie.match(/csrftoken=([^;]+)/)[1]}})"
    )
    holds(page, "caches.has('parley-api').then(h => !h)")
