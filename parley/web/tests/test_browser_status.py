"""Status, away and read receipts in the web client (issue 30).

Ann on a desktop (1280 x 800) and Bob on a phone (390 x 844), each in a browser context of
their own, on a server whose AWAY_AFTER is a few seconds. Bob's status, his do-not-disturb
and his going idle reach Ann's screen live (member list, DM list, DM header); a DM shows
"Seen" under Ann's message once Bob has read it. Screenshots:
`docs/screenshots/status-*.png`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from parley.testing.live import ServerProcess, base_env, migrate, private_database
from parley.web.tests import test_browser as base
from parley.web.tests.test_browser import ROOT
from parley.web.tests.test_browser_dms import Person, person, post
from parley.web.tests.test_browser_ui import DESKTOP, PHONE, api, make_room, open_room

browser = base.browser

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - playwright is a dev dependency
    expect = None  # type: ignore[assignment]

pytestmark = [pytest.mark.browser, pytest.mark.processes]

AWAY_AFTER = 15
SHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        base.unavailable("frontend/dist is not built (make frontend)")
    with private_database("sqlite") as db:
        env = base_env(db, WS_SEND_RATE="50", WS_SEND_BURST="200", AWAY_AFTER=str(AWAY_AFTER))
        migrate(env)
        server = ServerProcess(env).start()
        try:
            yield server
        finally:
            server.stop()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"status-{name}.png"))


@pytest.fixture
def pair(browser, server: ServerProcess) -> Iterator[tuple[Person, Person, dict]]:
    ann = person(browser, server, "ann", DESKTOP)
    bob = person(browser, server, "bob", PHONE)
    room = make_room(ann.page, ann.token, topic="Issue 30")
    api(bob.page, bob.token, "POST", f"rooms/{room['id']}/join")
    yield ann, bob, room
    for who in (ann, bob):
        assert who.page.errors == [], who.page.errors
        who.ctx.close()


def test_status_dnd_and_away_reach_the_other_person_live_and_seen_shows_in_a_dm(pair) -> None:
    ann, bob, room = pair
    dm = api(ann.page, ann.token, "POST", "dms", {"user_ids": [bob.id]})
    open_room(bob.page, dm["id"])
    open_room(ann.page, room["id"])
    ann.page.get_by_test_id("toggle-members").click()
    bob_row = ann.page.locator(f'[data-testid="member-item"][data-username="{bob.username}"]')
    expect(bob_row.get_by_test_id("presence-dot")).to_have_attribute("data-state", "online")

    # Bob picks "Commuting" on his phone: Ann's member list shows it at once.
    bob.page.get_by_test_id("status-button").click()
    expect(bob.page.get_by_test_id("status-preset")).to_have_count(3)
    shot(bob.page, "picker-phone")
    bob.page.locator('[data-testid="status-preset"][data-preset="commuting"]').click()
    expect(bob_row.get_by_test_id("status-text")).to_have_text("Commuting")
    expect(bob.page.get_by_test_id("status-button")).to_contain_text("🚆")
    dm_item = ann.page.locator(f'[data-testid="dm-item"][data-room-id="{dm["id"]}"]')
    expect(dm_item.get_by_test_id("status")).to_contain_text("🚆")
    shot(ann.page, "members-desktop")

    # Do not disturb for an hour: Ann sees the red dot.
    bob.page.get_by_test_id("status-button").click()
    bob.page.locator('[data-testid="dnd-option"][data-key="60"]').click()
    expect(bob.page.get_by_test_id("dnd-until")).to_be_visible()
    expect(bob_row.get_by_test_id("presence-dot")).to_have_attribute("data-state", "dnd")
    bob.page.get_by_test_id("dnd-off").click()
    # Picking in a dialog is no activity frame: by now he may have been idle long enough.
    not_dnd = re.compile("^(online|away)$")
    expect(bob_row.get_by_test_id("presence-dot")).to_have_attribute("data-state", not_dnd)
    bob.page.keyboard.press("Escape")

    # Ann writes in the DM; Bob has it open and reads it: "Seen" under her message.
    open_room(ann.page, dm["id"])
    ann.page.get_by_test_id("composer").fill("are you on the train?")
    ann.page.get_by_test_id("send-button").click()
    expect(bob.page.get_by_text("are you on the train?")).to_be_visible()
    expect(ann.page.get_by_test_id("seen")).to_be_visible()
    # Reading is activity: he is online.
    expect(ann.page.get_by_test_id("dm-peer-presence")).to_have_attribute("data-state", "online")
    shot(ann.page, "dm-seen-desktop")

    # Bob does nothing for AWAY_AFTER: away on Ann's screen; a message from him brings him back.
    expect(ann.page.get_by_test_id("dm-peer-presence")).to_have_attribute(
        "data-state", "away", timeout=(AWAY_AFTER + 10) * 1000
    )
    shot(ann.page, "away-desktop")
    bob.page.get_by_test_id("composer").fill("yes, nearly there")
    bob.page.get_by_test_id("send-button").click()
    expect(ann.page.get_by_test_id("dm-peer-presence")).to_have_attribute("data-state", "online")
    shot(bob.page, "dm-phone")

    # The "Seen" follows the newest of Ann's messages only once Bob reads that one too.
    post(ann, dm["id"], "see you soon")
    expect(bob.page.get_by_text("see you soon")).to_be_visible()
    expect(ann.page.get_by_test_id("seen")).to_have_count(1)
