"""The narrowest phones (360 and 390 px) in Chromium: nothing of the sign-in card or the app
header runs off the screen (issue 27).

The guest sign-in's six-a-row colour swatches overflowed the card at 360 px; a staff
member's header (language, Search, Stats, Reports, the account and Sign out) ran past the
right edge on every page at 360 and 390 px, so Reports, the account and Sign out could not
be reached. Screenshots land in artifacts/screenshots/narrow-*.png.
"""

from __future__ import annotations

from typing import Any

import pytest

from parley.testing.live import ServerProcess
from parley.web.tests import test_browser as base
from parley.web.tests.test_browser import SHOTS, new_page, unique
from parley.web.tests.test_browser_stats import manage
from parley.web.tests.test_browser_ui import api, make_room, sign_up

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - playwright is a dev dependency
    expect = None  # type: ignore[assignment]

browser = base.browser
server = base.server

pytestmark = [pytest.mark.browser, pytest.mark.processes]


def narrow(width: int) -> dict[str, Any]:
    return {"viewport": {"width": width, "height": 740}, "has_touch": True, "is_mobile": True}


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"narrow-{name}.png"))


def inside(inner: dict, outer: dict) -> bool:
    return (
        inner["x"] >= outer["x"] - 0.5
        and inner["y"] >= outer["y"] - 0.5
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
    )


@pytest.mark.parametrize("width", [360, 390])
def test_the_guest_colour_swatches_stay_inside_the_sign_in_card(
    browser, server: ServerProcess, width: int
) -> None:
    ctx, page = new_page(browser, server, **narrow(width))
    try:
        page.goto("/login")
        page.get_by_test_id("tab-guest").click()
        swatches = page.get_by_test_id("avatar-option")
        expect(swatches.first).to_be_visible()
        assert swatches.count() >= 6
        card = page.get_by_test_id("guest-form").locator("xpath=ancestor::div[contains(@class, 'card')]")
        card_box = card.bounding_box()
        assert card_box is not None and card_box["x"] + card_box["width"] <= width
        outside = [
            swatch.get_attribute("data-key")
            for swatch in swatches.all()
            if not inside(swatch.bounding_box() or {}, card_box)
        ]
        assert outside == [], f"swatches outside the card at {width} px: {outside}"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shot(page, f"guest-{width}")
        assert page.errors == [], page.errors
    finally:
        ctx.close()


def header_overflow(page, width: int) -> list[str]:
    """Every visible control of every header on the page that lies outside the viewport."""
    return page.evaluate(
        """(width) => [...document.querySelectorAll('header')]
            .flatMap(h => [...h.querySelectorAll('a, button, select, input, [role=button]')])
            .filter(e => e.getClientRects().length > 0)
            .filter(e => { const r = e.getBoundingClientRect();
                           return r.left < -0.5 || r.right > width + 0.5 || r.width < 1; })
            .map(e => (e.dataset.testid || e.textContent || e.tagName).trim())""",
        width,
    )


@pytest.mark.parametrize(
    ("width", "locale"),
    [(360, "en-US"), (390, "en-US"), (360, "ja-JP"), (360, "ko-KR"), (360, "zh-CN")],
)
def test_no_header_control_runs_off_a_narrow_phone_on_any_page(
    browser, server: ServerProcess, width: int, locale: str
) -> None:
    """A staff member's header has the most in it; each top-level page is checked."""
    ctx, page = new_page(browser, server, locale=locale, **narrow(width))
    try:
        name = unique("hdr")
        token = sign_up(page, name)
        manage(server, "shell", "-c", f"from parley.accounts.models import User; "
               f"User.objects.filter(username='{name}').update(is_staff=True)")  # fmt: skip
        room = make_room(page, token)
        api(page, token, "POST", f"rooms/{room['id']}/messages", {"body": "hi", "client_id": "n-1"})
        for path, ready in [
            ("/", "lobby"),
            ("/search", "search-input"),
            ("/account", "password-form"),
            ("/moderation", "moderation"),
            ("/stats", "stats-messages"),
            ("/people", "person-item"),
            (f"/rooms/{room['id']}", "composer"),
        ]:
            page.goto(path)
            expect(page.get_by_test_id("logout")).to_be_visible()
            expect(page.get_by_test_id(ready).first).to_be_visible()
            assert header_overflow(page, width) == [], (path, header_overflow(page, width))
            assert page.evaluate("document.documentElement.scrollWidth") <= width, path
            shot(page, f"{path.strip('/').split('/')[0] or 'lobby'}-{locale}-{width}")
        assert page.errors == [], page.errors
    finally:
        ctx.close()
