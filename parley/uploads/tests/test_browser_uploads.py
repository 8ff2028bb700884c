"""Files in the web client (issue 12): paste, the button and a drop; the other person sees them live.

Alice on a desktop (1280 x 800) and Bob on a phone (390 x 844), each in a browser
context of their own, in one room that Alice owns. Screenshots land in
`artifacts/screenshots/upload-*.png`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from parley.testing.live import ServerProcess
from parley.web.tests import test_browser as base
from parley.web.tests.test_browser import SHOTS, new_page, unique
from parley.web.tests.test_browser_ui import DESKTOP, PHONE, api, make_room, open_room, sign_up

browser = base.browser
server = base.server

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - playwright is a dev dependency
    expect = None  # type: ignore[assignment]

pytestmark = [pytest.mark.browser, pytest.mark.processes]

# Draws a picture on a canvas and pastes it into the composer as the clipboard's file,
# the way a screenshot tool's paste arrives (a File named "image.png").
PASTE_IMAGE = """async ([width, height]) => {
  const canvas = document.createElement('canvas')
  canvas.width = width
  canvas.height = height
  const g = canvas.getContext('2d')
  g.fillStyle = '#2a7ae2'; g.fillRect(0, 0, width, height)
  g.fillStyle = '#ffd23f'; g.beginPath(); g.arc(width / 2, height / 2, height / 3, 0, 7); g.fill()
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'))
  const data = new DataTransfer()
  data.items.add(new File([blob], 'image.png', { type: 'image/png' }))
  const composer = document.querySelector('[data-testid="composer"]')
  const paste = new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true })
  composer.dispatchEvent(paste)
}"""

# Drops a text file on the conversation: dragenter, dragover, drop with one DataTransfer.
DROP_FILE = """([name, text]) => {
  const data = new DataTransfer()
  data.items.add(new File([text], name, { type: 'text/plain' }))
  const zone = document.querySelector('[data-testid="drop-zone"]')
  for (const type of ['dragenter', 'dragover', 'drop']) {
    zone.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }))
  }
}"""


class Person:
    def __init__(self, page, token: str) -> None:
        self.page = page
        self.token = token


@pytest.fixture(scope="module")
def chat(browser, server: ServerProcess) -> Iterator[tuple[Person, Person, dict]]:
    ctx_a, page_a = new_page(browser, server, **DESKTOP)
    ctx_b, page_b = new_page(browser, server, **PHONE)
    alice = Person(page_a, sign_up(page_a, unique("alice")))
    bob = Person(page_b, sign_up(page_b, unique("bob")))
    room = make_room(page_a, alice.token, topic="Files")
    api(page_b, bob.token, "POST", f"rooms/{room['id']}/join")
    open_room(page_a, room["id"])
    open_room(page_b, room["id"])
    yield alice, bob, room
    for page in (page_a, page_b):
        assert page.errors == [], page.errors
    ctx_a.close()
    ctx_b.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"upload-{name}.png"))


def send_files(page, body: str = "") -> None:
    tray = page.get_by_test_id("pending-file")
    expect(tray.first).to_have_attribute("data-status", "done")
    if body:
        page.get_by_test_id("composer").fill(body)
    page.get_by_test_id("send-button").click()
    expect(page.get_by_test_id("attachment-tray")).to_have_count(0)


def last_message(page):
    return page.locator('[data-testid="message"][data-state="sent"]').last


def test_a_pasted_image_reaches_the_phone_which_opens_it_in_the_viewer(chat) -> None:
    alice, bob, _room = chat
    alice.page.evaluate(PASTE_IMAGE, [640, 400])
    pending = alice.page.get_by_test_id("pending-file")
    expect(pending).to_have_count(1)
    expect(pending).to_contain_text(re.compile(r"pasted-\d{8}-\d{6}\.png"))
    preview = pending.locator("img")  # the local preview (an object URL the CSP must allow)
    expect(preview).to_have_js_property("complete", True)
    assert preview.evaluate("img => img.naturalWidth") == 640
    send_files(alice.page, "the new logo")

    theirs = last_message(bob.page)
    expect(theirs.get_by_test_id("message-body")).to_have_text("the new logo")
    image = theirs.get_by_test_id("attachment-image")
    expect(image).to_be_visible()
    # The box has the picture's proportions before anything loads: 640 x 400 into 320 x 240.
    box = image.bounding_box()
    assert box is not None and abs(box["width"] / box["height"] - 1.6) < 0.05, box
    # The thumbnail is made off the request path and arrives as message.updated.
    expect(image.locator("img")).to_have_attribute("data-thumbnail", "yes")
    expect(image.locator("img")).to_have_js_property("complete", True)
    assert image.locator("img").evaluate("img => img.naturalWidth") == 480

    image.tap()
    viewer = bob.page.get_by_test_id("image-viewer")
    expect(viewer).to_be_visible()
    expect(bob.page.get_by_test_id("image-viewer-close")).to_be_focused()
    full = viewer.locator("img")
    expect(full).to_have_js_property("complete", True)
    assert full.evaluate("img => img.naturalWidth") == 640
    # Focus stays inside the viewer.
    bob.page.keyboard.press("Tab")
    expect(bob.page.get_by_test_id("image-viewer-download")).to_be_focused()
    bob.page.keyboard.press("Shift+Tab")
    expect(bob.page.get_by_test_id("image-viewer-close")).to_be_focused()
    shot(bob.page, "viewer-390")
    bob.page.keyboard.press("Escape")
    expect(viewer).to_have_count(0)


def test_a_file_from_the_button_and_one_dropped_show_as_cards(chat) -> None:
    alice, bob, _room = chat
    alice.page.get_by_test_id("file-input").set_input_files(
        files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"meeting at 5"}]
    )
    alice.page.evaluate(DROP_FILE, ["agenda.html", "<html><script>alert(1)</script></html>"])
    expect(alice.page.get_by_test_id("pending-file")).to_have_count(2)
    expect(alice.page.get_by_test_id("pending-file").nth(1)).to_have_attribute("data-status", "done")
    send_files(alice.page)

    cards = last_message(bob.page).get_by_test_id("attachment-file")
    expect(cards).to_have_count(2)
    expect(cards.nth(0)).to_contain_text("notes.txt")
    expect(cards.nth(1)).to_contain_text("agenda.html")
    # The HTML file is a download, never a page of ours.
    href = cards.nth(1).get_attribute("href") or ""
    r = bob.page.request.get(href)
    assert r.ok and r.headers["content-disposition"].startswith("attachment")
    assert r.headers["content-type"] == "text/html" and r.headers["x-content-type-options"] == "nosniff"


def test_a_refused_upload_says_why_and_can_be_removed(chat) -> None:
    alice, _bob, _room = chat
    page = alice.page
    too_large = {
        "error": {
            "code": "file_too_large",
            "message": "The file is too large: files are limited to 25 MiB.",
            "fields": {},
        }
    }
    page.route(re.compile(r".*/uploads$"), lambda route: route.fulfill(status=413, json=too_large))
    try:
        page.get_by_test_id("file-input").set_input_files(
            files=[{"name": "film.mov", "mimeType": "video/quicktime", "buffer": b"x" * 100}]
        )
        error = page.get_by_test_id("pending-file-error")
        expect(error).to_have_text("The file is too large: files are limited to 25 MiB.")
        expect(page.get_by_test_id("send-button")).to_be_disabled()
        page.get_by_test_id("pending-file-remove").click()
        expect(page.get_by_test_id("attachment-tray")).to_have_count(0)
    finally:
        page.unroute(re.compile(r".*/uploads$"))


def test_someone_outside_the_room_cannot_fetch_the_file(browser, server: ServerProcess, chat) -> None:
    _alice, bob, _room = chat
    image = last_message(bob.page).locator("a, button").first
    expect(image).to_be_visible()
    url = bob.page.locator('[data-testid="attachment-file"]').last.get_attribute("href")
    assert url and url.startswith("/api/v1/uploads/")
    ctx, page = new_page(browser, server, **DESKTOP)
    try:
        sign_up(page)  # signed in, but not in the room
        assert page.request.get(url).status == 404
        page.context.clear_cookies()
        assert page.request.get(url).status == 401
    finally:
        ctx.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("device", ["1280", "390"])
def test_screenshots_of_images_and_files(
    browser, server: ServerProcess, chat, scheme: str, device: str
) -> None:
    alice, _bob, _room = chat
    ctx, page = new_page(browser, server, color_scheme=scheme, **(DESKTOP if device == "1280" else PHONE))
    try:
        room = make_room(alice.page, alice.token, name=unique("photos-"), topic="Trip photos")
        token = sign_up(page)
        api(page, token, "POST", f"rooms/{room['id']}/join")
        open_room(page, room["id"])
        page.evaluate(PASTE_IMAGE, [800, 600])
        send_files(page, "from the trip")
        image = last_message(page).get_by_test_id("attachment-image").locator("img")
        expect(image).to_have_attribute("data-thumbnail", "yes")
        page.get_by_test_id("file-input").set_input_files(
            files=[
                {
                    "name": "itinerary-final-v3.pdf",
                    "mimeType": "application/pdf",
                    "buffer": b"%PDF-1.7\n" + b"0" * 40000,
                }
            ]
        )
        send_files(page, "and the plan")
        expect(last_message(page).get_by_test_id("attachment-file")).to_contain_text("itinerary-final-v3.pdf")
        page.evaluate(PASTE_IMAGE, [300, 500])
        page.get_by_test_id("file-input").set_input_files(
            files=[
                {"name": "receipts.zip", "mimeType": "application/zip", "buffer": b"PK\x05\x06" + bytes(18)}
            ]
        )
        expect(page.get_by_test_id("pending-file")).to_have_count(2)
        expect(page.get_by_test_id("pending-file").nth(1)).to_have_attribute("data-status", "done")
        page.get_by_test_id("composer").fill("one more")
        shot(page, f"room-{scheme}-{device}")
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        assert page.errors == []
    finally:
        ctx.close()
