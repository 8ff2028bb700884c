"""Web Push end to end in Chromium (issue 30): the installed app's service worker receives a
push the server sent, shows the notification, and a click on it opens the message.

Chromium's `pushManager.subscribe` needs Google's push service (FCM), which a test cannot
reach, so the test plays the browser's part of subscribing: it makes the device's keys (a
P-256 pair and an auth secret, as the browser would) and POSTs the subscription from the
signed-in page, with an endpoint on a LOCAL PUSH SERVICE the test runs
(parley.testing.push). The server pushes there; the service checks the VAPID JWT and
decrypts the payload with the device's keys, as a real push service and the browser
together would, and the test hands the decrypted payload to the service worker through the
DevTools protocol (`ServiceWorker.deliverPushMessage`), the step FCM would take.

Bob has no socket open while pushes are expected (his page is away from the app): a DM and
a mention from Ann are pushed and shown; a plain room message and a DM during his
do-not-disturb are not. Then he opens the app and the notification's click (the worker's
`notificationclick`, dispatched inside the worker) takes his page to the message. Last, he
hides message text on the account page: the next push says only "New message".
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from parley.testing.live import ROOT, ServerProcess, base_env, migrate, private_database
from parley.testing.push import LocalPushService, Received
from parley.testing.waits import in_page, wait_until
from parley.web.tests import test_browser as base
from parley.web.tests.test_browser_pwa import installable_context
from parley.web.tests.test_browser_ui import api, make_room, sign_up

browser = base.browser

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - playwright is a dev dependency
    expect = None  # type: ignore[assignment]

pytestmark = [pytest.mark.browser, pytest.mark.processes]

# How long a push that should not come is waited for (the server sends from a thread).
QUIET = 2.0


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    if not (ROOT / "frontend" / "dist" / "sw.js").exists():
        base.unavailable("frontend/dist is not built with its service worker (make frontend)")
    with private_database("sqlite") as db:
        # A short coalescing window: the test pushes twice to one room within a minute.
        env = base_env(
            db, WS_SEND_RATE="50", WS_SEND_BURST="200", PUSH_ALLOW_PRIVATE="true", PUSH_COALESCE_SECONDS="1"
        )
        migrate(env)
        server = ServerProcess(env).start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def push_service() -> Iterator[LocalPushService]:
    with LocalPushService() as service:
        yield service


@pytest.fixture
def bob_app(browser, server: ServerProcess, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Bob in a persistent Chromium profile (installable, unlike an incognito one) that allows
    notifications, signed in, the service worker installed and in control of the app."""
    ctx, page = installable_context(browser, server, tmp_path / "profile")
    try:
        yield ctx, page
        assert page.errors == [], page.errors
    finally:
        ctx.close()


def in_worker(ctx, js: str, arg: Any = None) -> Any:  # type: ignore[no-untyped-def]
    """Evaluate `js` (a function's source, called with `arg`) inside the app's service worker."""
    wait_until(
        lambda: ctx.service_workers,
        timeout=base.TIMEOUT / 1000,
        what="the service worker",
        pause=in_page(ctx.pages[0]),
    )
    return ctx.service_workers[0].evaluate(js, arg)


def notifications(ctx) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return in_worker(  # type: ignore[no-any-return]
        ctx,
        "() => self.registration.getNotifications()"
        ".then(ns => ns.map(n => ({title: n.title, body: n.body, tag: n.tag, data: n.data})))",
    )


def member_state(page, token: str, room_id: int, user_id: int) -> str:  # type: ignore[no-untyped-def]
    members = api(page, token, "GET", f"rooms/{room_id}/members")["members"]
    return next(str(m["state"]) for m in members if m["user"]["id"] == user_id)


def test_a_dm_and_a_mention_are_pushed_shown_and_opened_plain_and_dnd_are_not(  # type: ignore[no-untyped-def]
    bob_app, browser, server: ServerProcess, push_service: LocalPushService
) -> None:
    ctx, page = bob_app
    bob_token = sign_up(page, base.unique("bob"))
    bob = api(page, bob_token, "GET", "me")["user"]
    page.goto("/")
    page.get_by_test_id("lobby").wait_for()
    # Installed: the worker at the root controls the app, and Chromium's install criteria hold.
    wait_until(
        lambda: page.evaluate("navigator.serviceWorker.controller !== null"),
        timeout=base.TIMEOUT / 1000,
        what="the service worker in control",
    )
    cdp = ctx.new_cdp_session(page)
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []

    # Subscribe this browser, as pushManager.subscribe + the account page would, with an
    # endpoint on the local push service (the browser's fetch: its User-Agent names it).
    push_service.server_key = page.evaluate("fetch('/api/v1/push/key').then(r => r.json())")["public_key"]
    device = push_service.device()
    created = page.evaluate(
        """async (sub) => {
            const cookie = document.cookie.split('; ').find((c) => c.startsWith('csrftoken='))
            const r = await fetch('/api/v1/push/subscriptions', {
                method: 'POST',
                credentials: 'same-origin',
                headers: {'Content-Type': 'application/json', 'X-CSRFToken': cookie?.split('=')[1] ?? ''},
                body: JSON.stringify(sub),
            })
            return {status: r.status, body: await r.json()}
        }""",
        device.subscription(),
    )
    assert created["status"] == 201, created
    assert created["body"]["label"] == "Chrome on Linux"
    page.goto("/account")
    listed = page.get_by_test_id("push-device")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("Chrome on Linux")

    # Ann, in a browser of her own, shares a room and a DM with Bob.
    ann_ctx, ann = base.new_page(browser, server)
    try:
        ann_token = sign_up(ann, base.unique("ann"))
        room = make_room(ann, ann_token)
        api(page, bob_token, "POST", f"rooms/{room['id']}/join")
        dm = api(ann, ann_token, "POST", "dms", {"user_ids": [bob["id"]]})

        registration = registration_id(cdp, page, server.url)  # read while the page is the app's
        # Every socket of Bob's closed: his page leaves the app. The server sees him offline.
        page.goto("about:blank")
        wait_until(
            lambda: member_state(ann, ann_token, room["id"], bob["id"]) == "offline",
            timeout=base.TIMEOUT / 1000,
            what="Bob offline",
        )

        def pushed(body: str, count: int) -> Received:
            """Ann's message arrives at the push service; hand it to Bob's worker as FCM would."""
            received = push_service.wait(count, device, timeout=base.TIMEOUT / 1000)[-1]
            assert received.problems == [], received.problems
            assert received.payload is not None and received.payload["body"] == body, received.payload
            deliver(received)
            return received

        def deliver(received: Received) -> None:
            cdp.send(
                "ServiceWorker.deliverPushMessage",
                {"origin": server.url, "registrationId": registration, "data": json.dumps(received.payload)},
            )

        def shown(count: int, received: Received, what: str) -> None:
            """Wait for `count` notifications. Under load, Chromium has dropped a push handed to
            a worker it was still starting (CI saw it once): hand it over again, as a push
            service does until the browser takes it. A tag replaces, so a second copy adds none."""
            for attempt in range(3):
                try:
                    wait_until(
                        lambda: len(notifications(ctx)) == count, timeout=5, what=what, pause=in_page(page)
                    )
                    return
                except AssertionError:
                    if attempt == 2:
                        raise
                    deliver(received)

        def nothing_more(count: int) -> None:
            time.sleep(QUIET)
            assert len(push_service.pushes(device)) == count, [p.payload for p in push_service.pushes()]

        # A DM: pushed, decrypted, shown.
        sent_dm = api(ann, ann_token, "POST", f"rooms/{dm['id']}/messages", {"body": "Lunch at noon?"})
        dm_push = pushed("Lunch at noon?", 1)
        assert dm_push.payload is not None
        assert dm_push.payload["url"] == f"/rooms/{dm['id']}?msg={sent_dm['id']}&seq={sent_dm['seq']}"
        shown(1, dm_push, "the DM's notification")
        (first,) = notifications(ctx)
        assert (first["title"], first["body"], first["tag"]) == (
            ann_name(ann, ann_token),
            "Lunch at noon?",
            f"room-{dm['id']}",
        )

        # A plain message in the room: no push.
        api(ann, ann_token, "POST", f"rooms/{room['id']}/messages", {"body": "just chatting"})
        nothing_more(1)

        # A mention in the room: pushed and shown beside the DM's.
        api(ann, ann_token, "POST", f"rooms/{room['id']}/messages", {"body": f"@{bob['username']} look"})
        mention = pushed(f"@{bob['username']} look", 2)
        shown(2, mention, "two notifications")
        assert {n["tag"] for n in notifications(ctx)} == {f"room-{dm['id']}", f"room-{room['id']}"}

        # Do not disturb for an hour (set over REST: no socket): neither a DM nor a mention.
        in_an_hour = ann.evaluate("new Date(Date.now() + 3600e3).toISOString()")
        api(page, bob_token, "PATCH", "me", {"dnd_until": in_an_hour})
        api(ann, ann_token, "POST", f"rooms/{dm['id']}/messages", {"body": "are you there?"})
        api(ann, ann_token, "POST", f"rooms/{room['id']}/messages", {"body": f"@{bob['username']} urgent?"})
        nothing_more(2)
        api(page, bob_token, "PATCH", "me", {"dnd_until": None})

        # Bob opens the app again and clicks the DM's notification: it opens the message.
        page.goto("/")
        page.get_by_test_id("lobby").wait_for()
        clicked = in_worker(
            ctx,
            """(tag) => self.registration.getNotifications({tag}).then((ns) => {
                self.dispatchEvent(new NotificationEvent('notificationclick', {notification: ns[0]}))
                return ns.length
            })""",
            f"room-{dm['id']}",
        )
        assert clicked == 1
        expect(page).to_have_url(server.url + dm_push.payload["url"])
        expect(base.sent(page, "Lunch at noon?")).to_be_visible()
        # The click closed it; the mention's stays.
        wait_until(
            lambda: len(notifications(ctx)) == 1,
            timeout=base.TIMEOUT / 1000,
            what="the click closed it",
            pause=in_page(page),
        )

        # On the account page Bob hides message text; away from the app again, the next DM's
        # push says neither who nor what, and its notification replaces the room's.
        page.goto("/account")
        hide = page.get_by_test_id("push-hide-text")
        hide.check()
        expect(hide).to_be_checked()
        expect(hide).to_be_enabled()
        assert api(page, bob_token, "GET", "me")["user"]["push_hide_text"] is True
        page.goto("about:blank")
        wait_until(
            lambda: member_state(ann, ann_token, room["id"], bob["id"]) == "offline",
            timeout=base.TIMEOUT / 1000,
            what="Bob offline again",
        )
        api(ann, ann_token, "POST", f"rooms/{dm['id']}/messages", {"body": "the secret plan"})
        hidden = pushed("New message", 3)
        assert hidden.payload is not None
        assert (hidden.payload["title"], hidden.payload["hidden"]) == ("Parley", True)
        assert "secret" not in json.dumps(hidden.payload)

        def dm_note() -> dict[str, Any] | None:
            return next((n for n in notifications(ctx) if n["tag"] == f"room-{dm['id']}"), None)

        wait_until(
            lambda: (dm_note() or {}).get("title") == "Parley",
            timeout=base.TIMEOUT / 1000,
            what="the hidden notification",
            pause=in_page(page),
        )
        assert dm_note()["body"] == "New message"  # type: ignore[index]
    finally:
        ann_ctx.close()


def ann_name(page, token: str) -> str:  # type: ignore[no-untyped-def]
    me = api(page, token, "GET", "me")["user"]
    return str(me.get("display_name") or me["username"])


def registration_id(cdp, page, origin: str) -> str:  # type: ignore[no-untyped-def]
    """The worker's registration id, from the DevTools ServiceWorker domain."""
    found: list[str] = []

    def on_update(event: dict[str, Any]) -> None:
        for reg in event.get("registrations", []):
            if reg.get("scopeURL") == origin + "/" and not reg.get("isDeleted"):
                found.append(str(reg["registrationId"]))

    cdp.on("ServiceWorker.workerRegistrationUpdated", on_update)
    cdp.send("ServiceWorker.enable")
    wait_until(
        lambda: found, timeout=base.TIMEOUT / 1000, what="the worker's registration", pause=in_page(page)
    )
    return found[0]
