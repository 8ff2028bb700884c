"""The staff and owner screens and the small UI seams of issue 27, in Chromium.

Each test failed before its fix: member names hidden behind the row's buttons, the ⋯
menu clipped at the panel's edge, and the rest listed in each test's docstring. Layout is
checked at 1280 px and 360 px. Screenshots land in artifacts/screenshots/staffui-*.png.
"""

from __future__ import annotations

import pytest

from parley.testing.live import ServerProcess
from parley.web.tests import test_browser as base
from parley.web.tests.test_browser import SHOTS, new_page, unique
from parley.web.tests.test_browser_ui import DESKTOP, api, make_room, open_room, sign_up

browser = base.browser
server = base.server

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - playwright is a dev dependency
    expect = None  # type: ignore[assignment]

pytestmark = [pytest.mark.browser, pytest.mark.processes]

NARROW = {"viewport": {"width": 360, "height": 740}, "has_touch": True, "is_mobile": True}
WIDTHS = {"desktop": DESKTOP, "phone": NARROW}


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"staffui-{name}.png"))


def inside(inner: dict, outer: dict) -> bool:
    """Whether one bounding box lies within another (to the pixel)."""
    return (
        inner["x"] >= outer["x"] - 0.5
        and inner["y"] >= outer["y"] - 0.5
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
    )


def open_members(page) -> None:
    """The header's Members button, or on a phone the room menu's entry."""
    toggle = page.get_by_test_id("toggle-members").filter(visible=True)
    if toggle.count() == 0:
        page.get_by_test_id("room-menu").click()
    page.get_by_test_id("toggle-members").filter(visible=True).click()


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_an_owner_sees_each_members_name_beside_the_actions(
    browser, server: ServerProcess, width: str
) -> None:
    """Message, Remove and ⋯ used to squeeze the name to 0 px and push ⋯ past the panel's edge."""
    ctx, owner = new_page(browser, server, **WIDTHS[width])
    ctx_m, other = new_page(browser, server)
    try:
        token = sign_up(owner)
        name = unique("Alexandra")
        member_token = sign_up(other, name)
        room = make_room(owner, token)
        api(other, member_token, "POST", f"rooms/{room['id']}/join")
        open_room(owner, room["id"])
        open_members(owner)
        panel = owner.get_by_test_id("members-panel")
        row = owner.locator(f'[data-testid="member-item"][data-username="{name}"]')
        expect(row.get_by_test_id("remove-member")).to_be_visible()
        expect(row.get_by_test_id("message-member")).to_be_visible()
        box = panel.bounding_box()
        assert box is not None
        label = row.locator(".name")
        expect(label).to_have_text(name)
        name_box = label.bounding_box()
        assert name_box is not None and name_box["width"] >= 80, name_box
        assert label.evaluate("e => e.scrollWidth <= e.clientWidth"), "the name is cut short"
        for testid in ("message-member", "remove-member", "member-moderate-toggle"):
            button = row.get_by_test_id(testid).bounding_box()
            assert button is not None and inside(button, box), (testid, button, box)
        row.get_by_test_id("member-moderate-toggle").click()
        menu = row.locator(".mod-menu")
        expect(menu).to_be_visible()
        menu_box = menu.bounding_box()
        assert menu_box is not None
        left, right = menu_box["x"], menu_box["x"] + menu_box["width"]
        assert left >= box["x"] - 0.5 and right <= box["x"] + box["width"] + 0.5, (menu_box, box)
        shot(owner, f"members-{width}")
        assert owner.errors == [], owner.errors
    finally:
        ctx.close()
        ctx_m.close()
