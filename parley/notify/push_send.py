"""Sending Web Push notifications (issue 30): who gets one for a new message, what it says,
and its delivery (RFC 8030), encrypted (RFC 8291, aes128gcm) and signed (RFC 8292, VAPID).

Who: each member the room's notification level says to tell, by the same rule as the web
client's page notifications (`frontend/src/utils/notify.ts`) and the mail digests: "all" tells
of every message, "mentions" of those that mention the person (@them or the owner's @room),
"nothing" of none; a reply only in its thread counts for those who follow the thread or are
mentioned in it. Never the sender, never bots. And only someone who is not looking:

- no push while the person's presence is `online` (a socket open and active within
  AWAY_AFTER, not away by hand): whoever is at a Parley tab sees the message there, and the
  tab shows its own notification when it is hidden (docs/decisions.md, "Web Push");
- none during do-not-disturb (`dnd_until` in the future), socket or not;
- at most one per room and person per PUSH_COALESCE_SECONDS: messages inside the window are
  counted, and the next push after it says "N new messages" under the same tag, so the
  lock screen shows one notification per room that a new one replaces.

What: a small JSON (`payload`), in the person's language, with the text replaced by "New
message" when they chose `push_hide_text`.

Delivery goes through parley.common.safefetch (resolved once, connected to the checked address,
private and loopback addresses refused unless PUSH_ALLOW_PRIVATE), never through a second HTTP
client: pywebpush encrypts the payload, py-vapid signs the JWT, the request is ours. A push
service answering 404 or 410 has forgotten the device: its row goes. 429 and 5xx (and network
errors) are retried by the job (`tasks.push_deliver`); other refusals count as failures, and a
device failing PUSH_MAX_FAILURES pushes in a row is dropped."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext
from pywebpush import WebPusher

from parley.accounts.models import User
from parley.accounts.presence import presence_sets, presence_state
from parley.accounts.serializers import dnd_until
from parley.common import safefetch
from parley.messaging.excerpts import plain_excerpt
from parley.messaging.models import Message
from parley.notify import selectors, vapid
from parley.notify.models import PushSubscription
from parley.rooms.models import Membership, Notify, Room

log = logging.getLogger(__name__)

PAYLOAD_VERSION = 1
BODY_MAX = 140
# A group DM's title lists its people; the whole payload must stay within one 4 KiB record.
TITLE_MAX = 200
# A push service's answer is a status and a few headers; nothing of the body is used.
ANSWER_MAX = 4096
# The count of messages held back by the window lives this long at most.
COUNT_TTL = 24 * 3600


class PushFailed(Exception):
    """A push that a later attempt may deliver (network error, 429, 5xx)."""

    def __init__(self, detail: str, retry_after: float | None = None):
        super().__init__(detail)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Push:
    """One push for one device."""

    subscription_id: int
    payload: dict[str, Any]


# --- who, and what --------------------------------------------------------------------------


def wants(membership: Membership, message: Message, *, followers: set[int] | None) -> bool:
    """Whether the member's notification level asks to be told of `message` (the page
    notifications' rule). `followers`: the thread's followers for a reply only in its thread."""
    user_id = membership.user_id
    mentioned = message.mentions_room or user_id in (message.mentions or [])
    if membership.notify == Notify.NOTHING:
        return False
    thread_only = message.thread_id is not None and not message.also_to_room
    if thread_only and not mentioned and user_id not in (followers or set()):
        return False
    return membership.notify == Notify.ALL or mentioned


def not_looking(user: User, *, online: frozenset[int], idle: frozenset[int], now: datetime) -> bool:
    """Nobody at a Parley screen of theirs, and no do-not-disturb."""
    if dnd_until(user, now) is not None:
        return False
    return presence_state(user, online=online, idle=idle, now=now) != "online"


def coalesce(*, user_id: int, room_id: int) -> int | None:
    """The window (in the cache every process shares): None when a push to this person for
    this room went out less than PUSH_COALESCE_SECONDS ago (the message is counted instead);
    else how many messages the push now stands for (itself and those counted)."""
    window = settings.PUSH_COALESCE_SECONDS
    if window <= 0:
        return 1
    counted = f"parley:push:counted:{user_id}:{room_id}"
    if cache.add(f"parley:push:window:{user_id}:{room_id}", 1, timeout=window):
        held = int(cache.get(counted) or 0)
        if held:
            cache.delete(counted)
        return 1 + held
    if not cache.add(counted, 1, timeout=COUNT_TTL):
        try:
            cache.incr(counted)
        except ValueError:  # expired between the add and the incr
            cache.add(counted, 1, timeout=COUNT_TTL)
    return None


def _place(room: Room, recipient: User) -> str:
    """The room as the recipient sees it named: "#general", or a group DM's other people."""
    if not room.is_direct:
        return f"#{room.name}"
    others = (
        Membership.objects.filter(room_id=room.pk)
        .exclude(user_id=recipient.pk)
        .select_related("user")
        .order_by("id")
    )
    return ", ".join(m.user.shown_name for m in others)


def _direct_pair(room: Room) -> bool:
    return room.is_direct and Membership.objects.filter(room_id=room.pk).count() <= 2


def message_url(message: Message) -> str:
    """Where the notification opens the message (the web client's routes, utils/searchLink.ts)."""
    if message.thread_id is not None and not message.also_to_room:
        return f"/rooms/{message.room_id}?thread={message.thread_id}&at={message.seq}"
    return f"/rooms/{message.room_id}?msg={message.pk}&seq={message.seq}"


def _excerpt(message: Message) -> str:
    text = plain_excerpt(message.body, BODY_MAX)
    if text:
        return text
    names = [str(a.get("name", "")) for a in (message.attachments or []) if isinstance(a, dict)]
    return ("📎 " + ", ".join(n for n in names if n))[:BODY_MAX] if any(names) else ""


def payload(*, message: Message, recipient: User, count: int, pair: bool) -> dict[str, Any]:
    """The JSON the service worker receives (the contract in docs/protocol.md, "Web Push"),
    in the recipient's language."""
    room = message.room
    hidden = recipient.push_hide_text
    with translation.override(recipient.language or "en"):
        if hidden:
            title = "Parley"
            body = ngettext("%(count)d new message", "%(count)d new messages", count) % {"count": count}
            if count == 1:
                body = gettext("New message")
        else:
            sender = message.sender.shown_name
            title = (
                sender
                if pair
                else gettext("%(sender)s in %(place)s")
                % {
                    "sender": sender,
                    "place": _place(room, recipient),
                }
            )
            if count > 1:
                body = ngettext("%(count)d new message", "%(count)d new messages", count) % {"count": count}
            else:
                body = _excerpt(message)
    return {
        "v": PAYLOAD_VERSION,
        "title": title[:TITLE_MAX],
        "body": body,
        "url": message_url(message),
        "tag": f"room-{message.room_id}",
        "room": message.room_id,
        "message_id": message.pk,
        "seq": message.seq,
        "thread": message.thread_id,
        "count": count,
        "hidden": hidden,
        "kind": "direct" if room.is_direct else "room",
        "urgency": "high" if room.is_direct or message.mentions_room or message.mentions else "normal",
    }


def pushes_for(*, message_id: int, now: datetime | None = None) -> list[Push]:
    """The pushes a newly committed message makes, one per device of each person to tell
    (the window is taken here: call once per message)."""
    message = Message.objects.select_related("sender", "room").filter(pk=message_id).first()
    if message is None or message.deleted_at is not None:
        return []
    members = selectors.push_candidates(room_id=message.room_id, sender_id=message.sender_id)
    if not members:
        return []
    now = now or timezone.now()
    thread_only = message.thread_id is not None and not message.also_to_room
    followers = (
        selectors.thread_follower_ids(root_id=message.thread_id)
        if message.thread_id and thread_only
        else None
    )
    online, idle = presence_sets()
    told: list[tuple[User, int]] = []
    for membership in members:
        user = membership.user
        if not wants(membership, message, followers=followers):
            continue
        if not not_looking(user, online=online, idle=idle, now=now):
            continue
        count = coalesce(user_id=user.pk, room_id=message.room_id)
        if count is not None:
            told.append((user, count))
    if not told:
        return []
    pair = _direct_pair(message.room)
    devices: dict[int, list[int]] = {}
    for sub_id, user_id in PushSubscription.objects.filter(user_id__in=[u.pk for u, _c in told]).values_list(
        "id", "user_id"
    ):
        devices.setdefault(user_id, []).append(sub_id)
    out: list[Push] = []
    for user, count in told:
        data = payload(message=message, recipient=user, count=count, pair=pair)
        out.extend(Push(sub_id, data) for sub_id in devices.get(user.pk, []))
    return out


# --- delivery -------------------------------------------------------------------------------


def encrypt(subscription: PushSubscription, data: bytes) -> bytes:
    """RFC 8291's aes128gcm body for the device's keys (pywebpush, with http_ece)."""
    pusher = WebPusher(
        {
            "endpoint": subscription.endpoint,
            "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
        }
    )
    return bytes(pusher.encode(data, "aes128gcm")["body"])


def request_headers(subscription: PushSubscription, data: dict[str, Any]) -> dict[str, str]:
    return {
        "Authorization": vapid.authorization(subscription.endpoint),
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "TTL": str(max(0, int(settings.PUSH_TTL))),
        "Urgency": str(data.get("urgency", "normal")),
        # RFC 8030 section 5.4: a push not yet delivered is replaced by a newer one of its room.
        "Topic": str(data.get("tag", ""))[:32],
    }


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def deliver(*, subscription_id: int, data: dict[str, Any]) -> str:
    """POST one push to one device. Returns what happened ("sent", "gone", "refused", "failed",
    "missing"); raises PushFailed when a retry may deliver it."""
    subscription = PushSubscription.objects.filter(pk=subscription_id).first()
    if subscription is None:
        return "missing"
    body = encrypt(subscription, json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode())
    try:
        answered = safefetch.fetch(
            "POST",
            subscription.endpoint,
            body=body,
            headers=request_headers(subscription, data),
            timeout=settings.PUSH_TIMEOUT,
            max_bytes=ANSWER_MAX,
            allow_private=settings.PUSH_ALLOW_PRIVATE,
        )
    except safefetch.Refused as exc:
        if exc.reason == "resolve":  # perhaps for a moment: retried
            raise PushFailed(str(exc)) from exc
        log.warning("push %s: endpoint refused (%s)", subscription_id, exc)
        failed(subscription_id=subscription_id)
        return "refused"
    except OSError as exc:
        raise PushFailed(str(exc)) from exc
    if 200 <= answered.status < 300:
        PushSubscription.objects.filter(pk=subscription_id).update(last_used_at=timezone.now(), failures=0)
        return "sent"
    if answered.status in (404, 410):
        log.info(
            "push %s: the push service forgot the device (HTTP %s); removed", subscription_id, answered.status
        )
        PushSubscription.objects.filter(pk=subscription_id).delete()
        return "gone"
    if answered.status == 429 or answered.status >= 500:
        raise PushFailed(f"HTTP {answered.status}", _retry_after(answered.headers.get("retry-after")))
    log.warning("push %s: refused by the push service with HTTP %s", subscription_id, answered.status)
    failed(subscription_id=subscription_id)
    return "failed"


def failed(*, subscription_id: int) -> None:
    """Count a push that failed for good; drop the device after PUSH_MAX_FAILURES in a row."""
    PushSubscription.objects.filter(pk=subscription_id).update(failures=F("failures") + 1)
    limit = max(1, settings.PUSH_MAX_FAILURES)
    gone, _rows = PushSubscription.objects.filter(pk=subscription_id, failures__gte=limit).delete()
    if gone:
        log.warning("push %s: removed after %s failed pushes in a row", subscription_id, limit)
