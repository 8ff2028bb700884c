"""Web Push delivery (issue 30), end to end on the server side: messages sent over REST, the
push job run after the commit, and a LOCAL PUSH SERVICE (parley.testing.push) that checks each
request's VAPID JWT and decrypts its aes128gcm payload with the device's own keys, as a browser
would. Who gets a push (DMs, mentions, followed threads; not plain room messages; not during
do-not-disturb; not while looking at an open socket), coalescing, hidden text, and what the
push service's answers do (404/410 remove the device, 429/5xx are retried)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache
from django.utils import timezone

from parley.accounts.models import User
from parley.notify.models import PushSubscription
from parley.testing.api import client_for, make_user, token_for
from parley.testing.push import Device, LocalPushService
from parley.testing.ws import WsClient

pytestmark = pytest.mark.django_db(transaction=True)
db = database_sync_to_async


@pytest.fixture(autouse=True)
def _push_settings(settings: Any) -> Iterator[None]:
    settings.PUSH_ALLOW_PRIVATE = True
    settings.PUSH_BACKOFF = 0.01
    settings.PUSH_RETRIES = 2
    settings.PUSH_COALESCE_SECONDS = 60
    cache.clear()  # the coalescing windows of earlier tests
    yield
    cache.clear()


@pytest.fixture
def service() -> Iterator[LocalPushService]:
    with LocalPushService() as svc:
        yield svc


def subscribe(service: LocalPushService, user: User) -> Device:
    client = client_for(user)
    service.server_key = client.get("/api/v1/push/key").json()["public_key"]
    device = service.device()
    r = client.post("/api/v1/push/subscriptions", device.subscription(), format="json")
    assert r.status_code == 201, r.json()
    return device


def send(user: User, room_id: int, body: str, **extra: Any) -> dict[str, Any]:
    r = client_for(user).post(f"/api/v1/rooms/{room_id}/messages", {"body": body, **extra}, format="json")
    assert r.status_code == 201, r.json()
    return r.json()  # type: ignore[no-any-return]


def patch_me(user: User, body: dict[str, Any]) -> Any:
    return client_for(user).patch("/api/v1/me", body, format="json")


def dm(a: User, b: User) -> int:
    r = client_for(a).post("/api/v1/dms", {"user_ids": [b.pk]}, format="json")
    assert r.status_code in (200, 201), r.json()
    return int(r.json()["id"])


def room_with(owner: User, *members: User, name: str = "team") -> int:
    r = client_for(owner).post("/api/v1/rooms", {"name": name, "visibility": "public"}, format="json")
    assert r.status_code == 201, r.json()
    rid = int(r.json()["id"])
    for m in members:
        assert client_for(m).post(f"/api/v1/rooms/{rid}/join").status_code == 200
    return rid


def clean(service: LocalPushService) -> list[dict[str, Any]]:
    """The payloads received; every request passed the push service's checks."""
    for r in service.pushes():
        assert r.problems == [], r.problems
    return [r.payload for r in service.pushes() if r.payload is not None]


def quiet(service: LocalPushService, count: int = 0) -> None:
    """No push beyond `count` arrives (the job runs in the send's thread: nothing is late)."""
    time.sleep(0.2)
    assert len(service.pushes()) == count, [r.payload for r in service.pushes()]


def test_a_dm_is_pushed_encrypted_and_signed_to_every_device(service: LocalPushService) -> None:
    ann, bob = make_user("dm-ann"), make_user("dm-bob")
    phone, laptop = subscribe(service, bob), subscribe(service, bob)
    subscribe(service, ann)  # the sender's own device gets nothing
    rid = dm(ann, bob)
    sent = send(ann, rid, "Lunch at **noon**?")
    service.wait(2)
    payloads = clean(service)
    assert {r.device for r in service.pushes()} == {phone.token, laptop.token}
    first = payloads[0]
    assert first == {
        "v": 1,
        "title": "dm-ann",
        "body": "Lunch at noon?",
        "url": f"/rooms/{rid}?msg={sent['id']}&seq={sent['seq']}",
        "tag": f"room-{rid}",
        "room": rid,
        "message_id": sent["id"],
        "seq": sent["seq"],
        "thread": None,
        "count": 1,
        "hidden": False,
        "kind": "direct",
        "urgency": "high",
    }
    headers = service.pushes()[0].headers
    assert headers["urgency"] == "high" and headers["topic"] == f"room-{rid}" and int(headers["ttl"]) > 0
    quiet(service, 2)
    devices = client_for(bob).get("/api/v1/push/subscriptions").json()
    assert all(d["last_used_at"] is not None for d in devices)


def test_a_mention_is_pushed_a_plain_room_message_is_not(service: LocalPushService) -> None:
    ann, bob, cat = make_user("mn-ann"), make_user("mn-bob"), make_user("mn-cat")
    bob_device, cat_device = subscribe(service, bob), subscribe(service, cat)
    rid = room_with(ann, bob, cat)
    send(ann, rid, "just chatting")  # rooms start at "mentions": nobody
    quiet(service)
    sent = send(ann, rid, "@mn-bob can you look?")
    (push,) = service.wait(1, bob_device)
    assert push.payload is not None
    assert (push.payload["title"], push.payload["body"]) == ("mn-ann in #team", "@mn-bob can you look?")
    assert push.payload["message_id"] == sent["id"] and push.payload["kind"] == "room"
    quiet(service, 1)
    assert service.pushes(cat_device) == []
    clean(service)


def test_the_room_level_decides_all_and_nothing(service: LocalPushService) -> None:
    ann, bob = make_user("lv-ann"), make_user("lv-bob")
    device = subscribe(service, bob)
    rid = room_with(ann, bob)
    r = client_for(bob).patch(f"/api/v1/rooms/{rid}/membership", {"notify": "all"}, format="json")
    assert r.status_code == 200, r.json()
    send(ann, rid, "for everyone")
    service.wait(1, device)
    cache.clear()  # a new window
    client_for(bob).patch(f"/api/v1/rooms/{rid}/membership", {"notify": "nothing"}, format="json")
    send(ann, rid, "@lv-bob even a mention")
    quiet(service, 1)
    # A DM at "nothing" is silent too.
    did = dm(ann, bob)
    client_for(bob).patch(f"/api/v1/rooms/{did}/membership", {"notify": "nothing"}, format="json")
    send(ann, did, "psst")
    quiet(service, 1)


def test_a_reply_in_a_followed_thread_is_pushed_in_a_dm_and_mentions_reach_others(
    service: LocalPushService,
) -> None:
    ann, bob = make_user("th-ann"), make_user("th-bob")
    device = subscribe(service, ann)
    did = dm(ann, bob)
    root = send(ann, did, "a plan")  # ann wrote the root: she follows its thread
    reply = send(bob, did, "agreed", thread=root["id"])
    (push,) = service.wait(1, device)
    assert push.payload is not None
    assert push.payload["thread"] == root["id"]
    assert push.payload["url"] == f"/rooms/{did}?thread={root['id']}&at={reply['seq']}"


def test_no_push_during_do_not_disturb(service: LocalPushService) -> None:
    ann, bob = make_user("nd-ann"), make_user("nd-bob")
    device = subscribe(service, bob)
    until = (timezone.now() + timedelta(hours=1)).isoformat()
    assert client_for(bob).patch("/api/v1/me", {"dnd_until": until}, format="json").status_code == 200
    rid = dm(ann, bob)
    send(ann, rid, "are you there?")
    send(ann, rid, "@nd-bob hello?")
    quiet(service)
    assert client_for(bob).patch("/api/v1/me", {"dnd_until": None}, format="json").status_code == 200
    send(ann, rid, "now?")
    service.wait(1, device)


async def test_no_push_while_a_socket_is_open_and_active_one_when_away_or_closed(
    service: LocalPushService,
) -> None:
    ann, bob = await db(make_user)("ws-ann"), await db(make_user)("ws-bob")
    device = await db(subscribe)(service, bob)
    rid = await db(dm)(ann, bob)
    ws = WsClient(await db(token_for)(bob))
    await ws.connect()
    try:
        await db(send)(ann, rid, "you are looking at this")
        await ws.recv_type("message")
        await db(quiet)(service)
        # Away by hand (the socket still open): not looking.
        assert (await db(patch_me)(bob, {"away": True})).status_code == 200
        await db(send)(ann, rid, "are you away?")
        await db(service.wait)(1, device)
        assert (await db(patch_me)(bob, {"away": False})).status_code == 200
    finally:
        await ws.comm.disconnect()
    await db(cache.clear)()
    await db(send)(ann, rid, "gone now")
    pushes = await db(service.wait)(2, device)
    assert [p.payload["body"] for p in pushes if p.payload] == ["are you away?", "gone now"]


def test_a_burst_in_one_room_is_one_push_then_the_count(service: LocalPushService, settings: Any) -> None:
    window = 5.0  # long enough for four sends on a busy machine
    settings.PUSH_COALESCE_SECONDS = window
    ann, bob = make_user("co-ann"), make_user("co-bob")
    device = subscribe(service, bob)
    rid, other = dm(ann, bob), room_with(ann, bob, name="other")
    send(ann, rid, "one")
    opened = time.monotonic()  # the window opened with this push (sent before the answer)
    send(ann, rid, "two")
    send(ann, rid, "three")
    send(ann, other, "@co-bob elsewhere")  # another room has its own window
    service.wait(2, device)
    assert time.monotonic() - opened < window, "the machine is too slow for this window"
    quiet(service, 2)
    time.sleep(max(0.0, opened + window + 0.2 - time.monotonic()))
    send(ann, rid, "four")
    pushes = service.wait(3, device)
    last = pushes[-1].payload
    assert last is not None
    assert (last["count"], last["body"], last["tag"]) == (3, "3 new messages", f"room-{rid}")
    assert [p.payload["body"] for p in pushes[:2] if p.payload] == ["one", "@co-bob elsewhere"]


def test_hidden_text_says_only_new_message_in_the_persons_language(service: LocalPushService) -> None:
    ann, bob = make_user("hd-ann"), make_user("hd-bob")
    device = subscribe(service, bob)
    r = client_for(bob).patch("/api/v1/me", {"push_hide_text": True, "language": "ja"}, format="json")
    assert r.status_code == 200, r.json()
    rid = dm(ann, bob)
    send(ann, rid, "the secret plan")
    (push,) = service.wait(1, device)
    assert push.payload is not None
    assert push.payload["hidden"] is True
    assert push.payload["title"] == "Parley"
    assert "secret" not in push.payload["body"] and "hd-ann" not in str(push.payload)
    assert push.payload["body"] == "新しいメッセージ"
    assert push.payload["url"].startswith(f"/rooms/{rid}?")  # the click still opens it


@pytest.mark.parametrize("status", [404, 410])
def test_a_device_the_push_service_forgot_is_removed(service: LocalPushService, status: int) -> None:
    ann, bob = make_user("gn-ann"), make_user("gn-bob")
    gone, kept = subscribe(service, bob), subscribe(service, bob)
    gone.answers = [status]
    send(ann, dm(ann, bob), "hello")
    service.wait(2)
    assert [d["endpoint"] for d in client_for(bob).get("/api/v1/push/subscriptions").json()] == [
        kept.endpoint
    ]


@pytest.mark.parametrize("status", [503, 429, 500])
def test_a_busy_push_service_is_retried(service: LocalPushService, status: int) -> None:
    ann, bob = make_user("rt-ann"), make_user("rt-bob")
    device = subscribe(service, bob)
    device.answers = [status, status]  # the third attempt is delivered
    send(ann, dm(ann, bob), "eventually")
    pushes = service.wait(3, device)
    assert [p.status for p in pushes] == [status, status, 201]
    assert pushes[0].payload == pushes[2].payload
    row = PushSubscription.objects.get()
    assert (row.failures, row.last_used_at is not None) == (0, True)


def test_retries_run_out_and_count_a_failure_then_the_device_goes(
    service: LocalPushService, settings: Any
) -> None:
    settings.PUSH_COALESCE_SECONDS = 0
    settings.PUSH_MAX_FAILURES = 2
    ann, bob = make_user("fl-ann"), make_user("fl-bob")
    device = subscribe(service, bob)
    device.answers = [503] * 3 + [400]  # 1 + PUSH_RETRIES attempts, then a refusal
    rid = dm(ann, bob)
    send(ann, rid, "first")
    service.wait(3, device)
    assert PushSubscription.objects.get().failures == 1
    send(ann, rid, "second")  # 400: not retried, a second failure in a row: removed
    service.wait(4, device)
    quiet(service, 4)
    assert not PushSubscription.objects.exists()


def test_a_private_address_is_refused_without_push_allow_private(
    service: LocalPushService, settings: Any
) -> None:
    ann, bob = make_user("pv-ann"), make_user("pv-bob")
    subscribe(service, bob)  # stored while allowed
    settings.PUSH_ALLOW_PRIVATE = False
    send(ann, dm(ann, bob), "to loopback?")
    quiet(service)  # never connected
    assert PushSubscription.objects.get().failures == 1


def test_without_redis_pushes_and_their_retries_run_on_threads(
    service: LocalPushService, settings: Any
) -> None:
    """The embedded mode: the send does not wait for the push service, and a retry waits on a
    timer, not on a push thread."""
    settings.REDIS_URL = ""  # the embedded mode, in every pass: the choice is read per push
    settings.PUSH_IN_THREAD = True
    settings.PUSH_BACKOFF = 0.3
    ann, bob = make_user("tt-ann"), make_user("tt-bob")
    device = subscribe(service, bob)
    device.answers = [503]
    rid = dm(ann, bob)
    send(ann, rid, "threaded")
    pushes = service.wait(2, device)
    assert [p.status for p in pushes] == [503, 201]
    assert pushes[0].payload == pushes[1].payload
