"""The web client in a real browser (Debian's Chromium) against a real server.

Two people chat in real time, history survives a reload, messages written
offline arrive once, user content never runs as HTML, guests get in, and the
lobby and a room are captured in light and dark at desktop and phone widths.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from parley.testing.live import ROOT, ServerProcess, unavailable

try:
    from playwright import sync_api
except ImportError:  # pragma: no cover - playwright is a dev dependency
    sync_api = None  # type: ignore[assignment]

pytestmark = [pytest.mark.browser, pytest.mark.processes]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = ROOT / "artifacts" / "screenshots"
TIMEOUT = 15_000


@pytest.fixture(scope="module")
def server(live_server_embedded: ServerProcess) -> ServerProcess:
    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        unavailable("frontend/dist is not built (make frontend)")
    return live_server_embedded


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if sync_api is None:
        unavailable("playwright is not installed")
    if not CHROMIUM.exists():
        unavailable("/usr/bin/chromium is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


def new_page(browser, server: ServerProcess, **context_args):
    # The client picks its language from the browser's: English unless a test asks otherwise.
    context_args.setdefault("locale", "en-US")
    context = browser.new_context(base_url=server.url, **context_args)
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return context, page


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def sign_up_on_screen(page, username: str) -> None:
    """Register through the sign-in screen; a new account lands in the main room."""
    page.goto("/login")
    page.get_by_test_id("tab-register").click()
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill("a long enough passphrase 42")
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("composer").wait_for()


def register(page, username: str) -> None:
    """Register on screen, then go on from the lobby."""
    sign_up_on_screen(page, username)
    page.goto("/")
    page.get_by_test_id("lobby").wait_for()


def create_room(page, name: str, topic: str = "") -> None:
    page.get_by_test_id("create-room").click()
    page.get_by_test_id("room-name").fill(name)
    if topic:
        page.get_by_test_id("room-topic").fill(topic)
    page.get_by_test_id("create-room-submit").click()
    page.get_by_test_id("composer").wait_for()


def join_room(page, name: str) -> None:
    page.goto("/")
    item = page.locator(f'[data-testid="room-item"][data-room-name="{name}"]')
    item.get_by_test_id("join-room").click()
    page.get_by_test_id("composer").wait_for()


def send(page, body: str) -> None:
    page.get_by_test_id("composer").fill(body)
    page.get_by_test_id("composer").press("Enter")


def message(page, body: str):
    return page.locator('[data-testid="message"]', has=page.get_by_text(body, exact=True))


def sent(page, body: str):
    """Sent messages whose own text is `body` (not one that quotes it in a reply)."""
    text = page.get_by_test_id("message-body").get_by_text(body, exact=True)
    return page.locator('[data-testid="message"][data-state="sent"]', has=text)


@pytest.fixture(scope="module")
def pair(browser, server: ServerProcess) -> Iterator[tuple[object, object, str]]:
    """Alice and Bob, each in a browser context of their own, in one public room."""
    ctx_a, alice = new_page(browser, server)
    ctx_b, bob = new_page(browser, server)
    room = unique("room")
    register(alice, unique("alice"))
    register(bob, unique("bob"))
    create_room(alice, room, topic="Chat about https://example.com")
    join_room(bob, room)
    yield alice, bob, room
    ctx_a.close()
    ctx_b.close()


def test_two_people_chat_in_real_time(pair) -> None:
    alice, bob, _room = pair
    send(alice, "hello from alice")
    sent(bob, "hello from alice").wait_for()
    send(bob, "hi alice, bob here")
    sent(alice, "hi alice, bob here").wait_for()
    # Own messages are set apart, and each message carries its seq.
    own = sent(alice, "hello from alice")
    assert "own" in (own.get_attribute("class") or "")
    assert int(own.get_attribute("data-seq") or 0) > 0
    assert alice.errors == [] and bob.errors == []


def test_reload_keeps_history(pair) -> None:
    alice, bob, _room = pair
    send(alice, "before the reload")
    sent(alice, "before the reload").wait_for()
    bob.reload()
    sent(bob, "before the reload").wait_for()
    sent(bob, "hello from alice").wait_for()
    bob.get_by_test_id("composer").wait_for()


def test_offline_messages_are_queued_and_arrive_once(pair) -> None:
    alice, bob, _room = pair
    bob.context.set_offline(True)
    bob.get_by_test_id("offline-banner").wait_for()
    send(bob, "written while offline 1")
    send(bob, "written while offline 2")
    message(bob, "written while offline 1").get_by_test_id("message-pending").wait_for()
    send(alice, "sent while bob was away")
    sent(alice, "sent while bob was away").wait_for()

    bob.context.set_offline(False)
    bob.get_by_test_id("offline-banner").wait_for(state="hidden")
    for body in ("written while offline 1", "written while offline 2", "sent while bob was away"):
        sent(bob, body).wait_for()
    for body in ("written while offline 1", "written while offline 2"):
        sent(alice, body).wait_for()
        assert message(alice, body).count() == 1
        assert message(bob, body).count() == 1
    seqs = [
        int(s)
        for s in bob.locator('[data-testid="message"]').evaluate_all("els => els.map(e => e.dataset.seq)")
    ]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))


def test_html_in_a_message_is_text_and_runs_nothing(pair) -> None:
    alice, bob, _room = pair
    dialogs: list[str] = []

    def on_dialog(d) -> None:  # type: ignore[no-untyped-def]
        dialogs.append(d.message)
        d.dismiss()

    for page in (alice, bob):
        page.on("dialog", on_dialog)
    body = "<img src=x onerror=alert(1)>"
    send(alice, body)
    for page in (alice, bob):
        item = sent(page, body)
        item.wait_for()
        assert item.get_by_test_id("message-body").inner_text().strip() == body
        assert item.get_by_test_id("message-body").locator("img").count() == 0
    send(bob, "link https://example.com/page ok")
    link = sent(alice, "link https://example.com/page ok").locator("a")
    link.wait_for()
    assert link.get_attribute("target") == "_blank"
    assert link.get_attribute("rel") == "noopener noreferrer"
    # No dialog may open: nothing signals "no script will run", so a late one gets a window.
    alice.wait_for_timeout(500)
    assert dialogs == []


def test_a_guest_can_sign_in(browser, server: ServerProcess) -> None:
    ctx, page = new_page(browser, server)
    try:
        page.goto("/login")
        page.get_by_test_id("tab-guest").click()
        page.get_by_test_id("guest-form").wait_for()
        page.get_by_test_id("guest-nickname").fill("Visitor")
        options = page.get_by_test_id("avatar-option")
        if options.count() > 1:
            options.nth(1).click()
        page.get_by_test_id("guest-submit").click()
        page.get_by_test_id("composer").wait_for()  # a new guest lands in the main room
        assert "Visitor" in page.get_by_test_id("current-user").inner_text()
        page.goto("/")
        page.get_by_test_id("lobby").wait_for()
    finally:
        ctx.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 360])
def test_screenshots(browser, server: ServerProcess, pair, scheme: str, width: int) -> None:
    _alice, _bob, room = pair
    SHOTS.mkdir(parents=True, exist_ok=True)
    ctx, page = new_page(browser, server, color_scheme=scheme, viewport={"width": width, "height": 800})
    try:
        register(page, unique("shot"))
        join_room(page, room)
        page.goto("/")
        page.get_by_test_id("joined-rooms").wait_for()
        page.screenshot(path=str(SHOTS / f"lobby-{scheme}-{width}.png"))
        page.locator(f'[data-testid="room-item"][data-room-name="{room}"] a').click()
        sent(page, "hi alice, bob here").wait_for()
        page.screenshot(path=str(SHOTS / f"room-{scheme}-{width}.png"))
        # Usable at phone width: nothing wider than the viewport.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
    finally:
        ctx.close()
