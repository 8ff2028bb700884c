"""The server's VAPID key pair (RFC 8292): browsers subscribe with its public half, and every
push carries a JWT signed with its private half, so a push service delivers to a subscription
only what this server sent.

PUSH_VAPID_PRIVATE_KEY holds the private key (base64url of its 32 raw bytes, or a PEM/DER).
Unset, a key is generated on first use and kept in the database (`VapidKey`, one row; the
first process to store it wins, the others read it), so every web process, worker and host
signs with the one key browsers subscribed with, and no setting is needed. Changing the key
orphans every subscription: browsers must subscribe again."""

from __future__ import annotations

import functools
import time
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import IntegrityError, transaction
from py_vapid import Vapid02
from py_vapid.utils import b64urlencode

from parley.notify.models import VapidKey

# The JWT's lifetime: RFC 8292 allows at most 24 hours; push services prefer less.
JWT_LIFETIME = 12 * 3600


def _generate() -> str:
    key = Vapid02()
    key.generate_keys()
    raw = key.private_key.private_numbers().private_value.to_bytes(32, "big")
    return str(b64urlencode(raw))


def _stored() -> str:
    """The key kept in the database, made now when there is none (the first writer wins)."""
    row = VapidKey.objects.order_by("pk").first()
    if row is None:
        try:
            with transaction.atomic():
                VapidKey.objects.create(pk=1, private_key=_generate())
        except IntegrityError:
            pass  # another process stored one a moment ago
        row = VapidKey.objects.order_by("pk").first()
    assert row is not None
    return row.private_key


@functools.lru_cache(maxsize=4)
def _load(configured: str) -> Vapid02:
    text = configured.strip() or _stored()
    if text.startswith("-----BEGIN"):
        return Vapid02.from_pem(text.encode())
    return Vapid02.from_string(text)


def key() -> Vapid02:
    return _load(settings.PUSH_VAPID_PRIVATE_KEY)


def public_key() -> str:
    """The public key as browsers take it (`applicationServerKey`): base64url, no padding, of
    the 65-byte uncompressed P-256 point."""
    raw = key().public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64urlencode(raw)


def subject() -> str:
    """Who to contact about this server's pushes: PUSH_VAPID_SUBJECT, else the mail sender,
    else the site's https URL (a push service refuses a JWT without a mailto: or https: `sub`)."""
    if settings.PUSH_VAPID_SUBJECT:
        return str(settings.PUSH_VAPID_SUBJECT)
    sender = str(settings.DEFAULT_FROM_EMAIL)
    address = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    if "@" in address and not address.endswith("@localhost"):
        return f"mailto:{address}"
    if settings.SITE_URL.startswith("https://"):
        return str(settings.SITE_URL)
    return "mailto:parley@example.invalid"


def authorization(endpoint: str, *, now: float | None = None) -> str:
    """The `Authorization: vapid t=<JWT>, k=<public key>` header for a push to `endpoint`:
    the JWT's audience is the endpoint's origin (RFC 8292 section 2)."""
    parts = urlsplit(endpoint)
    claims = {
        "aud": f"{parts.scheme}://{parts.netloc}",
        "exp": int((now or time.time()) + JWT_LIFETIME),
        "sub": subject(),
    }
    return str(key().sign(claims)["Authorization"])
