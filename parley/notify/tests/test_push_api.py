"""Web Push's REST contract (issue 30): the server's key, subscribing a device (one row per
endpoint), the device list, removing one, `push_hide_text`, and every refusal."""

from __future__ import annotations

import base64
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from rest_framework.test import APIClient

from parley.notify.models import PushSubscription
from parley.testing.api import client_for, error_of, make_user

pytestmark = pytest.mark.django_db

ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
WINDOWS_FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
# A public push service's address shape; resolving it is not needed when it is an IP literal.
PUBLIC = "https://8.8.8.8/fcm/send/"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def browser_keys() -> dict[str, str]:
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return {"p256dh": b64(point), "auth": b64(os.urandom(16))}


def subscribe(client: APIClient, endpoint: str, keys: dict[str, Any] | None = None, ua: str = "") -> Any:
    body = {"endpoint": endpoint, "expirationTime": None, "keys": keys or browser_keys()}
    return client.post("/api/v1/push/subscriptions", body, format="json", HTTP_USER_AGENT=ua)


def test_the_key_is_a_p256_point_for_subscribe_and_needs_a_sign_in() -> None:
    r = client_for(make_user("pk-ann")).get("/api/v1/push/key")
    assert r.status_code == 200
    raw = base64.urlsafe_b64decode(r.json()["public_key"] + "=")
    assert len(raw) == 65 and raw[0] == 4
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)  # on the curve
    assert client_for(make_user("pk-bob")).get("/api/v1/push/key").json() == r.json()  # one key
    assert APIClient().get("/api/v1/push/key").status_code == 401
    assert APIClient().post("/api/v1/push/subscriptions", {}, format="json").status_code == 401


def test_a_device_is_one_row_labelled_from_its_user_agent() -> None:
    ann = make_user("ps-ann")
    client = client_for(ann)
    r = subscribe(client, PUBLIC + "a1", ua=ANDROID_CHROME)
    assert r.status_code == 201, r.json()
    first = r.json()
    assert set(first) == {"id", "endpoint", "label", "created_at", "last_used_at"}
    assert (first["endpoint"], first["label"], first["last_used_at"]) == (
        PUBLIC + "a1",
        "Chrome on Android",
        None,
    )

    # The same device again (new keys: the browser re-subscribed): the same row, 200.
    keys = browser_keys()
    r = subscribe(client, PUBLIC + "a1", keys=keys, ua=ANDROID_CHROME)
    assert r.status_code == 200 and r.json()["id"] == first["id"]
    row = PushSubscription.objects.get()
    assert (row.p256dh, row.auth) == (keys["p256dh"], keys["auth"])

    assert subscribe(client, PUBLIC + "b2", ua=WINDOWS_FIREFOX).status_code == 201
    assert subscribe(client, PUBLIC + "c3", ua=IPHONE_SAFARI).status_code == 201
    listed = client.get("/api/v1/push/subscriptions").json()
    assert [d["label"] for d in listed] == ["Safari on iOS", "Firefox on Windows", "Chrome on Android"]
    assert client_for(make_user("ps-other")).get("/api/v1/push/subscriptions").json() == []


def test_another_account_on_the_same_browser_takes_the_device_over() -> None:
    ann, bob = make_user("to-ann"), make_user("to-bob")
    created = subscribe(client_for(ann), PUBLIC + "shared").json()
    r = subscribe(client_for(bob), PUBLIC + "shared")
    assert r.status_code == 200 and r.json()["id"] == created["id"]
    assert client_for(ann).get("/api/v1/push/subscriptions").json() == []
    assert [d["id"] for d in client_for(bob).get("/api/v1/push/subscriptions").json()] == [created["id"]]


def test_removing_a_device_is_for_its_owner_only() -> None:
    ann, bob = make_user("rm-ann"), make_user("rm-bob")
    sub_id = subscribe(client_for(ann), PUBLIC + "rm").json()["id"]
    r = client_for(bob).delete(f"/api/v1/push/subscriptions/{sub_id}")
    assert r.status_code == 404 and error_of(r)["code"] == "not_found"
    assert client_for(ann).delete(f"/api/v1/push/subscriptions/{sub_id}").status_code == 204
    assert client_for(ann).get("/api/v1/push/subscriptions").json() == []
    assert client_for(ann).delete(f"/api/v1/push/subscriptions/{sub_id}").status_code == 404


def _bad_point() -> str:
    return b64(b"\x04" + b"\xff" * 64)  # the right length, not on the curve


@pytest.mark.parametrize(
    ("endpoint", "keys", "field"),
    [
        ("http://8.8.8.8/push/x", None, "endpoint"),  # plain http
        ("https://127.0.0.1/push/x", None, "endpoint"),  # loopback
        ("https://10.1.2.3/push/x", None, "endpoint"),  # private
        ("https://[::ffff:192.168.0.1]/push/x", None, "endpoint"),  # private, as IPv6
        ("ftp://8.8.8.8/push/x", None, "endpoint"),
        ("not a url", None, "endpoint"),
        ("", None, "endpoint"),
        (PUBLIC + "x" * 600, None, "endpoint"),
        (PUBLIC + "k", {"auth": b64(os.urandom(16))}, "keys.p256dh"),
        (PUBLIC + "k", {"p256dh": b64(b"\x04" + os.urandom(10)), "auth": b64(os.urandom(16))}, "keys.p256dh"),
        (PUBLIC + "k", {"p256dh": _bad_point(), "auth": b64(os.urandom(16))}, "keys.p256dh"),
        (PUBLIC + "k", {"p256dh": "not base64!", "auth": b64(os.urandom(16))}, "keys.p256dh"),
        (PUBLIC + "k", {"p256dh": "P256", "auth": b64(os.urandom(8))}, "keys.auth"),
    ],
)
def test_what_a_browser_would_not_send_is_refused_with_its_field(
    endpoint: str, keys: dict[str, str] | None, field: str
) -> None:
    if keys is not None and keys.get("p256dh") == "P256":
        keys = {**keys, "p256dh": browser_keys()["p256dh"]}
    r = subscribe(client_for(make_user("bad-sub")), endpoint, keys=keys)
    assert r.status_code == 400, r.json()
    err = error_of(r)
    assert err["code"] == "invalid"
    assert field in err["fields"], err
    assert not PushSubscription.objects.exists()


def test_http_and_private_endpoints_only_with_push_allow_private(settings: Any) -> None:
    client = client_for(make_user("ap-ann"))
    assert subscribe(client, "http://127.0.0.1:9/push/t").status_code == 400
    settings.PUSH_ALLOW_PRIVATE = True
    assert subscribe(client, "http://127.0.0.1:9/push/t").status_code == 201
    assert subscribe(client, "ftp://127.0.0.1/push/t").status_code == 400  # still http(s) only


def test_hiding_the_text_is_a_profile_setting() -> None:
    ann = make_user("ht-ann")
    assert client_for(ann).get("/api/v1/me").json()["user"]["push_hide_text"] is False
    r = client_for(ann).patch("/api/v1/me", {"push_hide_text": True}, format="json")
    assert r.status_code == 200 and r.json()["user"]["push_hide_text"] is True
    assert client_for(ann).get("/api/v1/me").json()["user"]["push_hide_text"] is True
    r = client_for(ann).patch("/api/v1/me", {"push_hide_text": "maybe"}, format="json")
    assert r.status_code == 400 and "push_hide_text" in error_of(r)["fields"]


def test_a_configured_key_is_the_one_published(settings: Any) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    settings.PUSH_VAPID_PRIVATE_KEY = b64(private.private_numbers().private_value.to_bytes(32, "big"))
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert client_for(make_user("ck-ann")).get("/api/v1/push/key").json() == {"public_key": b64(public)}
    settings.PUSH_VAPID_PRIVATE_KEY = ""
    generated = client_for(make_user("ck-bob")).get("/api/v1/push/key").json()["public_key"]
    assert generated != b64(public)
