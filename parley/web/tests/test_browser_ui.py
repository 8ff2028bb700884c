"""The web client as new users meet it: on a phone, on a desktop keyboard, in a
12-hour locale, as a zh-CN guest in dark mode (issue 11).

Each test drives the real client in Debian's Chromium against a real server and
checks what a person would see or do; screenshots land in
`artifacts/screenshots/ui-*.png`.
"""

from __future__ import annotations

import re
import uuid

import pytest

from parley.testing.live import ServerProcess
from parley.web.tests import test_browser as base
from parley.web.tests.test_browser import SHOTS, new_page, sent, unique

# The same module-scoped fixtures as the main browser suite: a live server and Chromium.
browser = base.browser
server = base.server

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - playwright is a dev dependency
    expect = None  # type: ignore[assignment]

pytestmark = [pytest.mark.browser, pytest.mark.processes]

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PASSWORD = "a long enough passphrase 42"


# --- set-up through the public REST API (the page's own cookie jar) ------------------------


def api(page, token: str, method: str, path: str, data: dict | None = None) -> dict:
    response = page.request.fetch(
        f"/api/v1/{path}",
        method=method,
        headers={"Authorization": f"Token {token}"},
        data=data,
    )
    assert response.ok, f"{method} {path}: {response.status} {response.text()}"
    return response.json() if response.status != 204 else {}


def sign_up(page, name: str | None = None) -> str:
    """Register a fresh account; the page's context is signed in (session cookie). Returns the token."""
    r = page.request.post(
        "/api/v1/auth/register", data={"username": name or unique("u"), "password": PASSWORD}
    )
    assert r.ok, r.text()
    return str(r.json()["token"])


def sign_in_guest(page, nickname: str, avatar: str) -> str:
    r = page.request.post("/api/v1/auth/guest", data={"nickname": nickname, "avatar": avatar})
    assert r.ok, r.text()
    return str(r.json()["token"])


def make_room(page, token: str, name: str | None = None, topic: str = "") -> dict:
    return api(
        page, token, "POST", "rooms", {"name": name or unique("room"), "topic": topic, "visibility": "public"}
    )


def post(page, token: str, room_id: int, body: str) -> None:
    api(page, token, "POST", f"rooms/{room_id}/messages", {"body": body, "client_id": uuid.uuid4().hex})


def open_room(page, room_id: int) -> None:
    page.goto(f"/rooms/{room_id}")
    page.get_by_test_id("composer").wait_for()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"ui-{name}.png"))


# --- item 3: unread of other rooms on the phone's back button ------------------------------


def test_phone_back_button_counts_unread_messages_in_other_rooms(browser, server: ServerProcess) -> None:
    ctx_a, alice = new_page(browser, server, **DESKTOP)
    ctx_b, bob = new_page(browser, server, **PHONE)
    try:
        ta = sign_up(alice)
        tb = sign_up(bob)
        here, elsewhere, third = (make_room(alice, ta) for _ in range(3))
        for room in (here, elsewhere, third):
            api(bob, tb, "POST", f"rooms/{room['id']}/join")
        open_room(bob, here["id"])
        back = bob.get_by_role("link", name=re.compile("Back to the lobby"))
        expect(back).to_be_visible()
        post(alice, ta, elsewhere["id"], "one")
        post(alice, ta, elsewhere["id"], "two")
        post(alice, ta, third["id"], "three")
        post(alice, ta, here["id"], "in the room bob is reading")
        sent(bob, "in the room bob is reading").wait_for()
        # Three unread elsewhere; the room on screen does not count.
        expect(back).to_have_accessible_name(re.compile(r"3 unread"))
        expect(back.get_by_test_id("back-unread")).to_have_text(re.compile(r"^\s*3\s*$"))
        shot(bob, "back-unread-light-390")
    finally:
        ctx_a.close()
        ctx_b.close()


# --- item 4: even spacing of consecutive messages in 12-hour locales -----------------------


@pytest.mark.parametrize("locale", ["en-US", "en-GB"])
def test_consecutive_messages_are_evenly_spaced(browser, server: ServerProcess, locale: str) -> None:
    ctx, page = new_page(browser, server, locale=locale, **DESKTOP)
    try:
        token = sign_up(page)
        room = make_room(page, token)
        for body in ("first", "second", "third", "fourth"):
            post(page, token, room["id"], body)
        open_room(page, room["id"])
        sent(page, "fourth").wait_for()
        rows = [sent(page, b) for b in ("second", "third", "fourth")]
        for row in rows:
            assert "grouped" in (row.get_attribute("class") or "")
        heights = [row.bounding_box()["height"] for row in rows]  # type: ignore[index]
        body_height = rows[0].get_by_test_id("message-body").bounding_box()["height"]  # type: ignore[index]
        # One line of text plus the row's small padding; the hover time must not wrap.
        assert max(heights) - min(heights) < 1, heights
        assert heights[0] <= body_height + 6, (heights, body_height)
        rows[1].hover()
        time = rows[1].locator("time")
        expect(time).to_be_visible()
        lines = time.evaluate(
            """el => { const r = document.createRange(); r.selectNodeContents(el)
                       return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size }"""
        )
        assert lines == 1, f"the hover time {time.inner_text()!r} wraps onto {lines} lines"
        if locale == "en-US":
            shot(page, "grouped-12h-light-1280")
    finally:
        ctx.close()


# --- item 5: the phone's room header, and Enter on a touch keyboard -------------------------


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_phone_room_header_keeps_name_and_online_count_visible(
    browser, server: ServerProcess, scheme: str
) -> None:
    ctx, page = new_page(browser, server, color_scheme=scheme, **PHONE)
    try:
        token = sign_up(page)
        room = make_room(page, token, name=unique("a-rather-long-room-name-for-a-phone-"), topic="Plans")
        open_room(page, room["id"])
        title = page.get_by_test_id("room-title")
        # The name is cut with an ellipsis: its text sits in a box that clips and shows "…".
        clip = title.evaluate(
            """(h1, name) => {
                const walker = document.createTreeWalker(h1, NodeFilter.SHOW_TEXT)
                let node
                while ((node = walker.nextNode())) if (node.textContent.includes(name)) break
                const el = node.parentElement, s = getComputedStyle(el)
                return {overflow: s.overflowX, ellipsis: s.textOverflow, display: s.display,
                        cut: el.scrollWidth > el.clientWidth}
            }""",
            room["name"],
        )
        assert clip["cut"] and clip["ellipsis"] == "ellipsis" and clip["overflow"] == "hidden", clip
        assert "flex" not in clip["display"], clip
        online = page.get_by_test_id("room-online")
        expect(online).to_be_visible()
        expect(online).to_have_text(re.compile(r"1 online"))
        box = online.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
        # Members, settings and leave sit in one menu, not beside the name.
        for test_id in ("toggle-members", "room-settings", "leave-room"):
            expect(page.get_by_test_id(test_id)).to_be_hidden()
        menu_button = page.get_by_test_id("room-menu")
        expect(menu_button).to_have_attribute("aria-expanded", "false")
        menu_button.click()
        expect(menu_button).to_have_attribute("aria-expanded", "true")
        menu = page.get_by_role("menu")
        expect(menu.get_by_role("menuitem").first).to_be_focused()
        for test_id in ("toggle-members", "room-settings"):
            expect(menu.get_by_test_id(test_id)).to_be_visible()
        # Leave, where an owner has it at all, is in the menu too, never beside the name.
        assert page.get_by_test_id("leave-room").count() == menu.get_by_test_id("leave-room").count()
        shot(page, f"room-menu-{scheme}-390")
        page.keyboard.press("Escape")
        expect(menu).to_be_hidden()
        menu_button.click()
        page.get_by_test_id("toggle-members").click()
        page.get_by_test_id("members-panel").wait_for()
        expect(page.get_by_role("menu")).to_be_hidden()
        shot(page, f"room-head-{scheme}-390")
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        assert page.errors == []
    finally:
        ctx.close()


def test_desktop_room_header_shows_its_actions(browser, server: ServerProcess) -> None:
    ctx, page = new_page(browser, server, **DESKTOP)
    try:
        token = sign_up(page)
        room = make_room(page, token)
        open_room(page, room["id"])
        for test_id in ("toggle-members", "room-settings"):
            expect(page.get_by_test_id(test_id)).to_be_visible()
        expect(page.get_by_test_id("leave-room")).to_have_count(0)  # the owner hands over or closes instead
        expect(page.get_by_test_id("room-menu")).to_have_count(0)
    finally:
        ctx.close()


def test_on_a_touch_keyboard_enter_makes_a_new_line_and_send_sends(browser, server: ServerProcess) -> None:
    ctx, page = new_page(browser, server, **PHONE)
    try:
        token = sign_up(page)
        room = make_room(page, token)
        open_room(page, room["id"])
        composer = page.get_by_test_id("composer")
        composer.tap()
        page.keyboard.type("first line")
        page.keyboard.press("Enter")
        page.keyboard.type("second line")
        expect(composer).to_have_value("first line\nsecond line")
        expect(page.get_by_test_id("message")).to_have_count(0)
        page.get_by_test_id("send-button").tap()
        expect(sent(page, "first line\nsecond line")).to_have_count(1)
        expect(composer).to_have_value("")
    finally:
        ctx.close()


def test_on_a_desktop_enter_sends_and_shift_enter_makes_a_new_line(browser, server: ServerProcess) -> None:
    ctx, page = new_page(browser, server, **DESKTOP)
    try:
        token = sign_up(page)
        room = make_room(page, token)
        open_room(page, room["id"])
        composer = page.get_by_test_id("composer")
        composer.click()
        page.keyboard.type("one")
        page.keyboard.press("Shift+Enter")
        page.keyboard.type("two")
        expect(composer).to_have_value("one\ntwo")
        page.keyboard.press("Enter")
        expect(sent(page, "one\ntwo")).to_have_count(1)
    finally:
        ctx.close()


# --- item 7: keyboard ---------------------------------------------------------------------


def test_opening_a_room_focuses_the_composer_on_desktop_only(browser, server: ServerProcess) -> None:
    for device, focused in ((DESKTOP, True), (PHONE, False)):
        ctx, page = new_page(browser, server, **device)
        try:
            token = sign_up(page)
            room = make_room(page, token)
            page.goto("/")
            link = page.locator(f'[data-testid="room-item"][data-room-name="{room["name"]}"] a')
            link.focus()
            page.keyboard.press("Enter")
            composer = page.get_by_test_id("composer")
            composer.wait_for()
            if focused:
                expect(composer).to_be_focused()
            else:
                # Focus must not move: nothing signals "it will not", so a late move gets a window.
                page.wait_for_timeout(300)
                expect(composer).not_to_be_focused()
        finally:
            ctx.close()


def test_new_room_dialog_traps_focus_and_its_radios_are_one_tab_stop(browser, server: ServerProcess) -> None:
    ctx, page = new_page(browser, server, **DESKTOP)
    try:
        sign_up(page)
        page.goto("/")
        page.get_by_test_id("create-room").click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_be_visible()
        inside = "() => !!document.activeElement && !!document.activeElement.closest('dialog[open]')"
        stops: list[str] = []
        for _ in range(14):
            page.keyboard.press("Tab")
            assert page.evaluate(inside), f"focus left the dialog after {stops}"
            stops.append(
                page.evaluate("document.activeElement.dataset.testid || document.activeElement.textContent")
            )
        for _ in range(14):
            page.keyboard.press("Shift+Tab")
            assert page.evaluate(inside), "Shift+Tab let focus leave the dialog"
        # The two visibility radios are one stop: Tab leaves the group, arrows move in it.
        assert "room-public" in stops and "room-private" not in stops, stops
        public = page.get_by_test_id("room-public")
        public.focus()
        page.keyboard.press("ArrowDown")
        expect(page.get_by_test_id("room-private")).to_be_focused()
        expect(page.get_by_test_id("room-private")).to_be_checked()
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(page.get_by_test_id("create-room")).to_be_focused()
    finally:
        ctx.close()


# --- item 8: first impression ---------------------------------------------------------------


@pytest.mark.parametrize(("scheme", "device"), [("light", "1280"), ("dark", "390")])
def test_sign_in_page_says_what_parley_is_and_offers_guest_first(
    browser, server: ServerProcess, scheme: str, device: str
) -> None:
    ctx, page = new_page(browser, server, color_scheme=scheme, **(DESKTOP if device == "1280" else PHONE))
    try:
        page.goto("/login")
        expect(page.get_by_test_id("tagline")).to_contain_text("chat")
        tabs = page.get_by_role("tab")
        expect(tabs).to_have_count(3)
        labels = [t.inner_text().strip().lower() for t in tabs.all()]
        assert "guest" in labels[0] and "account" in labels[1] and "sign in" in labels[2], labels
        expect(tabs.nth(0)).to_have_attribute("aria-selected", "true")
        page.get_by_test_id("guest-form").wait_for()
        expect(page.get_by_test_id("guest-nickname")).to_be_visible()
        widths = {round(t.bounding_box()["width"]) for t in tabs.all()}  # type: ignore[index]
        assert max(widths) - min(widths) <= 1, widths
        shot(page, f"login-{scheme}-{device}")
    finally:
        ctx.close()


# --- item 9: avatars are initials on colour ---------------------------------------------------


def test_avatars_are_readable_initials_on_colour_for_a_zh_cn_guest_in_dark_mode(
    browser, server: ServerProcess
) -> None:
    ctx, page = new_page(browser, server, locale="zh-CN", color_scheme="dark", **PHONE)
    ctx_b, other = new_page(browser, server, **DESKTOP)
    try:
        page.goto("/login")
        page.get_by_test_id("tab-guest").click()
        page.get_by_test_id("guest-nickname").fill("小明")
        owl = page.locator('[data-testid="avatar-option"][data-key="owl"]')
        expect(owl).to_contain_text("小")
        owl.click()
        shot(page, "guest-avatars-dark-390")
        page.get_by_test_id("guest-submit").click()
        page.get_by_test_id("composer").wait_for()  # a new guest lands in the main room
        page.goto("/")
        page.get_by_test_id("lobby").wait_for()

        token_b = sign_in_guest(other, "zoë", "fox")
        room = make_room(other, token_b)
        post(other, token_b, room["id"], "你好")
        page.get_by_test_id("public-rooms").locator(f'[data-room-name="{room["name"]}"]').get_by_test_id(
            "join-room"
        ).click()
        page.get_by_test_id("composer").fill("大家好")
        page.get_by_test_id("send-button").click()
        mine = sent(page, "大家好").get_by_test_id("avatar")
        theirs = sent(page, "你好").get_by_test_id("avatar")
        expect(mine).to_have_text("小")
        expect(theirs).to_have_text("Z")
        looks = [
            a.evaluate(CONTRAST) for a in (mine, theirs, page.locator("header [data-testid=avatar]").first)
        ]
        assert looks[0]["background"] != looks[1]["background"], looks
        for look in looks:
            assert look["contrast"] >= 4.5, look
            assert look["fontSize"] >= 12, look
        assert looks[2]["size"] == 28, looks
        shot(page, "room-avatars-dark-390")
    finally:
        ctx.close()
        ctx_b.close()


CONTRAST = """el => {
    const s = getComputedStyle(el)
    const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number)
    const lum = c => {
        const lin = v => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4
        const [r, g, b] = rgb(c).map(lin)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    }
    const [a, b] = [lum(s.color), lum(s.backgroundColor)].sort((x, y) => y - x)
    return {background: s.backgroundColor, contrast: (a + 0.05) / (b + 0.05),
            fontSize: parseFloat(s.fontSize), size: el.getBoundingClientRect().width}
}"""


# --- item 10: bare www. hosts are links -------------------------------------------------------


def test_a_bare_www_host_is_a_link(browser, server: ServerProcess) -> None:
    ctx, page = new_page(browser, server, **DESKTOP)
    try:
        token = sign_up(page)
        room = make_room(page, token)
        post(page, token, room["id"], "see www.example.org/docs, then javascript:alert(1)")
        open_room(page, room["id"])
        links = sent(page, "see www.example.org/docs, then javascript:alert(1)").locator("a")
        expect(links).to_have_count(1)
        expect(links).to_have_text("www.example.org/docs")
        expect(links).to_have_attribute("href", "https://www.example.org/docs")
        expect(links).to_have_attribute("rel", "noopener noreferrer")
    finally:
        ctx.close()
