"""Issue 17's four languages in Chromium: the switcher turns the lobby and a room into
English, 简体中文, 한국어 and 日本語 without a reload; a Korean browser lands in Korean; a
switch is saved on the account, so a reload and another browser keep it.

Screenshots of the lobby and a room in each language (1280 px) are committed as
docs/screenshots/i18n-<code>-lobby.png and i18n-<code>-room.png; they need Debian's
fonts-noto-cjk and fonts-noto-color-emoji (`.ci/run` installs them) to show text, not boxes.
"""

# ruff: noqa: RUF001 - full-width punctuation is what CJK text is written with
from __future__ import annotations

import re
from typing import Any

import pytest

from parley.testing.live import ROOT, ServerProcess
from parley.web.tests import test_browser
from parley.web.tests.test_browser import new_page, send, sent, unique
from parley.web.tests.test_browser import sign_up_on_screen as sign_up

pytestmark = [pytest.mark.browser, pytest.mark.processes]

browser = test_browser.browser
server = test_browser.server
DESKTOP = {"width": 1280, "height": 800}
DOCS = ROOT / "docs" / "screenshots"
PASSWORD = "a long enough passphrase 42"

# Texts each language shows: the lobby's heading and sections, a room's controls.
SEEN: dict[str, dict[str, Any]] = {
    "en": {
        "lang": "en",
        "lobby": ["Rooms", "Your rooms", "Public rooms to join", "New room", "Sign out"],
        "room": ["Send", "← All rooms", "Copy invite link"],
        "placeholder": "Message #{room}",
    },
    "zh-hans": {
        "lang": "zh-Hans",
        "lobby": ["聊天室", "我的聊天室", "可加入的公开聊天室", "新建聊天室", "退出登录"],
        "room": ["发送", "← 所有聊天室", "复制邀请链接"],
        "placeholder": "发消息到 #{room}",
    },
    "ko": {
        "lang": "ko",
        "lobby": ["대화방", "내 대화방", "참여할 수 있는 공개 대화방", "새 대화방", "로그아웃"],
        "room": ["보내기", "← 모든 대화방", "초대 링크 복사"],
        "placeholder": "#{room}에 메시지 보내기",
    },
    "ja": {
        "lang": "ja",
        "lobby": ["ルーム", "参加中のルーム", "参加できる公開ルーム", "新しいルーム", "ログアウト"],
        "room": ["送信", "← すべてのルーム", "招待リンクをコピー"],
        "placeholder": "#{room} へのメッセージ",
    },
}


def switch(page, code: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_test_id("language-switcher").first.select_option(code)
    page.wait_for_function("lang => document.documentElement.lang === lang", arg=SEEN[code]["lang"])


def expect_texts(page, texts: list[str]) -> None:  # type: ignore[no-untyped-def]
    for text in texts:
        page.get_by_text(text, exact=True).first.wait_for()


def test_the_switcher_shows_the_lobby_and_a_room_in_four_languages(browser, server: ServerProcess) -> None:
    ctx, page = new_page(browser, server, viewport=DESKTOP)
    ctx_b, other = new_page(browser, server, viewport=DESKTOP)
    try:
        sign_up(page, unique("mei"))
        sign_up(other, unique("jun"))
        # Rooms and people named in Chinese, Korean and Japanese; their words are never translated.
        room = f"茶话会{unique('')[:4]}"
        page.goto("/")
        page.get_by_test_id("create-room").click()
        page.get_by_test_id("room-name").fill(room)
        page.get_by_test_id("room-topic").fill("周末去哪儿玩？ 주말 계획 · 週末の予定")
        page.get_by_test_id("create-room-submit").click()
        page.get_by_test_id("composer").wait_for()
        room_url = page.url
        send(page, "大家好！周末有空吗？🎉")
        other.goto(room_url)
        other.get_by_test_id("join-room").click()
        other.get_by_test_id("composer").wait_for()
        send(other, "안녕하세요! 토요일 좋아요 👍")
        send(other, "土曜日なら行けます。よろしくお願いします！")
        sent(page, "土曜日なら行けます。よろしくお願いします！").wait_for()

        DOCS.mkdir(parents=True, exist_ok=True)
        for code, seen in SEEN.items():
            page.goto("/")
            page.get_by_test_id("lobby").wait_for()
            switch(page, code)
            expect_texts(page, seen["lobby"])
            page.get_by_test_id("joined-rooms").get_by_text(room).wait_for()
            page.screenshot(path=str(DOCS / f"i18n-{code}-lobby.png"))

            page.goto(room_url)
            page.get_by_test_id("composer").wait_for()
            sent(page, "土曜日なら行けます。よろしくお願いします！").wait_for()
            assert page.evaluate("document.documentElement.lang") == seen["lang"]
            expect_texts(page, seen["room"])
            placeholder = page.get_by_test_id("composer").get_attribute("placeholder")
            assert placeholder == seen["placeholder"].format(room=room), placeholder
            # The day separator and member count are in the language too.
            if code != "en":
                assert "Today" not in page.get_by_test_id("message-list").inner_text()
                assert "member" not in page.get_by_test_id("toggle-members").inner_text()
            page.mouse.move(0, 0)
            page.screenshot(path=str(DOCS / f"i18n-{code}-room.png"))
        assert page.errors == []
    finally:
        ctx.close()
        ctx_b.close()


def test_a_korean_browser_lands_in_korean_and_a_switch_is_saved_per_user(
    browser, server: ServerProcess
) -> None:
    ctx, page = new_page(browser, server, viewport=DESKTOP, locale="ko-KR")
    ctx_b, elsewhere = new_page(browser, server, viewport=DESKTOP, locale="en-US")
    try:
        page.goto("/login")
        # The Korean catalogue is fetched lazily: `load` can fire before it arrives.
        page.wait_for_function("() => document.documentElement.lang === 'ko'")
        expect_texts(page, ["실시간 그룹 채팅. 이름만 정하고 바로 참여하세요.", "게스트로 계속하기"])
        assert re.search(r"[A-Za-z]{4,}", page.get_by_test_id("tagline").inner_text()) is None

        name = unique("minji")
        sign_up(page, name)
        page.goto("/")
        expect_texts(page, ["대화방", "내 대화방"])

        # Switched in the header: saved on the account; a reload and another browser keep it.
        switch(page, "ja")
        expect_texts(page, ["ルーム", "参加中のルーム"])
        page.reload()
        page.get_by_test_id("lobby").wait_for()
        expect_texts(page, ["ルーム", "参加中のルーム"])

        elsewhere.goto("/login")
        expect_texts(elsewhere, ["Real-time group chat. Pick a name and join in."])
        elsewhere.get_by_test_id("tab-login").click()
        elsewhere.get_by_test_id("login-username").fill(name)
        elsewhere.get_by_test_id("login-password").fill(PASSWORD)
        elsewhere.get_by_test_id("login-submit").click()
        elsewhere.get_by_test_id("lobby").wait_for()
        elsewhere.wait_for_function("() => document.documentElement.lang === 'ja'")
        expect_texts(elsewhere, ["ルーム", "参加中のルーム"])
        assert page.errors == [] and elsewhere.errors == []
    finally:
        ctx.close()
        ctx_b.close()
