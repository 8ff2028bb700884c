"""The web client for people arriving, coming back and handing over, in Chromium.

Someone who follows a room link and joins sees the history and their own
messages; a reader whose socket dropped is not left with an unread badge for
what the open room showed; an owner is offered what an owner can do (hand the
room over, switch it between public and private) instead of a Leave that fails.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from parley.testing.live import ServerProcess
from parley.testing.remote import RemoteUser
from parley.testing.waits import in_page, wait_until
from parley.web.tests import test_browser
from parley.web.tests.test_browser import join_room, new_page, register, send, sent, unique

pytestmark = [pytest.mark.browser, pytest.mark.processes]

# The browser suite's fixtures: one Chromium per module, the embedded live server.
browser = test_browser.browser
server = test_browser.server


def post_message(user: RemoteUser, room_id: int, body: str) -> None:
    r = user.http.post(f"rooms/{room_id}/messages", json={"body": body, "client_id": uuid.uuid4().hex})
    r.raise_for_status()


def room_item(page, room_id: int):  # type: ignore[no-untyped-def]
    return page.locator(f'[data-testid="room-item"][data-room-id="{room_id}"]')


def open_room(page, room_id: int) -> None:
    page.goto(f"/rooms/{room_id}")
    page.get_by_test_id("room-title").wait_for()


class HeldAnswers:
    """A route handler that fetches each answer at once and delivers it only on `release`:
    the answer is computed now and arrives when the test says (a slow server, far away)."""

    def __init__(self) -> None:
        self.held: list[tuple[Any, Any]] = []

    def __call__(self, route) -> None:  # type: ignore[no-untyped-def]
        self.held.append((route, route.fetch()))

    def release(self) -> None:
        while self.held:
            route, response = self.held.pop(0)
            route.fulfill(response=response)


class Requests:
    """The page's HTTP requests still waiting for their answer."""

    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        self.page, self.open = page, 0
        page.on("request", lambda _r: self._count(1))
        page.on("requestfinished", lambda _r: self._count(-1))
        page.on("requestfailed", lambda _r: self._count(-1))

    def _count(self, n: int) -> None:
        self.open += n

    def settled(self) -> None:
        """Until every request has its answer and two frames were drawn since: the page
        shows what it received. For asserting that something is *not* shown, where there
        is no element to wait for."""
        wait_until(lambda: self.open == 0, what="the page's requests to finish", pause=in_page(self.page))
        self.page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def joined_rooms(page) -> dict[int, dict]:  # type: ignore[type-arg]
    """The rooms as the page's session sees them over REST."""
    r = page.context.request.get("/api/v1/rooms?joined=true")
    assert r.ok, r.text()
    return {room["id"]: room for room in r.json()}


def test_a_member_of_nothing_joins_from_a_room_link(browser, server: ServerProcess) -> None:
    owner = RemoteUser.register(server.url)
    room = owner.create_room(unique("linked"))
    post_message(owner, room["id"], "said before you came")
    ctx, page = new_page(browser, server)
    try:
        register(page, unique("newcomer"))
        open_room(page, room["id"])
        page.get_by_test_id("join-room").click()
        page.get_by_test_id("composer").wait_for()
        sent(page, "said before you came").wait_for()
        send(page, "my first words here")
        sent(page, "my first words here").wait_for()
        assert page.errors == []
    finally:
        ctx.close()


def test_a_guest_joins_from_a_room_link(browser, server: ServerProcess) -> None:
    owner = RemoteUser.register(server.url)
    room = owner.create_room(unique("linked"))
    post_message(owner, room["id"], "welcome, guests")
    ctx, page = new_page(browser, server)
    try:
        page.goto(f"/rooms/{room['id']}")
        page.get_by_test_id("tab-guest").click()
        page.get_by_test_id("guest-nickname").fill("Passer-by")
        page.get_by_test_id("guest-submit").click()
        page.get_by_test_id("room-title").wait_for()
        page.get_by_test_id("join-room").click()
        page.get_by_test_id("composer").wait_for()
        sent(page, "welcome, guests").wait_for()
        send(page, "a guest says hi")
        sent(page, "a guest says hi").wait_for()
        assert page.errors == []
    finally:
        ctx.close()


def test_what_the_open_room_showed_after_a_reconnect_is_read(browser, server: ServerProcess) -> None:
    owner = RemoteUser.register(server.url)
    room = owner.create_room(unique("away"))
    for n in range(30):  # more than a screenful: the list scrolls
        post_message(owner, room["id"], f"earlier {n}")
    post_message(owner, room["id"], "before the drop")
    # page.route below holds the room list; a request the service worker answers (it keeps the
    # API's last answers for offline reading) never reaches page.route, so this page has none.
    ctx, page = new_page(browser, server, service_workers="block")
    try:
        requests = Requests(page)
        register(page, unique("reader"))
        join_room(page, room["name"])
        sent(page, "before the drop").wait_for()

        page.context.set_offline(True)
        page.get_by_test_id("offline-banner").wait_for()
        post_message(owner, room["id"], "while you were away 1")
        post_message(owner, room["id"], "while you were away 2")
        # The room list answers slower than the socket (a busy server, a long way away):
        # it is computed before the read marker moves and arrives after.
        slow = HeldAnswers()
        page.route("**/api/v1/rooms?joined=true", slow)
        page.context.set_offline(False)
        page.get_by_test_id("offline-banner").wait_for(state="hidden")
        sent(page, "while you were away 1").wait_for()
        sent(page, "while you were away 2").wait_for()
        wait_until(lambda: slow.held, what="the room list to be asked for", pause=in_page(page))
        with page.expect_response("**/api/v1/rooms?joined=true"):
            slow.release()  # the room list, computed before the messages were read, arrives
        page.unroute("**/api/v1/rooms?joined=true")
        slow.release()  # any asked for meanwhile
        requests.settled()
        assert room_item(page, room["id"]).get_by_test_id("unread-badge").count() == 0

        # The server's read marker follows what was on screen.
        wait_until(
            lambda: joined_rooms(page)[room["id"]]["unread_count"] == 0,
            timeout=5,
            what="the server's read marker",
            pause=in_page(page),
        )

        # Back to the lobby inside the app (its state, not a fresh load), then after a reload.
        page.get_by_role("link", name="← All rooms").click()
        page.get_by_test_id("lobby").wait_for()
        room_item(page, room["id"]).wait_for()
        requests.settled()
        assert room_item(page, room["id"]).get_by_test_id("unread-badge").count() == 0
        page.reload()
        room_item(page, room["id"]).wait_for()
        assert room_item(page, room["id"]).get_by_test_id("unread-badge").count() == 0
    finally:
        ctx.close()


def test_an_owner_hands_the_room_over_and_then_may_leave(browser, server: ServerProcess) -> None:
    ctx_a, alice = new_page(browser, server)
    ctx_b, bob = new_page(browser, server)
    try:
        register(alice, unique("owner"))
        bob_name = unique("heir")
        register(bob, bob_name)
        alice.get_by_test_id("create-room").click()
        alice.get_by_test_id("room-name").fill(unique("handover"))
        alice.get_by_test_id("create-room-submit").click()
        alice.get_by_test_id("composer").wait_for()
        room_id = int(alice.url.rstrip("/").rsplit("/", 1)[1])
        open_room(bob, room_id)
        bob.get_by_test_id("join-room").click()
        bob.get_by_test_id("composer").wait_for()

        # The owner is not offered a Leave that the server refuses.
        alice.get_by_test_id("room-settings").wait_for()
        assert alice.get_by_test_id("leave-room").count() == 0
        assert bob.get_by_test_id("room-settings").count() == 0

        alice.get_by_test_id("room-settings").click()
        alice.get_by_test_id("transfer-owner-select").select_option(label=bob_name)
        alice.get_by_test_id("confirm-transfer").check()
        alice.get_by_test_id("transfer-owner").click()

        # Bob owns it now (live, without a reload); Alice may leave.
        bob.get_by_test_id("room-settings").wait_for()
        alice.get_by_test_id("leave-room").wait_for()
        assert alice.get_by_test_id("room-settings").count() == 0
        alice.on("dialog", lambda d: d.accept())
        alice.get_by_test_id("leave-room").click()
        alice.get_by_test_id("lobby").wait_for()
        assert room_id not in joined_rooms(alice)
        assert bob.get_by_test_id("leave-room").count() == 0
        assert alice.errors == [] and bob.errors == []
    finally:
        ctx_a.close()
        ctx_b.close()


def test_switching_visibility_updates_other_lobbies_live(browser, server: ServerProcess) -> None:
    ctx_a, alice = new_page(browser, server)
    ctx_c, carol = new_page(browser, server)
    try:
        register(alice, unique("owner"))
        register(carol, unique("onlooker"))
        name = unique("shifting")
        alice.get_by_test_id("create-room").click()
        alice.get_by_test_id("room-name").fill(name)
        alice.get_by_test_id("create-room-submit").click()
        alice.get_by_test_id("composer").wait_for()
        room_id = int(alice.url.rstrip("/").rsplit("/", 1)[1])
        carol.goto("/")
        room_item(carol, room_id).wait_for()

        alice.get_by_test_id("room-settings").click()
        alice.get_by_test_id("settings-private").check()
        alice.get_by_test_id("settings-save").click()
        alice.get_by_test_id("room-title").get_by_text("🔒").wait_for()
        room_item(carol, room_id).wait_for(state="detached")

        alice.get_by_test_id("room-settings").click()
        alice.get_by_test_id("settings-public").check()
        alice.get_by_test_id("settings-save").click()
        room_item(carol, room_id).wait_for()
        assert alice.errors == [] and carol.errors == []
    finally:
        ctx_a.close()
        ctx_c.close()
