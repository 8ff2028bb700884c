"""Threads in the web client (issue 29), in a real browser against a real server.

Ann on a desktop (1280 x 800) and Bob on a phone (390 x 844) hold a thread while Cat talks
in the room: the replies arrive live in the thread's panel (beside the room on the desktop,
the whole screen on the phone) and never in the room's flow; the root's summary and the
"Threads" badge follow live; Bob drops offline in the middle (replies are written on both
sides meanwhile) and comes back with nothing lost and nothing twice. A reply also sent to
the room shows there with its "replied to a thread" line, which opens the thread; a search
hit in a thread says so and opens the thread at that reply. A long thread opens at its newest
page with one request and pages back (a button, a link to its first reply).
Screenshots: docs/screenshots/threads-*.png.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from parley.testing.live import ROOT, ServerProcess
from parley.web.tests import test_browser as base
from parley.web.tests.test_browser import new_page, unique
from parley.web.tests.test_browser_ui import DESKTOP, PHONE, api, make_room, sign_up

browser = base.browser
server = base.server

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - playwright is a dev dependency
    expect = None  # type: ignore[assignment]

pytestmark = [pytest.mark.browser, pytest.mark.processes]

SHOTS = ROOT / "docs" / "screenshots"


class Person:
    def __init__(self, ctx, page, token: str, username: str) -> None:
        self.ctx = ctx
        self.page = page
        self.token = token
        self.username = username


def person(browser, server: ServerProcess, prefix: str, size: dict[str, Any]) -> Person:
    ctx, page = new_page(browser, server, **size)
    name = unique(prefix)
    return Person(ctx, page, sign_up(page, name), name)


def post(who: Person, room_id: int, body: str, **extra: Any) -> dict:
    data = {"body": body, "client_id": uuid.uuid4().hex, **extra}
    return api(who.page, who.token, "POST", f"rooms/{room_id}/messages", data)


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"threads-{name}.png"))


def room_flow(page):
    return page.get_by_test_id("message-list")


def panel(page):
    return page.get_by_test_id("thread-panel")


def in_list(scope, body: str):
    """The sent message(s) with this text in a list (the room's flow or the thread's panel)."""
    return scope.locator('[data-testid="message"][data-state="sent"]').filter(
        has=scope.page.get_by_text(body, exact=True)
    )


def write(scope, testid: str, body: str) -> None:
    box = scope.get_by_test_id(testid)
    box.fill(body)
    box.press("Enter")


def write_on_phone(scope, body: str) -> None:
    scope.get_by_test_id("thread-composer").fill(body)
    scope.get_by_test_id("send-button").tap()


@pytest.fixture
def trio(browser, server: ServerProcess) -> Iterator[tuple[Person, Person, Person, dict]]:
    ann = person(browser, server, "ann", DESKTOP)
    bob = person(browser, server, "bob", PHONE)
    cat = person(browser, server, "cat", DESKTOP)
    room = make_room(ann.page, ann.token, topic="Issue 29")
    for who in (bob, cat):
        api(who.page, who.token, "POST", f"rooms/{room['id']}/join")
    yield ann, bob, cat, room
    for who in (ann, bob, cat):
        assert who.page.errors == [], who.page.errors
        who.ctx.close()


def test_two_people_hold_a_thread_while_a_third_talks_in_the_room(trio) -> None:
    ann, bob, cat, room = trio
    rid = room["id"]
    a, b = ann.page, bob.page

    a.goto(f"/rooms/{rid}")
    write(a, "composer", "Where do we meet on Friday?")
    root = in_list(room_flow(a), "Where do we meet on Friday?")
    root.wait_for()
    root_id = int(root.get_attribute("data-id") or 0)
    assert root_id > 0
    post(cat, rid, "Cat here, talking about lunch")

    # Ann (desktop): "Reply in thread" from the message's toolbar opens the panel beside the room.
    root.hover()
    root.get_by_test_id("action-thread").click()
    expect(panel(a)).to_be_visible()
    expect(a).to_have_url(f"{a.url.split('?')[0]}?thread={root_id}")
    expect(room_flow(a)).to_be_visible()  # the room stays beside it
    write(panel(a), "thread-composer", "The café by the station?")
    in_list(panel(a), "The café by the station?").wait_for()

    # The root's summary in the room follows live; the reply is not in the room's flow.
    summary = root.get_by_test_id("thread-summary")
    expect(summary.get_by_test_id("thread-count")).to_have_text("1 reply")
    expect(in_list(room_flow(a), "The café by the station?")).to_have_count(0)

    # Bob (phone): the room shows the root with its summary; a tap opens the thread full screen.
    b.goto(f"/rooms/{rid}")
    broot = in_list(room_flow(b), "Where do we meet on Friday?")
    expect(broot.get_by_test_id("thread-count")).to_have_text("1 reply")
    expect(in_list(room_flow(b), "The café by the station?")).to_have_count(0)
    broot.get_by_test_id("thread-summary").tap()
    expect(panel(b)).to_be_visible()
    box = panel(b).bounding_box()
    assert box is not None and box["width"] == 390 and box["x"] == 0, box
    in_list(panel(b), "The café by the station?").wait_for()
    write_on_phone(panel(b), "Fine by me, at noon")

    # Live both ways, never in the room's flow, while Cat keeps talking in the room.
    in_list(panel(a), "Fine by me, at noon").wait_for()
    post(cat, rid, "Cat again, still about lunch")
    in_list(room_flow(a), "Cat again, still about lunch").wait_for()
    expect(in_list(panel(a), "Cat again, still about lunch")).to_have_count(0)
    expect(summary.get_by_test_id("thread-count")).to_have_text("2 replies")
    expect(summary.locator(".thread-people > *")).to_have_count(2)
    for page in (a, b):
        expect(in_list(room_flow(page), "Fine by me, at noon")).to_have_count(0)
    # Typing in the thread shows in the thread, not under the room (the server passes one
    # typing per person and thread every 2 s: Bob's send just now had one).
    b.wait_for_timeout(2100)
    panel(b).get_by_test_id("thread-composer").fill("typing…")
    expect(panel(a).get_by_test_id("thread-typing")).to_contain_text(bob.username)
    expect(a.get_by_test_id("typing-indicator")).to_have_text("")
    panel(b).get_by_test_id("thread-composer").fill("")
    shot(a, "desktop-1280")
    shot(b, "phone-390")

    # A reconnect in the middle: Bob goes offline, both sides write, Bob comes back.
    bob.ctx.set_offline(True)
    b.get_by_test_id("offline-banner").wait_for()
    write_on_phone(panel(b), "Written in the tunnel")
    in_list(panel(a), "The café by the station?").wait_for()
    write(panel(a), "thread-composer", "Sent while Bob was away 1")
    write(panel(a), "thread-composer", "Sent while Bob was away 2")
    post(cat, rid, "Cat while Bob was away")
    in_list(panel(a), "Sent while Bob was away 2").wait_for()
    bob.ctx.set_offline(False)
    b.get_by_test_id("offline-banner").wait_for(state="hidden")
    for body in ("Sent while Bob was away 1", "Sent while Bob was away 2", "Written in the tunnel"):
        in_list(panel(b), body).wait_for()
        expect(in_list(panel(b), body)).to_have_count(1)
    in_list(panel(a), "Written in the tunnel").wait_for()
    expect(in_list(panel(a), "Written in the tunnel")).to_have_count(1)
    rows = panel(b).locator('[data-testid="message"]')
    seqs = [int(s) for s in rows.evaluate_all("els => els.map(e => e.dataset.seq)")]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs)), seqs
    expect(summary.get_by_test_id("thread-count")).to_have_text("5 replies")
    for page in (a, b):
        for body in ("Sent while Bob was away 1", "Written in the tunnel"):
            expect(in_list(room_flow(page), body)).to_have_count(0)
    in_list(room_flow(b), "Cat while Bob was away").wait_for()

    # The Threads badge: Ann closes the thread (a draft in it is kept); Bob's next reply counts
    # for her, live.
    panel(a).get_by_test_id("thread-composer").fill("half a thought")
    panel(a).get_by_test_id("thread-close").click()
    expect(panel(a)).to_have_count(0)
    badge = a.get_by_test_id("threads-link").get_by_test_id("threads-badge")
    expect(badge).to_have_count(0)
    write_on_phone(panel(b), "See you there")
    expect(badge).to_have_text("1")
    write_on_phone(panel(b), "Bring the map")
    expect(badge).to_have_text("2")
    # The list of followed threads, newest activity first; opening the thread reads it.
    a.get_by_test_id("threads-link").click()
    item = a.get_by_test_id("thread-item").first
    expect(item).to_have_attribute("data-root-id", str(root_id))
    expect(item.get_by_test_id("thread-unread")).to_have_text("2")
    shot(a, "list-1280")
    item.get_by_test_id("thread-open").click()
    in_list(panel(a), "Bring the map").wait_for()
    expect(a.get_by_test_id("threads-link").get_by_test_id("threads-badge")).to_have_count(0)
    # Where Ann stopped reading: the line sits right above Bob's first unread reply.
    divider = panel(a).get_by_test_id("unread-divider")
    expect(divider).to_have_text("New replies")
    after = divider.locator('xpath=following-sibling::li[@data-testid="message"][1]')
    expect(after.get_by_test_id("message-body")).to_have_text("See you there")
    expect(panel(a).get_by_test_id("thread-composer")).to_have_value("half a thought")

    # "Also send to room": the reply shows in the room too, with a line back to its thread.
    panel(a).get_by_test_id("also-to-room-box").check()
    write(panel(a), "thread-composer", "Decided: the café at noon")
    flow_copy = in_list(room_flow(a), "Decided: the café at noon")
    flow_copy.wait_for()
    in_list(panel(a), "Decided: the café at noon").wait_for()
    in_list(room_flow(b), "Decided: the café at noon").wait_for()
    panel(b).get_by_test_id("thread-back").tap()
    expect(panel(b)).to_have_count(0)
    line = in_list(room_flow(b), "Decided: the café at noon").get_by_test_id("thread-link")
    expect(line).to_have_text("↳ replied to a thread")
    line.tap()
    in_list(panel(b), "Decided: the café at noon").wait_for()
    shot(a, "also-to-room-1280")


def test_a_search_hit_in_a_thread_opens_the_thread_at_that_reply(trio) -> None:
    ann, bob, _cat, room = trio
    rid = room["id"]
    root = post(ann, rid, "A root with many replies")
    for i in range(1, 8):
        post(bob, rid, f"filler reply {i}", thread=root["id"])
    target = post(bob, rid, "the needle reply", thread=root["id"])
    for i in range(8, 12):
        post(bob, rid, f"filler reply {i}", thread=root["id"])
    a = ann.page
    a.goto("/search?q=needle")
    hit = a.get_by_test_id("search-result").first
    expect(hit.get_by_test_id("search-in-thread")).to_have_text("in a thread")
    hit.get_by_test_id("search-open").click()
    reply = in_list(panel(a), "the needle reply")
    reply.wait_for()
    expect(reply).to_have_attribute("data-seq", str(target["seq"]))
    expect(reply).to_be_in_viewport()
    expect(in_list(room_flow(a), "the needle reply")).to_have_count(0)


def test_a_long_thread_opens_at_its_newest_reply_and_pages_back(trio) -> None:
    """230 replies: opening asks for the newest page once (no walk from the first reply);
    "Load older replies" draws the held ones, then asks for the page before the oldest held;
    a link to the first reply pages back until it is there. Cat follows none of it (no "New
    replies" line to page back to)."""
    ann, bob, cat, room = trio
    rid = room["id"]
    root = post(ann, rid, "A very long thread")
    sent = [post(bob, rid, f"long reply {i}", thread=root["id"]) for i in range(1, 231)]
    a = cat.page
    asked: list[str] = []
    a.on("request", lambda r: asked.append(r.url) if f"/messages/{root['id']}/thread?" in r.url else None)

    a.goto(f"/rooms/{rid}?thread={root['id']}")
    in_list(panel(a), "long reply 230").wait_for()
    expect(in_list(panel(a), "long reply 181")).to_have_count(1)  # the newest 50 drawn
    expect(in_list(panel(a), "long reply 180")).to_have_count(0)
    assert len(asked) == 1 and "before_seq=9007199254740991" in asked[0], asked

    def befores() -> list[str]:
        return [u.split("before_seq=")[1].split("&")[0] for u in asked]

    older = panel(a).get_by_test_id("thread-load-older")
    older.click()  # first the rest of the page held
    in_list(panel(a), "long reply 131").wait_for()
    if in_list(panel(a), "long reply 81").count() == 0:
        older.click()  # then the page before the oldest held (scrolling to the top may ask first)
    in_list(panel(a), "long reply 81").wait_for()
    assert befores()[:2] == ["9007199254740991", str(sent[130]["seq"])], asked
    assert len(set(befores())) == len(asked), asked  # each page asked once
    expect(in_list(panel(a), "long reply 230")).to_have_count(1)

    asked.clear()
    a.goto(f"/rooms/{rid}?thread={root['id']}&at={sent[0]['seq']}")
    first = in_list(panel(a), "long reply 1")
    first.wait_for()
    expect(first).to_be_in_viewport()
    assert befores() == [
        "9007199254740991",
        str(sent[130]["seq"]),
        str(sent[30]["seq"]),
    ], asked
