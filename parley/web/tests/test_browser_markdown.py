"""Markdown, keyboard access to message actions and who reacted, in the web client (issue 12).

Alice writes on a desktop (1280 x 800); Bob reads in a second browser context on a
phone (390 x 844). Screenshots land in `artifacts/screenshots/md-*.png`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

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

RICH = (
    "**Release plan** for _Friday_, ~~Thursday~~ and `make serve`:\n"
    "- tag the build\n"
    "- write the notes\n"
    "\n"
    "> the usual checklist\n"
    "\n"
    "```python\n"
    "def ship(version: str) -> bool:\n"
    '    return version.startswith("v")  # <b>not bold</b>\n'
    "```\n"
    "详情见 https://example.com，好的 and https://example.com/a。谢谢"  # noqa: RUF001 - the fullwidth comma is the point
)


class Person:
    def __init__(self, page: Any, token: str, user: dict[str, Any]) -> None:
        self.page, self.token, self.user = page, token, user


@pytest.fixture(scope="module")
def pair(browser: Any, server: ServerProcess) -> Iterator[tuple[Person, Person, dict[str, Any]]]:
    ctx_a, page_a = new_page(browser, server, **DESKTOP)
    ctx_b, page_b = new_page(browser, server, **PHONE)
    alice = Person(page_a, sign_up(page_a, unique("alice")), {})
    bob = Person(page_b, sign_up(page_b, unique("bob")), {})
    for p in (alice, bob):
        p.user = api(p.page, p.token, "GET", "me")["user"]
    room = make_room(page_a, alice.token, topic="Markdown")
    api(page_b, bob.token, "POST", f"rooms/{room['id']}/join")
    yield alice, bob, room
    for page in (page_a, page_b):
        assert page.errors == [], page.errors
    ctx_a.close()
    ctx_b.close()


def post(page: Any, token: str, room_id: int, body: str) -> dict[str, Any]:
    return api(
        page, token, "POST", f"rooms/{room_id}/messages", {"body": body, "client_id": uuid.uuid4().hex}
    )


def by_id(page: Any, message_id: int) -> Any:
    return page.locator(f'[data-testid="message"][data-id="{message_id}"]')


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"md-{name}.png"))


def test_markdown_from_the_composer_renders_for_the_reader(
    pair: Any, browser: Any, server: ServerProcess
) -> None:
    """Bold, a list, a quote, a highlighted code block and CJK-punctuated URLs, typed by
    Alice, reach Bob's phone as elements; the highlighter loads only with the code block."""
    alice, bob, room = pair
    chunks: list[str] = []
    bob.page.on("request", lambda r: chunks.append(r.url) if "/assets/" in r.url else None)
    open_room(alice.page, room["id"])
    open_room(bob.page, room["id"])
    plain = post(alice.page, alice.token, room["id"], "plain words, no code")
    by_id(bob.page, plain["id"]).get_by_test_id("message-body").wait_for()
    assert not [u for u in chunks if "/highlight-" in u], "the highlighter loaded without a code block"

    alice.page.get_by_test_id("composer").fill(RICH)
    alice.page.get_by_test_id("send-button").click()
    sent = alice.page.locator('[data-testid="message"][data-state="sent"]').last
    expect(sent).to_have_attribute("data-id", re.compile(r"^\d+$"))
    mid = int(sent.get_attribute("data-id") or 0)
    body = by_id(bob.page, mid).get_by_test_id("message-body")
    body.wait_for()

    expect(body.locator("strong")).to_have_text("Release plan")
    expect(body.locator("em")).to_have_text("Friday")
    expect(body.locator("s")).to_have_text("Thursday")
    expect(body.locator("code.md-code")).to_have_text("make serve")
    expect(body.locator("ul > li")).to_have_text(["tag the build", "write the notes"])
    expect(body.locator("blockquote")).to_have_text("the usual checklist")
    code = body.get_by_test_id("code-block")
    expect(code).to_have_attribute("data-highlighted", "true")
    assert code.locator("span.hljs-keyword").first.text_content() == "def"
    assert "<b>not bold</b>" in (code.text_content() or "")
    assert code.locator("b").count() == 0
    assert [u for u in chunks if "/highlight-" in u], "the highlighter chunk was never fetched"
    links = body.locator("a")
    expect(links).to_have_text(["https://example.com", "https://example.com/a"])
    assert [links.nth(i).get_attribute("href") for i in range(2)] == [
        "https://example.com/",
        "https://example.com/a",
    ]
    for i in range(2):
        assert links.nth(i).get_attribute("rel") == "noopener noreferrer"
        assert links.nth(i).get_attribute("target") == "_blank"
    text = body.text_content() or ""
    assert "，好的" in text and "。谢谢" in text  # noqa: RUF001
    # The stored body is what Alice typed.
    stored = api(alice.page, alice.token, "GET", f"rooms/{room['id']}/messages")["messages"][-1]
    assert stored["body"] == RICH
    assert bob.page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_message_actions_from_the_keyboard(pair: Any) -> None:
    """Arrow keys reach a message; R replies, + opens the picker, E edits, Delete asks to
    delete, Enter reaches the toolbar and Esc goes back."""
    alice, _bob, room = pair
    page = alice.page
    mine = post(page, alice.token, room["id"], "keyboard target")
    open_room(page, room["id"])
    row = by_id(page, mine["id"])
    row.wait_for()
    page.get_by_test_id("message-list").focus()
    page.keyboard.press("ArrowUp")
    expect(row).to_be_focused()
    expect(row.get_by_test_id("message-toolbar")).to_be_visible()

    page.keyboard.press("r")
    expect(page.get_by_test_id("composer")).to_be_focused()
    expect(page.get_by_test_id("composer-reply")).to_contain_text("keyboard target")
    page.get_by_test_id("composer-reply-cancel").click()

    row.focus()
    page.keyboard.press("+")
    page.get_by_test_id("emoji-picker").wait_for()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("emoji-picker")).to_have_count(0)
    expect(row).to_be_focused()  # back where the picker was opened from

    page.keyboard.press("Enter")
    expect(row.get_by_test_id("action-react")).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(row.get_by_test_id("action-reply")).to_be_focused()
    page.keyboard.press("Escape")
    expect(row).to_be_focused()

    page.keyboard.press("e")
    editor = page.get_by_test_id("edit-input")
    expect(editor).to_be_focused()
    editor.fill("keyboard target, **edited**")
    editor.press("Enter")
    expect(row.get_by_test_id("message-body").locator("strong")).to_have_text("edited")

    row.focus()
    page.keyboard.press("Delete")
    page.get_by_test_id("delete-confirm").click()
    expect(row.get_by_test_id("message-deleted")).to_be_visible()


def test_a_reaction_chip_names_who_reacted(pair: Any) -> None:
    alice, bob, room = pair
    msg = post(alice.page, alice.token, room["id"], "vote here")
    api(bob.page, bob.token, "POST", f"messages/{msg['id']}/reactions/👍")
    api(alice.page, alice.token, "POST", f"messages/{msg['id']}/reactions/👍")
    open_room(alice.page, room["id"])
    chip = by_id(alice.page, msg["id"]).locator('[data-testid="reaction"][data-emoji="👍"]')
    tip = by_id(alice.page, msg["id"]).get_by_test_id("reaction-who")
    expect(tip).to_be_hidden()
    chip.hover()
    expect(tip).to_be_visible()
    expect(tip).to_have_text(f"👍 you and {bob.user['display_name']}")
    name = re.escape(bob.user["display_name"])
    expect(chip).to_have_attribute("aria-label", re.compile(rf"from you and {name}\."))
    alice.page.mouse.move(0, 0)
    expect(tip).to_be_hidden()
    by_id(alice.page, msg["id"]).focus()
    alice.page.keyboard.press("Tab")  # from the message to its first chip: keyboard focus shows it too
    expect(chip).to_be_focused()
    expect(tip).to_be_visible()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("device", ["1280", "390"])
def test_screenshots_of_markdown(
    browser: Any, server: ServerProcess, pair: Any, scheme: str, device: str
) -> None:
    alice, bob, _room = pair
    ctx, page = new_page(browser, server, color_scheme=scheme, **(DESKTOP if device == "1280" else PHONE))
    try:
        room = make_room(alice.page, alice.token, name=unique("release-"), topic="Markdown")
        token = sign_up(page)
        api(page, token, "POST", f"rooms/{room['id']}/join")
        api(bob.page, bob.token, "POST", f"rooms/{room['id']}/join")
        msg = post(alice.page, alice.token, room["id"], RICH)
        post(alice.page, alice.token, room["id"], "1. first\n2. second with @" + bob.user["username"])
        api(bob.page, bob.token, "POST", f"messages/{msg['id']}/reactions/🎉")
        open_room(page, room["id"])
        code = by_id(page, msg["id"]).get_by_test_id("code-block")
        expect(code).to_have_attribute("data-highlighted", "true")
        if device == "1280":
            by_id(page, msg["id"]).locator('[data-testid="reaction"]').hover()
        shot(page, f"room-{scheme}-{device}")
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        assert page.errors == []
    finally:
        ctx.close()
