"""Pins and saved messages in the web client (issue 32), two people, on a desktop
(1280 x 800) and a phone (390 x 844): the owner pins from a message's actions, the other
person sees the count change live in the room's header, opens the list and jumps to a pin
far back in the history (loaded around it, as a search hit is); then saves a message and
finds it in Saved, which opens the room at it. Screenshots: `docs/screenshots/pins-*.png`.
"""

from __future__ import annotations

import re

import pytest

from parley.testing.live import ServerProcess
from parley.web.tests import test_browser as base
from parley.web.tests.test_browser import ROOT, new_page, unique
from parley.web.tests.test_browser_ui import DESKTOP, PHONE, api, make_room, open_room, post, sign_up

browser = base.browser
server = base.server

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - playwright is a dev dependency
    expect = None  # type: ignore[assignment]

pytestmark = [pytest.mark.browser, pytest.mark.processes]

DOC_SHOTS = ROOT / "docs" / "screenshots"
RULES = "House rules: be kind, stay on topic, no spam."


def shot(page, name: str) -> None:
    DOC_SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOC_SHOTS / f"pins-{name}.png"))


def by_body(page, body: str):
    return page.locator('[data-testid="message"]', has=page.get_by_text(body, exact=True))


def act(page, row, action: str, phone: bool) -> None:
    """A message's action: the hover toolbar on a desktop, the "⋯" sheet on a phone."""
    if phone:
        row.get_by_test_id("message-body").tap()
        row.get_by_test_id("message-more").tap()
        page.get_by_role("dialog").get_by_test_id(f"sheet-{action}").tap()
    else:
        row.hover()
        row.get_by_test_id(f"action-{action}").click()


@pytest.mark.parametrize("device", ["1280", "390"])
def test_the_owner_pins_the_other_sees_it_live_jumps_to_it_and_saves(
    browser, server: ServerProcess, device: str
) -> None:
    phone = device == "390"
    screen = PHONE if phone else DESKTOP
    owner_ctx, owner = new_page(browser, server, **screen)
    ctx, page = new_page(browser, server, **screen)
    try:
        owner_token = sign_up(owner)
        room = make_room(owner, owner_token, name=unique("pins-"))
        post(owner, owner_token, room["id"], RULES)
        for i in range(70):
            post(owner, owner_token, room["id"], f"chatter {i}")  # the rules are far back
        post(owner, owner_token, room["id"], "Meeting moved to Thursday 10:00")
        token = sign_up(page)
        api(page, token, "POST", f"rooms/{room['id']}/join")
        open_room(page, room["id"])
        open_room(owner, room["id"])
        expect(page.get_by_test_id("pins-count")).to_have_text("0")

        # The owner pins the latest message from its actions; the old rules over the API.
        meeting = by_body(owner, "Meeting moved to Thursday 10:00")
        act(owner, meeting, "pin", phone)
        expect(meeting.get_by_test_id("message-pinned")).to_be_visible()
        expect(owner.get_by_test_id("pins-count")).to_have_text("1")
        rules_id = api(owner, owner_token, "GET", f"rooms/{room['id']}/messages?around_seq=1&limit=1")[
            "messages"
        ][0]["id"]
        api(owner, owner_token, "POST", f"messages/{rules_id}/pin")

        # The other person sees both live: the count, the marker, the list (newest pin first).
        expect(page.get_by_test_id("pins-count")).to_have_text("2")
        meeting_there = by_body(page, "Meeting moved to Thursday 10:00")
        expect(meeting_there.get_by_test_id("message-pinned")).to_be_visible()
        expect(by_body(page, RULES)).to_have_count(0)  # not loaded yet
        page.get_by_test_id("pins-button").click()
        items = page.get_by_test_id("pin-item")
        expect(items).to_have_count(2)
        expect(items.first).to_contain_text(RULES)
        expect(items.nth(1)).to_contain_text("Meeting moved")
        expect(page.get_by_test_id("pin-remove")).to_have_count(0)  # a member, not allowed here
        shot(page, f"list-{device}")
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0

        # Jump: the history around the rules is loaded and the message flashes.
        items.first.get_by_test_id("pin-jump").click()
        rules = by_body(page, RULES)
        expect(rules).to_be_in_viewport()
        expect(rules).to_have_class(re.compile(r"\bflash\b"))
        expect(rules.get_by_test_id("message-pinned")).to_be_visible()
        expect(page).to_have_url(re.compile(rf"/rooms/{room['id']}$"))
        shot(page, f"jump-{device}")

        # Save a message for later, then find it in Saved, which opens the room at it.
        chatter = by_body(page, "chatter 3")
        act(page, chatter, "save", phone)
        expect(page.get_by_role("alert").filter(has_text="Saved.")).to_have_count(1)
        saved_ids = [r["message"]["id"] for r in api(page, token, "GET", "saved")["results"]]
        assert saved_ids == [int(chatter.get_attribute("data-id") or 0)]
        page.get_by_test_id("saved-link").click()
        expect(page).to_have_url(re.compile(r"/saved$"))
        saved = page.get_by_test_id("saved-item")
        expect(saved).to_have_count(1)
        expect(saved.first).to_contain_text("chatter 3")
        expect(saved.first).to_contain_text(room["name"])
        shot(page, f"saved-{device}")
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        saved.first.get_by_test_id("saved-open").click()
        expect(by_body(page, "chatter 3")).to_be_in_viewport()

        # The owner unpins: the list follows live.
        api(owner, owner_token, "DELETE", f"messages/{rules_id}/pin")
        expect(page.get_by_test_id("pins-count")).to_have_text("1")
        assert page.errors == [] and owner.errors == []
    finally:
        ctx.close()
        owner_ctx.close()
