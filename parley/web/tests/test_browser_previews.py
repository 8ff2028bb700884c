"""Link previews and custom emoji in the web client (issue 32), against a live server.

Alice on a desktop (1280 x 800) and Bob on a phone (390 x 844), each in a browser context
of their own, in a room Alice owns. The server runs on the embedded defaults (previews
fetched on its worker thread) with LINK_PREVIEW_ALLOW_PRIVATE (loopback only), so it can
fetch the small site this test serves on 127.0.0.1; CUSTOM_EMOJI=members lets Alice add
an emoji from her account page. Screenshots: docs/screenshots/previews-*.png.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from parley.messaging.tests.test_previews import OG, Site, _png
from parley.testing.live import ServerProcess, base_env, migrate, private_database, unavailable
from parley.web.tests import test_browser as base
from parley.web.tests.test_browser import ROOT, new_page, unique
from parley.web.tests.test_browser_ui import DESKTOP, PHONE, api, make_room, open_room, sign_up

browser = base.browser

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - playwright is a dev dependency
    expect = None  # type: ignore[assignment]

pytestmark = [pytest.mark.browser, pytest.mark.processes]

DOCS = ROOT / "docs" / "screenshots"


def shot(page, name: str) -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / f"previews-{name}.png"))


def logo() -> bytes:
    """A small round badge, the kind of picture a community makes an emoji of."""
    image = Image.new("RGBA", (96, 96), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((4, 4, 92, 92), fill=(42, 122, 226, 255))
    draw.ellipse((30, 30, 66, 66), fill=(255, 210, 63, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    s = Site()
    s.html("/og", OG)
    s.html("/picture.png", _png(1200, 630, "teal"), "image/png")
    s.thread.start()
    yield s
    s.server.shutdown()
    s.server.server_close()


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        unavailable("frontend/dist is not built (make frontend)")
    with private_database("sqlite") as db:
        env = base_env(db, LINK_PREVIEW_ALLOW_PRIVATE="true", CUSTOM_EMOJI="members")
        migrate(env)
        process = ServerProcess(env).start()
        try:
            yield process
        finally:
            process.stop()


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
    room = make_room(page_a, alice.token, topic="Harbour trip")
    api(page_b, bob.token, "POST", f"rooms/{room['id']}/join")
    open_room(page_a, room["id"])
    open_room(page_b, room["id"])
    yield alice, bob, room
    for page in (page_a, page_b):
        assert page.errors == [], page.errors
    ctx_a.close()
    ctx_b.close()


def say(page, body: str):
    page.get_by_test_id("composer").fill(body)
    page.get_by_test_id("send-button").click()
    return page.locator('[data-testid="message"][data-state="sent"]').filter(has_text=body[:20]).last


def last_message(page):
    return page.locator('[data-testid="message"][data-state="sent"]').last


def test_a_preview_card_appears_live_for_the_other_person(chat, site: Site) -> None:
    alice, bob, _room = chat
    say(alice.page, f"Ferry times for Saturday: {site.base}/og")
    theirs = last_message(bob.page)
    card = theirs.get_by_test_id("link-preview")
    expect(card).to_be_visible()  # arrives after the send, as message.updated
    expect(card.get_by_test_id("link-preview-title")).to_have_text("The Harbour Guide")
    expect(card).to_contain_text("Tides, ferries and where to eat.")
    picture = card.get_by_test_id("link-preview-image")
    expect(picture).to_have_js_property("complete", True)
    assert picture.evaluate("img => img.naturalWidth") == 600
    # Served by Parley, never the remote site (no reader is tracked by it).
    assert picture.get_attribute("src").startswith("/api/v1/link-previews/")
    assert site.hits["/picture.png"] == 1
    # Bob is not the author: no remove button; compact on his phone (picture beside the text).
    expect(card.get_by_test_id("link-preview-remove")).to_have_count(0)
    box = picture.bounding_box()
    assert box is not None and box["width"] <= 80, box
    shot(bob.page, "card-phone")
    mine = last_message(alice.page)
    expect(mine.get_by_test_id("link-preview")).to_be_visible()
    expect(mine.get_by_test_id("link-preview-image")).to_have_js_property("complete", True)
    shot(alice.page, "card-desktop")

    # The author removes it; it goes for Bob too.
    mine.get_by_test_id("link-preview-remove").click()
    expect(mine.get_by_test_id("link-preview")).to_have_count(0)
    expect(theirs.get_by_test_id("link-preview")).to_have_count(0)
    expect(theirs.get_by_test_id("message-body")).to_contain_text("Ferry times for Saturday")


def test_a_custom_emoji_added_on_the_account_page_shows_in_a_message_and_as_a_reaction(
    chat, tmp_path: Path
) -> None:
    alice, bob, room = chat
    page = alice.page
    page.goto("/account")
    section = page.get_by_test_id("custom-emoji-settings")
    picture = tmp_path / "Harbour Logo.png"
    picture.write_bytes(logo())
    section.get_by_test_id("custom-emoji-file").set_input_files(str(picture))
    expect(section.get_by_test_id("custom-emoji-name")).to_have_value("harbour_logo")
    # A bad name is refused with its reason, before anything is sent.
    section.get_by_test_id("custom-emoji-name").fill("Harbour Logo")
    section.get_by_test_id("custom-emoji-add").click()
    expect(section.get_by_role("alert").or_(section.locator(".field-error"))).to_be_visible()
    section.get_by_test_id("custom-emoji-name").fill("harbour_logo")
    section.get_by_test_id("custom-emoji-add").click()
    item = section.locator('[data-testid="custom-emoji-item"][data-name="harbour_logo"]')
    expect(item).to_be_visible()
    expect(item.locator("img")).to_have_js_property("complete", True)
    item.scroll_into_view_if_needed()
    shot(page, "emoji-settings")

    open_room(page, room["id"])
    # The composer offers custom emoji by name after a colon; Enter completes it.
    composer = page.get_by_test_id("composer")
    composer.fill("See you at the pier :harb")
    composer.press("End")  # the caret at the end, as after typing
    option = page.locator('[data-testid="mention-option"][data-username="harbour_logo"]')
    expect(option).to_be_visible()
    expect(option.locator("img")).to_have_js_property("complete", True)
    composer.press("Enter")
    expect(composer).to_have_value("See you at the pier :harbour_logo: ")
    composer.press_sequentially("!")
    page.get_by_test_id("send-button").click()
    theirs = last_message(bob.page)
    emoji = theirs.get_by_test_id("message-body").get_by_test_id("custom-emoji")
    expect(emoji).to_have_attribute("alt", ":harbour_logo:")
    expect(emoji).to_have_js_property("complete", True)
    assert emoji.evaluate("img => img.naturalWidth") > 0
    expect(theirs.get_by_test_id("message-body")).to_contain_text("See you at the pier")

    # Bob reacts with it from the picker's Custom tab (the ⋯ sheet on his phone).
    theirs.get_by_test_id("message-body").tap()  # no hover on a phone: a tap shows "⋯"
    theirs.get_by_test_id("message-more").tap()
    bob.page.get_by_test_id("sheet-more-emoji").tap()
    picker = bob.page.get_by_test_id("emoji-picker")
    picker.get_by_test_id("emoji-tab-custom").click()
    picker.get_by_test_id("emoji-search").fill("harb")
    option = picker.locator('[data-testid="emoji-option"][data-emoji=":harbour_logo:"]')
    expect(option).to_be_visible()
    shot(bob.page, "emoji-picker-phone")
    option.tap()
    chip = last_message(page).locator('[data-testid="reaction"][data-emoji=":harbour_logo:"]')
    expect(chip).to_have_text(re.compile(r"1"))
    expect(chip.get_by_test_id("custom-emoji")).to_have_attribute("alt", ":harbour_logo:")
    expect(chip.get_by_test_id("custom-emoji")).to_have_js_property("complete", True)
    shot(page, "emoji-desktop")
