"""The server's VAPID key pair (RFC 8292): browsers subscribe with its public half, and every
push carries a JWT signed with its private half, so a push service delivers to a subscription
only what this server sent.

PUSH_VAPID_PRIVATE_KEY holds the private key (base64url of its 32 raw bytes, or a PEM/DER).
Unset, a key is generated once into data/vapid_private_key (created atomically, so processes
starting together agree), as SECRET_KEY is in DEBUG: one machine needs no setting, several must
share one key. Changing the key orphans every subscription: browsers must subscribe again."""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from py_vapid import Vapid02
from py_vapid.utils import b64urlencode

KEY_FILE = "vapid_private_key"
# The JWT's lifetime: RFC 8292 allows at most 24 hours; push services prefer less.
JWT_LIFETIME = 12 * 3600


def _generated(path: Path) -> str:
    """The key stored at `path`, made now when there is none (the first writer wins)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _attempt in range(50):  # another process is writing it this very moment
            text = path.read_text().strip()
            if text:
                return text
            time.sleep(0.02)
        raise
    key = Vapid02()
    key.generate_keys()
    raw = key.private_key.private_numbers().private_value.to_bytes(32, "big")
    text = b64urlencode(raw)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    return text


@functools.lru_cache(maxsize=4)
def _load(configured: str, data_dir: str) -> Vapid02:
    text = configured.strip() or _generated(Path(data_dir) / KEY_FILE)
    if text.startswith("-----BEGIN"):
        return Vapid02.from_pem(text.encode())
    return Vapid02.from_string(text)


def key() -> Vapid02:
    return _load(settings.PUSH_VAPID_PRIVATE_KEY, str(settings.DATA_DIR))


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
