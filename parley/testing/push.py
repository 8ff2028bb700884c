"""A local Web Push service for tests: what FCM or Mozilla's autopush would be to the server.

It listens on loopback, takes the server's POSTs (RFC 8030), checks each one as a real push
service does (RFC 8292: a `vapid t=<JWT>, k=<key>` Authorization whose ES256 signature verifies
with `k`, `k` the server's published key, `aud` the endpoint's origin, `exp` in the future and
at most 24 hours ahead, `sub` a mailto: or https: contact; a TTL header; aes128gcm), and then,
as the browser would, DECRYPTS the body (RFC 8291) with the private key and auth secret of a
`Device` the test made, the way a browser makes them in `pushManager.subscribe`.

Each push's answer can be set per device (`Device.answers`: statuses used in turn, then 201),
so a test can answer 404, 410, 429 or 503.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Device:
    """A browser's side of one subscription: its ECDH key pair and auth secret."""

    token: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    endpoint: str
    answers: list[int] = field(default_factory=list)

    @property
    def p256dh(self) -> str:
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(raw)

    def subscription(self) -> dict[str, Any]:
        """`PushSubscription.toJSON()` as the browser gives it."""
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth)},
        }


@dataclass
class Received:
    device: str
    status: int
    headers: dict[str, str]
    payload: dict[str, Any] | None
    problems: list[str]


class LocalPushService:
    def __init__(self, *, server_key: str | None = None) -> None:
        self.server_key = server_key  # the VAPID public key GET push/key published, when known
        self.devices: dict[str, Device] = {}
        self.received: list[Received] = []
        self.cond = threading.Condition()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, received = service._take(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                self.send_response(status)
                if status == 201:
                    self.send_header("Location", f"/message/{secrets.token_hex(4)}")
                if status in (429, 503):
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Length", "0")
                self.end_headers()
                with service.cond:
                    service.received.append(received)
                    service.cond.notify_all()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, name="local-push-service", daemon=True
        )

    def __enter__(self) -> LocalPushService:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def device(self, *, host: str | None = None) -> Device:
        token = secrets.token_urlsafe(12)
        origin = self.origin if host is None else self.origin.replace("127.0.0.1", host)
        device = Device(
            token=token,
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth=os.urandom(16),
            endpoint=f"{origin}/push/{token}",
        )
        self.devices[token] = device
        return device

    def pushes(self, device: Device | None = None) -> list[Received]:
        with self.cond:
            return [r for r in self.received if device is None or r.device == device.token]

    def wait(self, count: int, device: Device | None = None, timeout: float = 10.0) -> list[Received]:
        """At least `count` pushes (to `device`) received, or AssertionError after `timeout`."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.pushes(device)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.pushes(device))} pushes received, {count} expected")
                self.cond.wait(left)
            return self.pushes(device)

    # --- what a push service checks -------------------------------------------------------

    def _take(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Received]:
        token = path.rsplit("/", 1)[-1]
        device = self.devices.get(token)
        problems: list[str] = []
        payload: dict[str, Any] | None = None
        if device is None:
            return 404, Received(token, 404, headers, None, ["unknown device"])
        problems += self._check_vapid(headers.get("authorization", ""), device)
        if headers.get("content-encoding") != "aes128gcm":
            problems.append(f"content-encoding {headers.get('content-encoding')!r}")
        if not headers.get("ttl", "").isdigit():
            problems.append("no TTL header")
        if headers.get("urgency") not in (None, "very-low", "low", "normal", "high"):
            problems.append(f"urgency {headers.get('urgency')!r}")
        try:
            plain = http_ece.decrypt(
                body, private_key=device.private_key, auth_secret=device.auth, version="aes128gcm"
            )
            payload = json.loads(plain)
        except Exception as exc:  # anything that does not decrypt is the server's bug
            problems.append(f"does not decrypt: {exc!r}")
        status = device.answers.pop(0) if device.answers else 201
        return status, Received(token, status, headers, payload, problems)

    def _check_vapid(self, header: str, device: Device) -> list[str]:
        scheme, _sep, params = header.partition(" ")
        if scheme.lower() != "vapid":
            return [f"Authorization scheme {scheme!r}, not vapid"]
        parts = dict(p.strip().split("=", 1) for p in params.split(",") if "=" in p)
        token, key = parts.get("t", ""), parts.get("k", "")
        problems = []
        if self.server_key is not None and key != self.server_key:
            problems.append("k is not the server's published key")
        try:
            signing_input, _dot, signature = token.rpartition(".")
            header_b64, _dot, claims_b64 = signing_input.partition(".")
            jwt_header = json.loads(unb64url(header_b64))
            claims = json.loads(unb64url(claims_b64))
            raw = unb64url(signature)
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
            der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
            public.verify(der, signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return [*problems, "JWT signature does not verify with k"]
        except Exception as exc:
            return [*problems, f"malformed JWT: {exc!r}"]
        if jwt_header.get("alg") != "ES256":
            problems.append(f"alg {jwt_header.get('alg')!r}")
        parts_url = urlsplit(device.endpoint)
        if claims.get("aud") != f"{parts_url.scheme}://{parts_url.netloc}":
            problems.append(f"aud {claims.get('aud')!r} is not the endpoint's origin")
        exp = int(claims.get("exp", 0))
        if not time.time() < exp <= time.time() + 24 * 3600:
            problems.append(f"exp {exp} not within 24 hours ahead")
        if not str(claims.get("sub", "")).startswith(("mailto:", "https://")):
            problems.append(f"sub {claims.get('sub')!r}")
        return problems
