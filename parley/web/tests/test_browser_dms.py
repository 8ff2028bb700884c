"""Direct messages, notifications, the unread count in the title and the "New messages"
line in the web client (issue 13).

Ann on a desktop (1280 x 800) and Bob on a phone (390 x 844), each in a browser context
of their own. Ann's context has the notification permission granted and an init script
that records every `new Notification(...)` (still calling the real one) and lets the test
hide the page (`document.visibilityState`). Screenshots: `artifacts/screenshots/dm-*.png`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from parley.testing.live import ServerProcess
from parley.testing.waits import in_page, wait_until
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

# Record notifications and permission prompts; let the test hide the page.
SPY = """
(() => {
  window.__hidden = false;
  window.__notes = [];
  window.__asked = 0;
  Object.defineProperty(Document.prototype, 'visibilityState', {
    configurable: true, get() { return window.__hidden ? 'hidden' : 'visible'; } });
  Object.defineProperty(Document.prototype, 'hidden', {
    configurable: true, get() { return window.__hidden; } });
  const Real = window.Notification;
  if (!Real) return;
  class Recording extends Real {
    constructor(title, options) {
      window.__notes.push({ title, body: options && options.body });
      super(title, options);
    }
  }
  Recording.requestPermission = (...args) => { window.__asked += 1; return Real.requestPermission(...args); };
  window.Notification = Recording;
})();
"""


class Person:
    def __init__(self, ctx, page, token: str, username: str) -> None:
        self.ctx = ctx
        self.page = page
        self.token = token
        self.username = username
        self.id = int(api(page, token, "GET", "me")["user"]["id"])


def person(
    browser, server: ServerProcess, prefix: str, size: dict[str, Any], *, spy: bool = False, **extra: Any
) -> Person:
    ctx, page = new_page(browser, server, **size, **extra)
    if spy:
        ctx.grant_permissions(["notifications"])
        ctx.add_init_script(SPY)
    name = unique(prefix)
    return Person(ctx, page, sign_up(page, name), name)


def post(who: Person, room_id: int, body: str) -> dict:
    return api(
        who.page,
        who.token,
        "POST",
        f"rooms/{room_id}/messages",
        {"body": body, "client_id": uuid.uuid4().hex},
    )


def post_within_allowance(who: Person, room_id: int, body: str) -> dict:
    """`post`, retried while the server refuses it for the per-user send allowance (429):
    as long as the server says (Retry-After) or, without one, until it accepts."""
    client_id = uuid.uuid4().hex

    def accepted() -> dict | None:
        r = who.page.request.fetch(
            f"/api/v1/rooms/{room_id}/messages",
            method="POST",
            headers={"Authorization": f"Token {who.token}"},
            data={"body": body, "client_id": client_id},
        )
        if r.status == 429:
            who.page.wait_for_timeout(float(r.headers.get("retry-after", "0")) * 1000)
            return None
        assert r.ok, f"POST: {r.status} {r.text()}"
        return dict(r.json())

    return wait_until(accepted, timeout=60, interval=0.1, what="the send allowance", pause=in_page(who.page))


def hide(page, hidden: bool = True) -> None:
    page.evaluate(
        "(h) => { window.__hidden = h; document.dispatchEvent(new Event('visibilitychange')); }", hidden
    )


def notes(page) -> list[dict]:
    return page.evaluate("window.__notes")  # type: ignore[no-any-return]


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"dm-{name}.png"))


@pytest.fixture
def pair(browser, server: ServerProcess) -> Iterator[tuple[Person, Person, dict]]:
    ann = person(browser, server, "ann", DESKTOP, spy=True)
    bob = person(browser, server, "bob", PHONE)
    room = make_room(ann.page, ann.token, topic="Issue 13")
    api(bob.page, bob.token, "POST", f"rooms/{room['id']}/join")
    yield ann, bob, room
    for who in (ann, bob):
        assert who.page.errors == [], who.page.errors
        who.ctx.close()


def test_a_dm_started_from_the_members_panel_reaches_the_other_person_on_a_phone(pair) -> None:
    ann, bob, room = pair
    bob.page.goto("/")
    expect(bob.page.get_by_test_id("dm-section")).to_be_visible()
    expect(bob.page.get_by_test_id("dm-item")).to_have_count(0)

    open_room(ann.page, room["id"])
    ann.page.get_by_test_id("toggle-members").click()
    row = ann.page.locator(f'[data-testid="member-item"][data-username="{bob.username}"]')
    row.get_by_test_id("message-member").click()
    expect(ann.page.get_by_test_id("room-title")).to_contain_text(bob.username)
    expect(ann.page.get_by_test_id("room-topic-display")).to_have_text("Direct message")
    ann.page.get_by_test_id("composer").fill("hi Bob, just between us")
    ann.page.get_by_test_id("send-button").click()

    # Bob's phone: the conversation appears live in his DM section, named after Ann, unread.
    item = bob.page.get_by_test_id("dm-item")
    expect(item).to_have_count(1)
    expect(item.get_by_test_id("dm-name")).to_have_text(ann.username)
    expect(item.get_by_test_id("unread-badge")).to_contain_text("1")
    expect(bob.page.get_by_test_id("joined-rooms")).not_to_contain_text(ann.username)  # not among the rooms
    shot(bob.page, "phone-lobby-light")
    item.click()
    expect(bob.page.get_by_test_id("message-list")).to_contain_text("hi Bob, just between us")
    expect(bob.page.get_by_test_id("room-title")).to_contain_text(ann.username)

    # Messaging Bob again from the panel opens the same conversation.
    open_room(ann.page, room["id"])
    ann.page.get_by_test_id("toggle-members").click()
    ann.page.locator(f'[data-testid="member-item"][data-username="{bob.username}"]').get_by_test_id(
        "message-member"
    ).click()
    expect(ann.page.get_by_test_id("message-list")).to_contain_text("hi Bob, just between us")
    dm_ids = {r["id"] for r in api(ann.page, ann.token, "GET", "rooms?joined=true") if r["kind"] == "direct"}
    assert len(dm_ids) == 1


def test_the_new_message_dialog_finds_people_and_starts_a_group(pair, browser, server: ServerProcess) -> None:
    ann, bob, _room = pair
    cat = person(browser, server, "cat", DESKTOP)
    try:
        ann.page.goto("/")
        ann.page.get_by_test_id("new-dm").click()
        for who in (bob, cat):
            ann.page.get_by_test_id("dm-search").fill(who.username)
            ann.page.locator(f'[data-testid="dm-person"][data-username="{who.username}"]').click()
        expect(ann.page.get_by_test_id("dm-chosen")).to_have_count(2)
        ann.page.get_by_test_id("dm-start").click()
        expect(ann.page.get_by_test_id("room-title")).to_contain_text(bob.username)
        expect(ann.page.get_by_test_id("room-title")).to_contain_text(cat.username)
        cat.page.goto("/")
        expect(cat.page.get_by_test_id("dm-item")).to_have_count(1)
        expect(cat.page.get_by_test_id("dm-name")).to_have_text(
            re.compile(f"{ann.username}.*{bob.username}|{bob.username}.*{ann.username}")
        )
        assert cat.page.errors == []
    finally:
        cat.ctx.close()


def test_notifications_are_asked_for_on_a_click_and_shown_while_hidden(
    pair, browser, server: ServerProcess
) -> None:
    ann, bob, room = pair
    # Without the permission: nothing is asked on load; the button asks.
    eve = person(browser, server, "eve", DESKTOP)
    try:
        eve.ctx.add_init_script(SPY)
        eve.page.goto("/")
        expect(eve.page.get_by_test_id("enable-notifications")).to_be_visible()
        # Nothing may ask: no event says "the page will not ask", so a late ask gets a window.
        eve.page.wait_for_timeout(300)
        assert eve.page.evaluate("window.__asked") == 0
        eve.page.get_by_test_id("enable-notifications").click()
        eve.page.wait_for_function("window.__asked === 1")
    finally:
        eve.ctx.close()

    ann.page.goto("/")
    expect(ann.page.get_by_test_id("notifications-on")).to_be_visible()
    dm = api(bob.page, bob.token, "POST", "dms", {"user_ids": [ann.id]})
    expect(ann.page.get_by_test_id("dm-item")).to_have_count(1)
    hide(ann.page)

    post(bob, room["id"], "a room message that does not name anyone")
    post(bob, room["id"], f"@{ann.username} can you look at <b>this</b>?")
    post(bob, dm["id"], "lunch?\n\nat noon")
    ann.page.wait_for_function("window.__notes.length >= 2")
    # Nothing else may be on its way: no event says "no more notifications", so give one a window.
    ann.page.wait_for_timeout(500)
    got = notes(ann.page)
    assert got == [
        {
            "title": f"{bob.username} in #{room['name']}",
            "body": f"@{ann.username} can you look at <b>this</b>?",
        },
        {"title": bob.username, "body": "lunch? at noon"},
    ]
    # Unread total in the title and on the favicon.
    expect(ann.page).to_have_title(re.compile(r"^\(3\) "))
    expect(ann.page.locator('link[rel="icon"]')).to_have_attribute("data-badge", "3")

    # Setting the room to "nothing" silences even mentions; visible pages never notify.
    api(ann.page, ann.token, "PATCH", f"rooms/{room['id']}/membership", {"notify": "nothing"})
    ann.page.reload()
    ann.page.get_by_test_id("dm-item").wait_for()
    hide(ann.page)
    post(bob, room["id"], f"@{ann.username} again")
    hide(ann.page, False)
    post(bob, dm["id"], "you are here now")
    expect(ann.page).to_have_title(re.compile(r"^\(5\) "))
    # No notification may come: none has an event to wait for, so a late one gets a window.
    ann.page.wait_for_timeout(500)
    assert notes(ann.page) == []

    # Mark all as read: every badge and the title count go.
    ann.page.get_by_test_id("mark-all-read").click()
    expect(ann.page).not_to_have_title(re.compile(r"^\("))
    expect(ann.page.get_by_test_id("unread-badge")).to_have_count(0)
    expect(ann.page.locator('link[rel="icon"]')).to_have_attribute("data-badge", "0")
    rooms = api(ann.page, ann.token, "GET", "rooms?joined=true")
    assert all(r["unread_count"] == 0 for r in rooms)


def test_the_new_messages_line_marks_where_reading_stopped(pair) -> None:
    ann, bob, room = pair
    for i in range(3):
        last = post(ann, room["id"], f"old news {i}")
    api(bob.page, bob.token, "POST", f"rooms/{room['id']}/read", {"seq": last["seq"]})
    open_room(bob.page, room["id"])
    expect(bob.page.get_by_test_id("unread-divider")).to_have_count(0)  # read up to here
    bob.page.goto("/")  # away

    first = post(ann, room["id"], "first while you were away")
    for i in range(60):  # more than a page (50): the first unread is not loaded at first
        post_within_allowance(ann, room["id"], f"and then {i}")
    bob.page.get_by_test_id("room-item").first.wait_for()
    bob.page.locator(f'[data-testid="room-item"][data-room-id="{room["id"]}"] a').click()
    divider = bob.page.get_by_test_id("unread-divider")
    bob.page.get_by_test_id("message-list").get_by_text("and then 59").wait_for()
    expect(divider).to_have_count(0)  # older than the newest page

    # Scrolled to the newest, the line is out of sight: the jump loads the page around it.
    jump = bob.page.get_by_test_id("jump-unread")
    expect(jump).to_be_visible()
    shot(bob.page, "phone-divider-jump")
    jump.click()
    expect(divider).to_have_count(1)
    expect(divider).to_be_in_viewport()
    expect(jump).to_be_hidden()
    # The line sits right above the first unread message.
    following = divider.locator("xpath=following-sibling::li[1]")
    expect(following).to_have_attribute("data-id", str(first["id"]))

    # Reading on moves the marker, but the line stays until the room is left.
    bob.page.get_by_test_id("message-list").evaluate("el => { el.scrollTop = el.scrollHeight }")
    post(ann, room["id"], "more, live")
    expect(bob.page.get_by_test_id("message-list")).to_contain_text("more, live")
    expect(divider).to_have_count(1)
    wait_until(  # the read marker reached the server (over the socket)
        lambda: api(bob.page, bob.token, "GET", f"rooms/{room['id']}")["unread_count"] == 0,
        what="the read marker to move",
        interval=0.1,
        pause=in_page(bob.page),
    )
    bob.page.goto("/")
    bob.page.locator(f'[data-testid="room-item"][data-room-id="{room["id"]}"] a').click()
    bob.page.get_by_test_id("message-list").get_by_text("more, live").wait_for()
    expect(bob.page.get_by_test_id("unread-divider")).to_have_count(0)


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots(browser, server: ServerProcess, scheme: str, width: int) -> None:
    size = PHONE if width == 390 else DESKTOP
    ann = person(browser, server, "ann", size, color_scheme=scheme)
    bob = person(browser, server, "bob", DESKTOP)
    cat = person(browser, server, "cat", DESKTOP)
    try:
        room = make_room(ann.page, ann.token, topic="Issue 13")
        for who in (bob, cat):
            api(who.page, who.token, "POST", f"rooms/{room['id']}/join")
        post(ann, room["id"], "read before")
        dm = api(bob.page, bob.token, "POST", "dms", {"user_ids": [ann.id]})
        group = api(cat.page, cat.token, "POST", "dms", {"user_ids": [ann.id, bob.id]})
        post(bob, dm["id"], "hey, got a minute?")
        post(ann, dm["id"], "sure")
        api(ann.page, ann.token, "POST", f"rooms/{dm['id']}/read", {"seq": 2})
        post(bob, dm["id"], "the deploy is stuck")
        post(bob, dm["id"], f"@{ann.username} can you look?")
        post(cat, group["id"], "lunch at noon?")
        post(bob, room["id"], "a room message")

        ann.page.goto("/")
        expect(ann.page.get_by_test_id("dm-item")).to_have_count(2)
        expect(ann.page).to_have_title(re.compile(r"^\(4\) "))
        shot(ann.page, f"lobby-{scheme}-{width}")
        ann.page.get_by_test_id("dm-item").first.click()
        expect(ann.page.get_by_test_id("unread-divider")).to_have_count(1)
        if width == 1280:
            ann.page.get_by_test_id("toggle-members").click()
            ann.page.get_by_test_id("room-notify").wait_for()
            expect(ann.page.get_by_test_id("member-item")).to_have_count(2)
        shot(ann.page, f"room-{scheme}-{width}")
        ann.page.goto("/")
        ann.page.get_by_test_id("new-dm").click()
        ann.page.get_by_test_id("dm-search").fill(bob.username)  # many "bob…" share this server
        ann.page.locator(f'[data-testid="dm-person"][data-username="{bob.username}"]').click()
        shot(ann.page, f"new-{scheme}-{width}")
        assert ann.page.errors == []
    finally:
        for who in (ann, bob, cat):
            who.ctx.close()
