"""Scheduled messages in the web client (issue 30): Alice writes a message, picks "Send
later" in the composer's menu and a time a minute ahead, finds it pending under
"Scheduled", and Bob, on a phone in dark mode, sees it arrive from her at that time;
the list then says it was sent.

The server runs the embedded default with its jobs on (the in-process beat, every second).
Screenshots: docs/screenshots/scheduled-*.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from parley.testing.live import ROOT, ServerProcess, base_env, migrate, private_database, unavailable
from parley.web.tests import test_browser as base
from parley.web.tests.test_browser import new_page, sent, unique
from parley.web.tests.test_browser_ui import DESKTOP, PHONE, api, make_room, open_room, sign_up

browser = base.browser
DOC_SHOTS = ROOT / "docs" / "screenshots"

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - playwright is a dev dependency
    expect = None  # type: ignore[assignment]

pytestmark = [pytest.mark.browser, pytest.mark.processes]


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        unavailable("frontend/dist is not built (make frontend)")
    with private_database("sqlite") as db:
        env = base_env(db, PARLEY_JOBS="1", SCHEDULED_INTERVAL="1", WS_SEND_RATE="50", WS_SEND_BURST="200")
        migrate(env)
        server = ServerProcess(env).start()
        try:
            yield server
        finally:
            server.stop()


def shot(page, name: str) -> None:
    DOC_SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOC_SHOTS / f"scheduled-{name}.png"))


def _next_minute() -> datetime:
    """The next whole minute at least 20 s away (the picker takes minutes; the test waits)."""
    at = (datetime.now(UTC) + timedelta(minutes=1)).replace(second=0, microsecond=0)
    return at if (at - datetime.now(UTC)).total_seconds() >= 20 else at + timedelta(minutes=1)


def test_send_later_from_the_composer_shows_in_the_list_and_arrives_on_time(browser, server) -> None:
    ctx_a, alice = new_page(browser, server, **DESKTOP)
    ctx_b, bob = new_page(browser, server, color_scheme="dark", **PHONE)
    a_token = sign_up(alice, unique("alice"))
    b_token = sign_up(bob, unique("bob"))
    room = make_room(alice, a_token, topic="Mornings")
    api(bob, b_token, "POST", f"rooms/{room['id']}/join")
    open_room(alice, room["id"])
    open_room(bob, room["id"])

    body = "Stand-up starts now: join the call"
    composer = alice.get_by_test_id("composer")
    composer.fill(body)
    alice.get_by_test_id("composer-menu").click()
    alice.get_by_test_id("send-later").click()
    form = alice.get_by_test_id("send-later-form")
    expect(form).to_be_visible()
    expect(form.get_by_text(body)).to_be_visible()
    expect(alice.get_by_test_id("later-when")).to_contain_text("Goes out")
    alice.get_by_test_id("later-custom").check()
    when = _next_minute()
    alice.get_by_test_id("later-datetime").fill(when.strftime("%Y-%m-%dT%H:%M"))  # the profile's zone: UTC
    expect(alice.get_by_test_id("later-when")).to_contain_text(f"{when.hour % 12 or 12}:{when:%M}")
    shot(alice, "send-later-dialog")
    alice.get_by_test_id("later-schedule").click()
    expect(form).to_have_count(0)
    expect(composer).to_have_value("")
    expect(alice.get_by_text("Scheduled for")).to_be_visible()
    expect(sent(alice, body)).to_have_count(0)  # not posted yet

    alice.get_by_test_id("scheduled-link").click()
    item = alice.get_by_test_id("scheduled-item").filter(has_text=body)
    expect(item).to_have_count(1)
    expect(item).to_have_attribute("data-state", "pending")
    expect(item.get_by_test_id("scheduled-state")).to_have_text("Pending")
    expect(item.get_by_text(f"#{room['name']}")).to_be_visible()
    expect(item.get_by_test_id("scheduled-cancel")).to_be_visible()
    shot(alice, "list")

    # At its time it arrives from Alice for Bob, once.
    arrived = sent(bob, body)
    expect(arrived).to_have_count(0)
    wait = (when - datetime.now(UTC)).total_seconds() + 30
    expect(arrived).to_have_count(1, timeout=wait * 1000)
    assert datetime.now(UTC) >= when
    expect(arrived.get_by_test_id("message-author")).to_contain_text("alice")
    expect(arrived.get_by_test_id("message-scheduled-for")).to_have_count(0)  # on time: nothing to say
    shot(bob, "arrived-phone-dark")

    alice.reload()
    expect(item).to_have_attribute("data-state", "sent")
    expect(item.get_by_test_id("scheduled-cancel")).to_have_count(0)
    alice.wait_for_timeout(2500)  # a few more runs of the job: still once
    open_room(bob, room["id"])
    expect(sent(bob, body)).to_have_count(1)
    for page in (alice, bob):
        assert page.errors == [], page.errors
    ctx_a.close()
    ctx_b.close()
