"""Webhooks against a local HTTP receiver: incoming (post, rotate, revoke, rate limit) and
outgoing (signature, retry with back-off, the reply posted back, revoke, SSRF)."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.cache import cache

from parley.bots import services
from parley.messaging.models import Message
from parley.rooms import services as rooms
from parley.testing.api import client_for, error_of, make_user
from parley.testing.waits import wait_until

pytestmark = [pytest.mark.django_db(transaction=True)]


class Receiver:
    """An HTTP server in a thread that records requests and answers from a script."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.requests: list[tuple[dict[str, str], bytes, float]] = []
        self.script: list[tuple[int, dict[str, Any] | None]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), raw, time.monotonic()))
                code, body = receiver.script.pop(0) if receiver.script else (200, None)
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://{host}:{self.port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, n: int, timeout: float = 15) -> None:
        wait_until(lambda: len(self.requests) >= n, timeout=timeout, what=f"{n} requests")


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.BOT_WEBHOOK_ALLOW_PRIVATE = True
    settings.BOT_WEBHOOK_BACKOFF = 0.2
    r = Receiver()
    yield r
    r.server.shutdown()


def _room() -> tuple[Any, Any, Any]:
    owner, alice = make_user(), make_user()
    room = rooms.room_create(owner=owner, name=f"hooks-{owner.pk}")
    rooms.room_join(room_id=room.pk, user=alice)
    return owner, alice, room


def _wait_for(query: Any, timeout: float = 10) -> Any:
    return wait_until(query, timeout=timeout, what="the bot's answer")


def test_incoming_webhook_posts_as_its_bot_and_rotate_and_revoke_end_the_old_urls() -> None:
    owner, alice, room = _room()
    api = client_for(owner)
    assert client_for(alice).post(f"/api/v1/rooms/{room.pk}/webhooks", {}, format="json").status_code == 403
    r = api.post(f"/api/v1/rooms/{room.pk}/webhooks", {"name": "CI"}, format="json")
    assert r.status_code == 201
    hook = r.json()
    assert (
        set(hook) >= {"id", "url"} and hook["user"]["is_bot"] is True and hook["user"]["display_name"] == "CI"
    )
    anon = client_for()
    posted = anon.post(hook["url"], {"body": "build #12 passed"}, format="json")
    assert posted.status_code == 201
    assert posted.json()["sender"]["is_bot"] is True and posted.json()["body"] == "build #12 passed"
    assert anon.post(hook["url"] + "x", {"body": "forged"}, format="json").status_code == 404
    assert anon.post(hook["url"], {"body": "   "}, format="json").status_code == 400
    listed = api.get(f"/api/v1/rooms/{room.pk}/webhooks").json()
    assert [h["id"] for h in listed] == [hook["id"]] and "url" not in listed[0]

    rotated = api.post(f"/api/v1/webhooks/{hook['id']}/rotate").json()
    assert rotated["url"] != hook["url"]
    assert error_of(anon.post(hook["url"], {"body": "old"}, format="json"))["code"] == "not_found"
    assert anon.post(rotated["url"], {"body": "new"}, format="json").status_code == 201

    assert client_for(alice).delete(f"/api/v1/webhooks/{hook['id']}").status_code == 403
    assert api.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 204
    assert anon.post(rotated["url"], {"body": "gone"}, format="json").status_code == 404
    assert list(Message.objects.filter(room=room).values_list("body", flat=True)) == [
        "build #12 passed",
        "new",
    ]


def test_incoming_webhook_is_rate_limited_with_retry_after(settings: Any) -> None:
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "webhook": "3/minute"}
    cache.clear()
    owner, _alice, room = _room()
    url = client_for(owner).post(f"/api/v1/rooms/{room.pk}/webhooks", {}, format="json").json()["url"]
    anon = client_for()
    codes = [anon.post(url, {"body": f"n{i}"}, format="json").status_code for i in range(4)]
    assert codes == [201, 201, 201, 429]
    limited = anon.post(url, {"body": "again"}, format="json")
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert error_of(limited)["code"] == "rate_limited"
    assert Message.objects.filter(room=room).count() == 3


def test_wrong_secrets_cannot_silence_a_hook_and_are_limited_per_address(settings: Any) -> None:
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "webhook": "3/minute", "webhook_fail": "5/minute"}
    cache.clear()
    owner, _alice, room = _room()
    url = client_for(owner).post(f"/api/v1/rooms/{room.pk}/webhooks", {}, format="json").json()["url"]
    wrong = url.rsplit("/", 1)[0] + "/" + "x" * 43
    attacker, integration = client_for(), client_for()
    attacker.defaults["REMOTE_ADDR"] = "10.9.9.9"
    integration.defaults["REMOTE_ADDR"] = "10.8.8.8"
    codes = [attacker.post(wrong, {"body": "spam"}, format="json").status_code for _ in range(30)]
    assert codes == [404] * 5 + [429] * 25
    refused = attacker.post(wrong, {"body": "spam"}, format="json")
    assert error_of(refused)["code"] == "rate_limited" and int(refused["Retry-After"]) > 0
    # The real integration, from its own address, still has its whole share.
    posts = [integration.post(url, {"body": f"build {i}"}, format="json").status_code for i in range(4)]
    assert posts == [201, 201, 201, 429]
    assert Message.objects.filter(room=room).count() == 3


def test_outgoing_webhook_is_signed_retried_with_back_off_and_its_reply_posted(receiver: Receiver) -> None:
    owner, alice, room = _room()
    api = client_for(owner)
    r = api.post(
        f"/api/v1/rooms/{room.pk}/outgoing-webhooks",
        {"name": "Weather", "url": receiver.url, "triggers": ["/weather", "!w"]},
        format="json",
    )
    assert r.status_code == 201, r.json()
    hook = r.json()
    assert hook["triggers"] == ["!w", "/weather"] and len(hook["secret"]) == 64
    commands = client_for(alice).get(f"/api/v1/rooms/{room.pk}/commands").json()
    assert {"name": "weather", "usage": "", "help": "Answered by Weather", "bot": "Weather"} in commands

    receiver.script = [(503, None), (500, None), (200, {"body": "Sunny in Oslo"})]
    sent = client_for(alice).post(
        f"/api/v1/rooms/{room.pk}/messages", {"body": "/weather Oslo"}, format="json"
    )
    assert sent.status_code == 201
    receiver.wait(3)
    for headers, raw, _at in receiver.requests:
        expected = hmac.new(hook["secret"].encode(), raw, hashlib.sha256).hexdigest()
        assert headers["X-Parley-Signature"] == f"sha256={expected}"
        payload = json.loads(raw)
        assert (payload["trigger"], payload["text"], payload["message"]["id"]) == (
            "/weather",
            "Oslo",
            sent.json()["id"],
        )
    times = [at for _h, _r, at in receiver.requests]
    assert times[1] - times[0] >= 0.2 and times[2] - times[1] >= 0.4  # back-off doubles
    reply = _wait_for(lambda: Message.objects.filter(room=room, sender__is_bot=True).first())
    assert reply.body == "Sunny in Oslo" and reply.reply_to_id == sent.json()["id"]

    # Not a trigger: not delivered. A forged signature would not match: the key is the secret.
    client_for(alice).post(f"/api/v1/rooms/{room.pk}/messages", {"body": "weather is nice"}, format="json")
    assert (
        client_for(alice).post(f"/api/v1/rooms/{room.pk}/messages", {"body": "!w"}, format="json").status_code
        == 201
    )
    receiver.wait(4)
    assert api.delete(f"/api/v1/outgoing-webhooks/{hook['id']}").status_code == 204
    gone = client_for(alice).post(
        f"/api/v1/rooms/{room.pk}/messages", {"body": "/weather Rome"}, format="json"
    )
    assert gone.status_code == 202 and gone.json()["level"] == "error"  # revoked: an unknown command again
    # Nothing may arrive: no event says "no request is coming", so give a late one a window.
    time.sleep(0.3)
    assert len(receiver.requests) == 4


def test_outgoing_webhook_refuses_private_addresses_and_non_http_by_default(settings: Any) -> None:
    settings.BOT_WEBHOOK_ALLOW_PRIVATE = False
    owner, _alice, room = _room()
    api = client_for(owner)
    for url in (
        "http://127.0.0.1:9/x",
        "http://10.1.2.3/x",
        "http://[::1]/x",
        "file:///etc/passwd",
        "ftp://a.example/",
    ):
        r = api.post(
            f"/api/v1/rooms/{room.pk}/outgoing-webhooks", {"url": url, "triggers": ["/x"]}, format="json"
        )
        assert r.status_code == 400 and "url" in error_of(r)["fields"], url
    bad = api.post(
        f"/api/v1/rooms/{room.pk}/outgoing-webhooks",
        {"url": "http://127.0.0.1/", "triggers": ["x y"]},
        format="json",
    )
    assert bad.status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "http://[64:ff9b::7f00:1]/x",  # NAT64 of 127.0.0.1
        "http://[64:ff9b::a01:203]/x",  # NAT64 of 10.1.2.3
        "http://[64:ff9b:1::a01:203]/x",  # local-use NAT64
        "http://[2002:7f00:1::1]/x",  # 6to4 of 127.0.0.1
        "http://[2002:c0a8:101::]/x",  # 6to4 of 192.168.1.1
        "http://[::ffff:127.0.0.1]/x",  # IPv4-mapped
        "http://[::ffff:a9fe:a9fe]/x",  # IPv4-mapped 169.254.169.254 (cloud metadata)
        "http://[::127.0.0.1]/x",  # IPv4-compatible
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/x",  # Teredo
    ],
)
def test_outgoing_webhook_refuses_ipv6_forms_of_private_ipv4(settings: Any, url: str) -> None:
    settings.BOT_WEBHOOK_ALLOW_PRIVATE = False
    owner, _alice, room = _room()
    r = client_for(owner).post(
        f"/api/v1/rooms/{room.pk}/outgoing-webhooks", {"url": url, "triggers": ["/x"]}, format="json"
    )
    assert r.status_code == 400 and "url" in error_of(r)["fields"], url


def test_delivery_connects_to_the_address_that_was_checked(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """A rebinding DNS server answers the check with one address and the connection with
    another: the delivery must go to the address that was checked, looked up once."""
    settings.BOT_WEBHOOK_RETRIES = 0
    elsewhere = Receiver("127.0.0.2", receiver.port)  # what the name is rebound to
    real = socket.getaddrinfo
    lookups: list[str] = []

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "hooks.rebind.test":
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        return real("127.0.0.1" if len(lookups) <= 1 else "127.0.0.2", port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    try:
        owner, _alice, room = _room()
        url = f"http://hooks.rebind.test:{receiver.port}/hook"
        made = client_for(owner).post(
            f"/api/v1/rooms/{room.pk}/outgoing-webhooks", {"url": url, "triggers": ["/w"]}, format="json"
        )
        assert made.status_code == 201, made.json()
        message = client_for(owner).post(
            f"/api/v1/rooms/{room.pk}/messages", {"body": "not a trigger"}, format="json"
        )
        lookups.clear()
        services.outgoing_deliver(hook_id=made.json()["id"], message_id=message.json()["id"])
        assert len(receiver.requests) == 1 and elsewhere.requests == []
        assert lookups == ["hooks.rebind.test"]
        assert receiver.requests[0][0]["Host"] == f"hooks.rebind.test:{receiver.port}"
    finally:
        elsewhere.server.shutdown()


def test_a_rebinding_name_cannot_turn_a_checked_public_address_into_a_private_one(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """The name answers the check with a public address and any later lookup with loopback:
    the delivery connects to the public address it checked (the connection itself is stubbed
    so that the test sends nothing to the internet)."""
    settings.BOT_WEBHOOK_ALLOW_PRIVATE = False
    settings.BOT_WEBHOOK_RETRIES = 0
    real = socket.getaddrinfo
    lookups: list[str] = []
    connects: list[tuple[str, int]] = []

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "hooks.rebind.test":
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        return real("93.184.215.14" if len(lookups) <= 1 else "127.0.0.1", port, *args, **kwargs)

    def no_network(address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
        connects.append(address)
        raise ConnectionRefusedError("the test sends nothing")

    owner, _alice, room = _room()
    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    made = client_for(owner).post(
        f"/api/v1/rooms/{room.pk}/outgoing-webhooks",
        {"url": "http://hooks.rebind.test:8080/hook", "triggers": ["/w"]},
        format="json",
    )
    assert made.status_code == 201, made.json()
    message = client_for(owner).post(f"/api/v1/rooms/{room.pk}/messages", {"body": "plain"}, format="json")
    lookups.clear()
    monkeypatch.setattr(socket, "create_connection", no_network)
    with pytest.raises(services.DeliveryFailed):
        services.outgoing_deliver(hook_id=made.json()["id"], message_id=message.json()["id"])
    assert lookups == ["hooks.rebind.test"]
    assert connects == [("93.184.215.14", 8080)]
