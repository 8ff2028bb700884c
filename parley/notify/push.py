"""Web Push subscriptions (issue 30): adding, listing and removing a person's devices.

A subscription is what a browser's `PushSubscription.toJSON()` gives: the push service's
endpoint for this device and the keys the payload is encrypted to (RFC 8291). Everything a
browser would not produce is refused here with a field error, so a bad row never reaches the
sender: an endpoint that is not https (plain http and private or loopback addresses only with
PUSH_ALLOW_PRIVATE, the same pinned-address rule as webhooks: parley.common.safefetch), a
p256dh that is not a 65-byte uncompressed P-256 point, an auth secret that is not 16 bytes.

The endpoint is unique: the same device subscribing again keeps its row (200, keys refreshed),
and a browser where another account signs in moves to that account (a device belongs to whoever
uses it now; the earlier account would otherwise get the new one's notifications)."""

from __future__ import annotations

import base64
import binascii
import re
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from parley.accounts.models import User
from parley.common import safefetch
from parley.common.errors import Fields, Invalid, NotFound
from parley.notify.models import ENDPOINT_MAX, PushSubscription

P256DH_BYTES = 65
AUTH_BYTES = 16
_B64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")


def b64url_decode(text: str) -> bytes | None:
    """base64url with or without padding (browsers send none); None when it is not that."""
    if not isinstance(text, str) or not _B64URL.match(text):
        return None
    try:
        return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        return None


def _clean_endpoint(endpoint: str) -> str:
    endpoint = (endpoint or "").strip()
    if not endpoint:
        raise Invalid(_("Give the push endpoint."), fields={"endpoint": [_("This field is required.")]})
    if len(endpoint) > ENDPOINT_MAX:
        message = _("The endpoint is too long.")
        raise Invalid(message, fields={"endpoint": [message]})
    allow_private = settings.PUSH_ALLOW_PRIVATE
    if not endpoint.startswith("https://") and not (allow_private and endpoint.startswith("http://")):
        message = _("The endpoint must be an https URL.")
        raise Invalid(message, fields={"endpoint": [message]})
    try:
        safefetch.check_url(endpoint, allow_private=allow_private)
    except safefetch.Refused as exc:
        if exc.reason == "resolve":
            message = _("The endpoint's host does not resolve.")
        elif exc.reason == "private":
            message = _("The endpoint points into a private network.")
        else:
            message = _("The endpoint must be an https URL.")
        raise Invalid(message, fields={"endpoint": [message]}) from exc
    return endpoint


def _clean_keys(p256dh: str, auth: str) -> tuple[str, str]:
    fields: Fields = {}
    point = b64url_decode(p256dh)
    if point is None or len(point) != P256DH_BYTES or point[0] != 4:
        fields["keys.p256dh"] = [_("Give the base64url of a 65-byte uncompressed P-256 public key.")]
    else:
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        except ValueError:
            fields["keys.p256dh"] = [_("That is not a point on the P-256 curve.")]
    secret = b64url_decode(auth)
    if secret is None or len(secret) != AUTH_BYTES:
        fields["keys.auth"] = [_("Give the base64url of a 16-byte auth secret.")]
    if fields:
        raise Invalid(_("The subscription's keys are not valid."), fields=fields)
    return p256dh.rstrip("="), auth.rstrip("=")


_BROWSERS = (
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("FxiOS/", "Firefox"),
    ("Firefox/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
)


def device_label(user_agent: str) -> str:
    """ "Chrome on Android", "Firefox on Windows", "Safari on iOS" from a User-Agent (the first
    matching token: Edge and Opera also say Chrome, Chrome also says Safari); "Browser" when
    nothing is recognised. For people telling their devices apart, not for any decision."""
    ua = user_agent or ""
    browser = next((name for token, name in _BROWSERS if token in ua), "")
    system = next((name for token, name in _SYSTEMS if token in ua), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Browser"


# Whether anyone at all has a device, as this process last read it: (answer, read at). A send
# starts a push job only when someone does, so an installation (or a benchmark) without push
# pays no job per message; the table is read at most once per ANYONE_TTL seconds per process.
ANYONE_TTL = 10.0
_anyone: list[tuple[bool, float]] = [(False, -ANYONE_TTL)]


def anyone_subscribed() -> bool:
    answer, read_at = _anyone[0]
    now = time.monotonic()
    if now - read_at >= ANYONE_TTL:
        answer = PushSubscription.objects.exists()
        _anyone[0] = (answer, now)
    return answer


@dataclass(frozen=True)
class Subscribed:
    subscription: PushSubscription
    created: bool


def subscription_add(
    *, user: User, endpoint: str, p256dh: str, auth: str, user_agent: str = ""
) -> Subscribed:
    """Store the device's subscription for `user`; the same endpoint again updates its row
    (keys, owner, label) and says `created=False`."""
    endpoint = _clean_endpoint(endpoint)
    p256dh, auth = _clean_keys(p256dh, auth)
    label = device_label(user_agent)[:64]
    values = {"user": user, "p256dh": p256dh, "auth": auth, "label": label, "failures": 0}
    for _attempt in range(2):  # two first subscriptions of one endpoint racing: the loser updates
        try:
            with transaction.atomic():
                row, created = PushSubscription.objects.update_or_create(endpoint=endpoint, defaults=values)
            _anyone[0] = (True, time.monotonic())  # this process's next sends push at once
            return Subscribed(row, created)
        except IntegrityError:
            continue
    row = PushSubscription.objects.get(endpoint=endpoint)
    return Subscribed(row, False)


def subscription_list(*, user: User) -> list[PushSubscription]:
    return list(PushSubscription.objects.filter(user=user).order_by("-created_at", "-id"))


def subscription_remove(*, user: User, subscription_id: int) -> None:
    deleted, _rows = PushSubscription.objects.filter(pk=subscription_id, user=user).delete()
    if not deleted:
        raise NotFound(_("No such push subscription."))
