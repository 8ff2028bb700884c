"""Issue 17 in Chromium: a new account lands in the main room; an invite link brings a guest on
a phone into a private room; a used-up link gets a friendly page; a profile change reaches the
other person live; Enter while an input method composes never sends.

Screenshots (light and dark, 1280 and 390 px) go to artifacts/screenshots/invite-*.png.
"""

from __future__ import annotations

import pytest

from parley.testing.live import ServerProcess
from parley.web.tests import test_browser
from parley.web.tests.test_browser import SHOTS, new_page, send, sent, unique

pytestmark = [pytest.mark.browser, pytest.mark.processes]

browser = test_browser.browser
server = test_browser.server
PHONE = {"width": 390, "height": 844}


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"invite-{name}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def sign_up(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.get_by_test_id("tab-register").click()
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill("a long enough passphrase 42")
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("composer").wait_for()


def test_an_invite_link_brings_a_guest_on_a_phone_into_a_private_room(browser, server: ServerProcess) -> None:
    owner_ctx, owner = new_page(browser, server, viewport={"width": 1280, "height": 800})
    guest_ctx, guest = new_page(browser, server, viewport=PHONE, color_scheme="dark", has_touch=True)
    late_ctx, late = new_page(browser, server, viewport={"width": 1280, "height": 800}, color_scheme="dark")
    try:
        # A new account lands in the main room.
        sign_up(owner, unique("host"))
        assert owner.get_by_test_id("room-title").inner_text().split() == ["#", "general"]

        # A private room, and a one-use link to it from the room's menu.
        name = unique("den")
        owner.goto("/")
        owner.get_by_test_id("create-room").click()
        owner.get_by_test_id("room-name").fill(name)
        owner.get_by_test_id("room-private").check()
        owner.get_by_test_id("create-room-submit").click()
        owner.get_by_test_id("composer").wait_for()
        owner.get_by_test_id("copy-invite").click()  # beside the name at this width
        owner.get_by_test_id("invite-uses").select_option(label="1 use")
        shot(owner, "dialog-light-1280")
        owner.get_by_test_id("invite-create").click()
        url = owner.get_by_test_id("invite-url").input_value()
        assert "/invite/" in url
        owner.get_by_test_id("invite-copied").wait_for()
        owner.keyboard.press("Escape")

        # A fresh phone, never signed in: the link shows the room, then the way in.
        guest.goto(url)
        guest.get_by_test_id("invite-members").wait_for()
        assert name in guest.get_by_role("heading").first.inner_text()
        assert "1 member" in guest.get_by_test_id("invite-members").inner_text()
        shot(guest, "page-dark-390")
        guest.get_by_test_id("invite-sign-in").click()
        guest.get_by_test_id("guest-nickname").fill(unique("Rover"))
        guest.get_by_test_id("guest-submit").click()
        guest.get_by_test_id("invite-join").click()  # back on the invite, signed in: one click
        guest.get_by_test_id("composer").wait_for()
        assert name in guest.get_by_test_id("room-title").inner_text()

        # Both see each other's messages.
        guest.get_by_test_id("composer").fill("hello from the phone")
        guest.get_by_test_id("send-button").click()  # on a touch screen Enter is a new line
        sent(guest, "hello from the phone").wait_for()
        sent(owner, "hello from the phone").wait_for()
        send(owner, "welcome in")
        sent(guest, "welcome in").wait_for()

        # The link was for one person: the next one gets a friendly page.
        late.goto(url)
        late.get_by_test_id("invite-gone").wait_for()
        assert late.get_by_test_id("invite-gone").inner_text() == "This invite has been used up."
        shot(late, "used-up-dark-1280")

        # The owner finds the link in the room's settings and revokes it.
        owner.get_by_test_id("room-settings").click()
        item = owner.get_by_test_id("invite-item")
        item.wait_for()
        assert "1 of 1 uses · used up" in item.inner_text()
        shot(owner, "settings-light-1280")
        item.get_by_test_id("invite-revoke").click()
        item.wait_for(state="detached")
        owner.keyboard.press("Escape")

        # Enter while an input method composes confirms the candidate and never sends.
        box = owner.get_by_test_id("composer")
        box.fill("にほん")
        box.evaluate(
            """el => {
              el.dispatchEvent(new CompositionEvent('compositionstart', {bubbles: true, data: ''}))
              el.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', code: 'Enter', isComposing: true,
                                                             bubbles: true, cancelable: true}))
              el.value = '日本'
              el.dispatchEvent(new InputEvent('input', {bubbles: true, isComposing: true, data: '日本'}))
              el.dispatchEvent(new CompositionEvent('compositionend', {bubbles: true, data: '日本'}))
            }"""
        )
        # A send empties the composer at once, so the text still there says none happened.
        assert box.input_value() == "日本"
        box.press("Enter")
        sent(owner, "日本").wait_for()
        sent(guest, "日本").wait_for()
        # Frames arrive in order: a send at the composing Enter would have come before this one.
        assert sent(guest, "日本").count() == 1 and sent(guest, "にほん").count() == 0

        # A new display name reaches the other person live, in messages already shown.
        new_name = unique("Captain ")
        guest.goto("/account")
        guest.get_by_test_id("profile-settings").wait_for()
        guest.get_by_test_id("profile-name").fill(new_name)
        guest.get_by_test_id("profile-save").click()
        guest.get_by_test_id("profile-saved").wait_for()
        owner.get_by_test_id("message-author").filter(has_text=new_name).first.wait_for()

        assert owner.errors == [] and guest.errors == [] and late.errors == []
    finally:
        owner_ctx.close()
        guest_ctx.close()
        late_ctx.close()


SIZES = [("light", 1280), ("dark", 1280), ("light", 390), ("dark", 390)]


@pytest.mark.parametrize(("scheme", "width"), SIZES)
def test_invite_and_profile_screens_fit(browser, server: ServerProcess, scheme: str, width: int) -> None:
    ctx, page = new_page(browser, server, color_scheme=scheme, viewport={"width": width, "height": 800})
    try:
        sign_up(page, unique("look"))
        page.goto("/")
        page.get_by_test_id("create-room").click()
        page.get_by_test_id("room-name").fill(unique("own"))
        page.get_by_test_id("create-room-submit").click()
        page.get_by_test_id("composer").wait_for()
        if width < 700:
            page.get_by_test_id("room-menu").click()
        page.get_by_test_id("copy-invite").click()
        page.get_by_test_id("invite-create").click()
        page.get_by_test_id("invite-url").wait_for()
        shot(page, f"dialog-{scheme}-{width}")
        page.keyboard.press("Escape")
        page.goto("/account")
        card = page.get_by_test_id("profile-settings")
        card.scroll_into_view_if_needed()
        card.screenshot(path=str(SHOTS / f"invite-profile-{scheme}-{width}.png"))
        page.goto("/invite/no-such-link")
        page.get_by_test_id("invite-gone").wait_for()
        assert page.get_by_test_id("invite-gone").inner_text() == "This invite link is not valid."
        shot(page, f"invalid-{scheme}-{width}")
        assert page.errors == []
    finally:
        ctx.close()
