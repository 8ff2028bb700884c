"""Edits, deletions, reactions, replies and mentions in the web client (issue 12).

Alice on a desktop (1280 x 800) and Bob on a phone (390 x 844), each in a browser
context of their own, in one room that Alice owns. Each test checks what the
other person sees live; screenshots land in `artifacts/screenshots/msg-*.png`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest

from parley.testing.live import ServerProcess
from parley.web.tests import test_browser as base
from parley.web.tests.test_browser import SHOTS, new_page, sent, unique
from parley.web.tests.test_browser_ui import DESKTOP, PHONE, api, make_room, open_room, sign_up

# The same module-scoped fixtures as the main browser suite: a live server and Chromium.
browser = base.browser
server = base.server

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - playwright is a dev dependency
    expect = None  # type: ignore[assignment]

pytestmark = [pytest.mark.browser, pytest.mark.processes]


class Person:
    def __init__(self, page, token: str, username: str) -> None:
        self.page = page
        self.token = token
        self.username = username


@pytest.fixture(scope="module")
def chat(browser, server: ServerProcess) -> Iterator[tuple[Person, Person, dict]]:
    ctx_a, page_a = new_page(browser, server, **DESKTOP)
    ctx_b, page_b = new_page(browser, server, **PHONE)
    a_name, b_name = unique("alice"), unique("bob")
    alice = Person(page_a, sign_up(page_a, a_name), a_name)
    bob = Person(page_b, sign_up(page_b, b_name), b_name)
    room = make_room(page_a, alice.token, topic="Protocol 2")
    api(page_b, bob.token, "POST", f"rooms/{room['id']}/join")
    open_room(page_a, room["id"])
    open_room(page_b, room["id"])
    yield alice, bob, room
    for page in (page_a, page_b):
        assert page.errors == [], page.errors
    ctx_a.close()
    ctx_b.close()


def say(page, body: str):
    """Send from the composer; the message (by its id, whatever its text becomes) once the server has it."""
    page.get_by_test_id("composer").fill(body)
    page.get_by_test_id("send-button").click()  # Enter makes a new line on a phone
    item = sent(page, body)
    item.wait_for()
    expect(item).to_have_attribute("data-id", re.compile(r"^\d+$"))
    return by_id(page, item.get_attribute("data-id") or "")


def by_id(page, message_id: str):
    return page.locator(f'[data-testid="message"][data-id="{message_id}"]')


def post(page, token: str, room_id: int, body: str, **extra) -> dict:
    data = {"body": body, "client_id": uuid.uuid4().hex, **extra}
    return api(page, token, "POST", f"rooms/{room_id}/messages", data)


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"msg-{name}.png"))


def test_an_edit_shows_edited_live(chat) -> None:
    alice, bob, _room = chat
    mine = say(alice.page, "see you at 5")
    message_id = mine.get_attribute("data-id")
    expect(sent(bob.page, "see you at 5")).to_have_count(1)

    mine.hover()
    mine.get_by_test_id("action-edit").click()
    editor = mine.get_by_test_id("edit-input")
    expect(editor).to_be_focused()
    expect(editor).to_have_value("see you at 5")
    editor.fill("see you at 6")
    editor.press("Enter")

    theirs = by_id(bob.page, message_id)
    expect(theirs.get_by_test_id("message-body")).to_have_text("see you at 6")
    expect(theirs.get_by_test_id("message-edited")).to_have_text(re.compile(r"\(edited\)"))
    expect(by_id(alice.page, message_id).get_by_test_id("message-edited")).to_be_visible()

    # ↑ in the empty composer edits my last message; Esc leaves it as it was.
    composer = alice.page.get_by_test_id("composer")
    composer.click()
    composer.press("ArrowUp")
    editor = by_id(alice.page, message_id).get_by_test_id("edit-input")
    expect(editor).to_be_focused()
    editor.press("Escape")
    expect(editor).to_have_count(0)
    expect(composer).to_be_focused()


def test_a_message_deleted_while_being_edited_closes_the_editor(chat) -> None:
    alice, _bob, _room = chat
    mine = say(alice.page, "about to vanish")
    message_id = mine.get_attribute("data-id")
    mine.hover()
    mine.get_by_test_id("action-edit").click()
    expect(mine.get_by_test_id("edit-input")).to_be_focused()
    # Deleted elsewhere (another tab of hers): the live deletion ends the edit.
    api(alice.page, alice.token, "DELETE", f"messages/{message_id}")
    expect(by_id(alice.page, message_id).get_by_test_id("message-deleted")).to_be_visible()
    expect(by_id(alice.page, message_id).get_by_test_id("edit-input")).to_have_count(0)


def test_a_deletion_leaves_a_tombstone_live(chat) -> None:
    alice, bob, _room = chat
    mine = say(alice.page, "oops, wrong room")
    message_id = mine.get_attribute("data-id")
    expect(sent(bob.page, "oops, wrong room")).to_have_count(1)

    mine.hover()
    mine.get_by_test_id("action-delete").click()
    dialog = alice.page.get_by_role("dialog")
    expect(dialog).to_contain_text("Delete this message?")
    expect(dialog.get_by_test_id("delete-cancel")).to_be_focused()
    dialog.get_by_test_id("delete-confirm").click()
    expect(dialog).to_be_hidden()

    for page in (alice.page, bob.page):
        gone = by_id(page, message_id)
        expect(gone.get_by_test_id("message-deleted")).to_have_text("message deleted")
        expect(gone.get_by_test_id("message-body")).to_have_count(0)
    expect(bob.page.get_by_text("oops, wrong room")).to_have_count(0)


def test_a_reaction_on_the_phone_reaches_the_desktop(chat) -> None:
    alice, bob, _room = chat
    mine = say(alice.page, "lunch at noon?")
    message_id = mine.get_attribute("data-id")
    theirs = by_id(bob.page, message_id)
    expect(theirs).to_have_count(1)

    # No hover on a phone: a tap on the message shows its "⋯" button, which opens the actions.
    expect(theirs.get_by_test_id("message-more")).to_be_hidden()
    theirs.get_by_test_id("message-body").tap()
    theirs.get_by_test_id("message-more").tap()
    sheet = bob.page.get_by_role("dialog")
    expect(sheet.get_by_test_id("sheet-reply")).to_be_visible()
    shot(bob.page, "sheet-light-390")
    sheet.locator('[data-testid="sheet-emoji"][data-emoji="👍"]').tap()
    expect(sheet).to_be_hidden()

    chip = mine.locator('[data-testid="reaction"][data-emoji="👍"]')
    expect(chip).to_have_text(re.compile(r"👍\s*1"))
    expect(chip).to_have_attribute("aria-pressed", "false")
    own_chip = theirs.locator('[data-testid="reaction"][data-emoji="👍"]')
    expect(own_chip).to_have_attribute("aria-pressed", "true")

    # Alice adds hers by clicking the chip; both see 2, and hers is pressed.
    chip.click()
    expect(chip).to_have_text(re.compile(r"👍\s*2"))
    expect(chip).to_have_attribute("aria-pressed", "true")
    expect(own_chip).to_have_text(re.compile(r"👍\s*2"))

    # The picker's search finds emoji beyond the common row.
    mine.hover()
    mine.get_by_test_id("action-react").click()
    picker = alice.page.get_by_test_id("emoji-picker")
    expect(picker.get_by_test_id("emoji-search")).to_be_focused()
    picker.get_by_test_id("emoji-search").fill("taco")
    option = picker.locator('[data-testid="emoji-option"][data-emoji="🌮"]')
    expect(option).to_be_visible()
    shot(alice.page, "picker-light-1280")
    alice.page.keyboard.press("Enter")
    expect(picker).to_have_count(0)
    expect(theirs.locator('[data-testid="reaction"][data-emoji="🌮"]')).to_have_text(re.compile(r"🌮\s*1"))


def test_a_reply_quotes_and_the_quote_jumps_to_the_original(chat) -> None:
    alice, bob, room = chat
    original = say(bob.page, "which day works for the release?")
    original_id = original.get_attribute("data-id")
    mine = by_id(alice.page, original_id)
    mine.hover()
    mine.get_by_test_id("action-reply").click()
    reply_bar = alice.page.get_by_test_id("composer-reply")
    expect(reply_bar).to_contain_text("which day works")
    expect(alice.page.get_by_test_id("composer")).to_be_focused()
    shot(alice.page, "replying-light-1280")
    answer = say(alice.page, "Thursday")
    expect(reply_bar).to_have_count(0)
    expect(answer.get_by_test_id("reply-quote")).to_contain_text("which day works")
    quote = sent(bob.page, "Thursday").get_by_test_id("reply-quote")
    expect(quote).to_contain_text("which day works")

    # Enough newer messages that the original is no longer in the first page after a reload.
    for i in range(110):
        post(alice.page, alice.token, room["id"], f"filler {i}")
    later = post(alice.page, alice.token, room["id"], "Thursday it is", reply_to=int(original_id or 0))
    for i in range(3):
        post(alice.page, alice.token, room["id"], f"more filler {i}")
    alice.page.reload()
    sent(alice.page, "more filler 2").wait_for()
    expect(by_id(alice.page, original_id)).to_have_count(0)

    by_id(alice.page, str(later["id"])).get_by_test_id("reply-quote").click()
    target = by_id(alice.page, original_id)
    expect(target).to_be_in_viewport()
    expect(target).to_have_class(re.compile(r"\bflash\b"))
    # The messages between are not loaded: a button offers them.
    expect(alice.page.get_by_test_id("load-newer")).to_be_visible()
    shot(alice.page, "jumped-light-1280")
    alice.page.get_by_test_id("load-newer").click()
    expect(sent(alice.page, "filler 60")).to_have_count(1)
    expect(alice.page.get_by_test_id("load-newer")).to_have_count(0)


def test_a_copied_message_link_opens_the_room_at_that_message(chat, server: ServerProcess) -> None:
    alice, bob, room = chat
    alice.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    target = say(bob.page, "the link to this one")
    target_id = target.get_attribute("data-id") or ""
    row = by_id(alice.page, target_id)
    row.hover()
    row.get_by_test_id("action-copy-link").click()
    expect(alice.page.get_by_role("alert")).to_contain_text("Link copied.")
    link = alice.page.evaluate("navigator.clipboard.readText()")
    assert link.startswith(server.url + f"/rooms/{room['id']}?msg={target_id}&seq="), link
    for i in range(60):
        post(alice.page, alice.token, room["id"], f"after the link {i}")
    sent(bob.page, "after the link 59").wait_for()
    bob.page.goto(link)
    opened = by_id(bob.page, target_id)
    expect(opened).to_be_in_viewport()
    expect(opened).to_have_class(re.compile(r"\bflash\b"))


def test_a_mention_picked_with_the_keyboard_is_highlighted_and_badged(chat, browser, server) -> None:
    alice, bob, room = chat
    # Bob looks at the lobby (phone): the mention arrives while he is not in the room.
    bob.page.goto("/")
    bob.page.get_by_test_id("joined-rooms").wait_for()

    composer = alice.page.get_by_test_id("composer")
    composer.click()
    composer.press_sequentially("thanks @" + bob.username[:2])
    listbox = alice.page.get_by_test_id("mention-list")
    option = listbox.locator(f'[data-testid="mention-option"][data-username="{bob.username}"]')
    expect(option).to_be_visible()
    expect(composer).to_have_attribute("aria-expanded", "true")
    shot(alice.page, "mention-list-light-1280")
    # ↓/↑ move, Tab inserts. Bob is the only other member; @room (owners only) does not match "bo".
    expect(listbox.locator('[data-testid="mention-option"][data-username="room"]')).to_have_count(0)
    composer.press("ArrowDown")
    composer.press("ArrowUp")
    expect(option).to_have_attribute("aria-selected", "true")
    composer.press("Tab")
    expect(listbox).to_have_count(0)
    expect(composer).to_have_value(f"thanks @{bob.username} ")
    composer.press_sequentially("for the review")
    composer.press("Enter")
    body = f"thanks @{bob.username} for the review"
    sent(alice.page, body).wait_for()

    item = bob.page.locator(f'[data-testid="room-item"][data-room-name="{room["name"]}"]')
    expect(item.get_by_test_id("mention-badge")).to_be_visible()
    expect(item.get_by_test_id("mention-badge")).to_contain_text("1 unread mention of you")
    shot(bob.page, "lobby-mention-light-390")
    item.locator("a").click()
    mention = sent(bob.page, body)
    expect(mention).to_have_class(re.compile(r"\bmentioned\b"))
    expect(mention.locator(".mention")).to_have_text(f"@{bob.username}")
    shot(bob.page, "mentioned-light-390")
    # Read now: the badge is gone from the lobby.
    bob.page.goto("/")
    expect(item.get_by_test_id("mention-badge")).to_have_count(0)


def test_typing_an_at_while_an_ime_composes_does_not_pick(chat) -> None:
    alice, bob, _room = chat
    composer = alice.page.get_by_test_id("composer")
    composer.click()
    composer.fill("")
    composer.press_sequentially("@" + bob.username[:2])
    expect(alice.page.get_by_test_id("mention-list")).to_be_visible()
    # An Enter that belongs to the input method (keyCode 229 while composing) is not ours.
    composer.dispatch_event("keydown", {"key": "Enter", "keyCode": 229, "isComposing": True, "bubbles": True})
    expect(composer).to_have_value("@" + bob.username[:2])
    composer.press("Escape")
    expect(alice.page.get_by_test_id("mention-list")).to_have_count(0)
    composer.fill("")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("device", ["1280", "390"])
def test_screenshots_of_edits_reactions_replies_and_mentions(
    browser, server: ServerProcess, chat, scheme: str, device: str
) -> None:
    alice, _bob, _room = chat
    ctx, page = new_page(browser, server, color_scheme=scheme, **(DESKTOP if device == "1280" else PHONE))
    try:
        room = make_room(alice.page, alice.token, name=unique("plans-"), topic="Quarterly figures")
        token = sign_up(page)
        api(page, token, "POST", f"rooms/{room['id']}/join")
        me = api(page, token, "GET", "me")["user"]["username"]
        first = post(
            alice.page, alice.token, room["id"], f"@{me} can you check the figures? https://example.com/q3"
        )
        api(alice.page, alice.token, "POST", f"messages/{first['id']}/reactions/🎉")
        post(alice.page, alice.token, room["id"], "A reply to that", reply_to=first["id"])
        open_room(page, room["id"])
        mine = say(page, "On it, one moment")
        mine.get_by_test_id("message-body").wait_for()
        page.locator('[data-testid="reaction"][data-emoji="🎉"]').first.click()
        if device == "1280":
            mine.hover()
            mine.get_by_test_id("action-edit").click()
            page.get_by_test_id("edit-input").fill("On it, back in ten minutes")
            page.get_by_test_id("edit-input").press("Enter")
            expect(mine.get_by_test_id("message-edited")).to_be_visible()
            mine.hover()
            expect(mine.get_by_test_id("message-toolbar")).to_be_visible()
        else:
            mine.get_by_test_id("message-body").tap()
            mine.get_by_test_id("message-more").tap()
            page.get_by_test_id("sheet-reply").tap()
        shot(page, f"room-{scheme}-{device}")
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        assert page.errors == []
    finally:
        ctx.close()
