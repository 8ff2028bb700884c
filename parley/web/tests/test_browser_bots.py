"""Slash commands in the web client (issue 14): the `/` typeahead, a bot's answer seen by
another person, the only-you notice that a reload clears, and `/me` as an action.

Alice on a desktop (light), Bob on a phone in dark mode, in one room Alice owns.
Screenshots land in `artifacts/screenshots/bots-*.png`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from parley.testing.live import ServerProcess
from parley.web.tests import test_browser as base
from parley.web.tests.test_browser import SHOTS, new_page, sent, unique
from parley.web.tests.test_browser_ui import DESKTOP, PHONE, api, make_room, open_room, sign_up

browser = base.browser
server = base.server

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - playwright is a dev dependency
    expect = None  # type: ignore[assignment]

pytestmark = [pytest.mark.browser, pytest.mark.processes]


@pytest.fixture(scope="module")
def chat(browser, server: ServerProcess) -> Iterator[tuple[object, object, dict]]:
    ctx_a, alice = new_page(browser, server, **DESKTOP)
    ctx_b, bob = new_page(browser, server, color_scheme="dark", **PHONE)
    a_token = sign_up(alice, unique("alice"))
    b_token = sign_up(bob, unique("bob"))
    room = make_room(alice, a_token, topic="Dice night")
    api(bob, b_token, "POST", f"rooms/{room['id']}/join")
    open_room(alice, room["id"])
    open_room(bob, room["id"])
    yield alice, bob, room
    for page in (alice, bob):
        assert page.errors == [], page.errors
    ctx_a.close()
    ctx_b.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"bots-{name}.png"))


def test_typeahead_offers_the_rooms_commands_and_roll_is_answered_for_everyone(chat) -> None:
    alice, bob, _room = chat
    composer = alice.get_by_test_id("composer")
    composer.click()
    composer.press_sequentially("/")
    options = alice.get_by_test_id("mention-option")
    expect(alice.get_by_test_id("mention-list")).to_be_visible()
    expect(options.filter(has_text="/roll 2d6")).to_have_count(1)
    expect(options.filter(has_text="Roll dice, like 2d6 or d20+3")).to_have_count(1)
    expect(options.filter(has_text="/help")).to_have_count(1)
    shot(alice, "typeahead-desktop")
    composer.press_sequentially("ro")
    expect(options).to_have_count(1)
    composer.press("ArrowDown")  # one option: it stays chosen
    composer.press("Tab")
    expect(composer).to_have_value("/roll ")
    expect(alice.get_by_test_id("mention-list")).to_have_count(0)
    composer.press_sequentially("2d6")
    composer.press("Enter")
    expect(sent(alice, "/roll 2d6")).to_have_count(1)

    answer = bob.locator('[data-testid="message"]', has=bob.get_by_test_id("bot-badge")).filter(
        has_text=re.compile(r"🎲 alice\w+ rolled 2d6: \d \+ \d = \d+")
    )
    expect(answer).to_have_count(1)
    expect(answer.get_by_test_id("message-author").first).to_have_text("Dice")
    answer.scroll_into_view_if_needed()
    shot(bob, "roll-phone-dark")


def test_an_unknown_command_is_shown_only_to_its_sender_until_reload(chat) -> None:
    alice, bob, room = chat
    composer = alice.get_by_test_id("composer")
    composer.fill("/frobnicate")
    composer.press("Enter")
    line = alice.get_by_test_id("ephemeral")
    expect(line).to_have_count(1)
    expect(line).to_contain_text("Only you can see this")
    expect(line).to_contain_text("Unknown command /frobnicate")
    expect(composer).to_have_value("")
    expect(alice.locator('[data-testid="message"]', has_text="/frobnicate")).to_have_count(0)
    shot(alice, "ephemeral-desktop")
    bob.get_by_test_id("composer").fill("/help")
    bob.get_by_test_id("send-button").click()
    expect(bob.get_by_test_id("ephemeral")).to_contain_text("/roll 2d6 — Roll dice")
    shot(bob, "help-phone-dark")
    expect(bob.get_by_test_id("ephemeral")).not_to_contain_text("frobnicate")
    alice.reload()
    alice.get_by_test_id("composer").wait_for()
    expect(alice.get_by_test_id("ephemeral")).to_have_count(0)
    open_room(bob, room["id"])


def test_me_is_shown_as_an_action(chat) -> None:
    alice, bob, _room = chat
    alice.get_by_test_id("composer").fill("/me waves at everyone")
    alice.get_by_test_id("composer").press("Enter")
    body = bob.get_by_test_id("message-body").filter(has_text="waves at everyone")
    expect(body).to_have_count(1)
    expect(body).to_have_text(re.compile(r"^alice\w+ waves at everyone$"))
    expect(body).to_have_class(re.compile(r"\baction\b"))


def test_the_owner_makes_an_incoming_webhook_and_its_post_reaches_the_room(chat) -> None:
    alice, bob, _room = chat
    alice.get_by_test_id("room-settings").click()
    section = alice.get_by_test_id("webhooks")
    section.scroll_into_view_if_needed()
    section.get_by_test_id("incoming-name").fill("CI")
    section.get_by_test_id("incoming-create").click()
    secret = section.get_by_test_id("webhook-secret").locator("input")
    expect(secret).to_have_value(re.compile(r"^http://127\.0\.0\.1:\d+/api/v1/hooks/\d+/\S+$"))
    expect(section.get_by_test_id("incoming-webhook")).to_have_count(1)
    shot(alice, "webhooks-desktop")
    alice.set_viewport_size({"width": 390, "height": 844})
    alice.emulate_media(color_scheme="dark")
    section.scroll_into_view_if_needed()
    shot(alice, "webhooks-phone-dark")
    alice.set_viewport_size(DESKTOP["viewport"])
    alice.emulate_media(color_scheme="light")
    url = secret.input_value()
    # No credentials: the secret URL is the credential (a fresh context has no cookie).
    posted = bob.context.browser.new_context().request.post(url, data={"body": "build #12 passed"})
    assert posted.status == 201, posted.text()
    answer = bob.locator('[data-testid="message"]', has=bob.get_by_test_id("bot-badge")).filter(
        has_text="build #12 passed"
    )
    expect(answer).to_have_count(1)
    expect(answer.get_by_test_id("message-author").first).to_have_text("CI")
    alice.keyboard.press("Escape")
