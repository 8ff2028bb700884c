"""Search in the web client (issue 13): CJK text found by a two-character word, filters,
"More results", and a result that opens its room at the message with the history around
it. On a desktop (1280 x 800) and a phone (390 x 844), light and dark; screenshots land
in `artifacts/screenshots/search-*.png`.
"""

from __future__ import annotations

import re

import pytest

from parley.testing.live import ServerProcess
from parley.web.tests import test_browser as base
from parley.web.tests.test_browser import SHOTS, new_page, unique
from parley.web.tests.test_browser_ui import DESKTOP, PHONE, api, make_room, post, sign_up

browser = base.browser
server = base.server

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - playwright is a dev dependency
    expect = None  # type: ignore[assignment]

pytestmark = [pytest.mark.browser, pytest.mark.processes]

TARGET = "明天的天气预报说会下雨，会議は延期です"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"search-{name}.png"))


def search(page, q: str) -> None:
    page.get_by_test_id("search-input").fill(q)
    page.get_by_test_id("search-input").press("Enter")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("device", ["1280", "390"])
def test_search_finds_cjk_pages_filters_and_opens_the_message(
    browser, server: ServerProcess, scheme: str, device: str
) -> None:
    ctx, page = new_page(browser, server, color_scheme=scheme, **(DESKTOP if device == "1280" else PHONE))
    try:
        token = sign_up(page)
        here = make_room(page, token, name=unique("weather-"))
        there = make_room(page, token, name=unique("elsewhere-"))
        post(page, token, here["id"], TARGET)
        for i in range(25):
            post(page, token, here["id"], f"カイギのメモ {i}")
        for i in range(40):
            post(page, token, here["id"], f"filler {i}")  # the target is far out of the latest page
        post(page, token, there["id"], "今天天气很好")

        page.goto("/search")
        search(page, "天气")
        results = page.get_by_test_id("search-result")
        expect(results).to_have_count(2)
        expect(results.first).to_contain_text("今天天气很好")  # newest first
        expect(results.nth(1).locator(".text strong")).to_have_text(["天气"])
        # One room only.
        page.get_by_test_id("search-room").select_option(str(here["id"]))
        search(page, "天气")
        expect(results).to_have_count(1)
        expect(page).to_have_url(re.compile(rf"room={here['id']}"))

        # Katakana found by hiragana, 25 hits over two pages.
        page.get_by_test_id("search-room").select_option("")
        search(page, "かいぎ")
        expect(results).to_have_count(20)
        expect(results.first.locator(".text strong")).to_have_text(["カイギ"])
        page.get_by_test_id("search-more").click()
        expect(results).to_have_count(25)  # the notes only: かいぎ is not 会議
        expect(page.get_by_test_id("search-more")).to_have_count(0)
        page.get_by_test_id("search-input").scroll_into_view_if_needed()
        shot(page, f"{scheme}-{device}")
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0

        # The result opens the room at the message, with the history around it.
        search(page, "天气预报")
        expect(results).to_have_count(1)
        results.first.get_by_test_id("search-open").click()
        expect(page).to_have_url(re.compile(rf"/rooms/{here['id']}$"))
        target = page.locator('[data-testid="message"]', has=page.get_by_text(TARGET, exact=True))
        expect(target).to_be_in_viewport()
        expect(target).to_have_class(re.compile(r"\bflash\b"))
        expect(
            page.locator('[data-testid="message"]', has=page.get_by_text("カイギのメモ 0", exact=True))
        ).to_have_count(1)
        shot(page, f"jump-{scheme}-{device}")
        assert page.errors == []
    finally:
        ctx.close()


def test_a_room_left_is_no_longer_searched(browser, server: ServerProcess) -> None:
    ctx, page = new_page(browser, server, **DESKTOP)
    try:
        owner_ctx, owner = new_page(browser, server, **DESKTOP)
        owner_token = sign_up(owner)
        room = make_room(owner, owner_token)
        post(owner, owner_token, room["id"], "검색 기능 회의")
        token = sign_up(page)
        api(page, token, "POST", f"rooms/{room['id']}/join")
        page.goto("/search?q=검색")
        expect(page.get_by_test_id("search-result")).to_have_count(1)
        api(page, token, "POST", f"rooms/{room['id']}/leave")
        page.goto("/search?q=검색")
        expect(page.get_by_role("status")).to_have_text("No messages found.")
        owner_ctx.close()
    finally:
        ctx.close()
