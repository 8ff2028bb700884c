"""Digests: one mail of what an offline user missed, at most one per MAIL_DIGEST_DELAY."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from django.conf import settings
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parley.accounts.models import User
from parley.common import mail
from parley.common.errors import Invalid
from parley.notify import selectors
from parley.rooms.selectors import online_user_ids

UNSUBSCRIBE_SALT = "parley.notify.unsubscribe"
PER_ROOM = 5


def unsubscribe_token(user: User) -> str:
    return signing.dumps(user.pk, salt=UNSUBSCRIBE_SALT)


def digest_unsubscribe(*, token: str) -> User:
    """Turn digests off for the user named by a (signed, non-expiring) unsubscribe token."""
    try:
        user_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature as exc:
        raise Invalid(_("This link is invalid."), code="invalid_token") from exc
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise Invalid(_("This link is invalid."), code="invalid_token")
    if user.digest_enabled:
        user.digest_enabled = False
        user.save(update_fields=["digest_enabled"])
    return user


def digest_send(*, user: User, now: datetime | None = None) -> int:
    """Mail `user` one digest when the oldest message they missed has waited MAIL_DIGEST_DELAY.

    The mail reports everything missed up to now, and `digest_through` moves to now, so a
    burst of messages makes one mail and the next needs a newer message to wait again.
    Returns how many messages it reported (0: no mail)."""
    now = now or timezone.now()
    if user.digest_through is None:  # nothing before digests started counts as missed
        user.digest_through = now
        user.save(update_fields=["digest_through"])
        return 0
    due = now - timedelta(seconds=settings.MAIL_DIGEST_DELAY)
    if not selectors.missed_messages(user=user, since=user.digest_through, until=due)[:1]:
        return 0
    missed = selectors.missed_messages(user=user, since=user.digest_through, until=now)
    rooms: list[dict[str, Any]] = []
    for _room_id, group in groupby(missed, key=lambda m: m.room_id):
        items = list(group)
        rooms.append(
            {
                "name": items[0].room.name,
                "count": len(items),
                "more": max(len(items) - PER_ROOM, 0),
                "messages": [{"sender": m.sender.shown_name, "body": m.body} for m in items[-PER_ROOM:]],
            }
        )
    link = mail.site_link(f"/api/v1/mail/unsubscribe?token={unsubscribe_token(user)}")
    mail.send(
        to=user.email,
        language=user.language,
        time_zone=user.time_zone,
        template="digest",
        context={
            "name": user.shown_name,
            "rooms": rooms,
            "total": len(missed),
            "unsubscribe": link,
            "delay_minutes": max(1, int(settings.MAIL_DIGEST_DELAY // 60)),
        },
        # RFC 8058 one-click unsubscribe: mail clients POST to the link.
        headers={"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    user.digest_through = now
    user.save(update_fields=["digest_through"])
    return len(missed)


def digests_send_due(*, now: datetime | None = None) -> int:
    """Send every digest that is due to users who are offline now; returns the mails sent."""
    now = now or timezone.now()
    online = online_user_ids()
    sent = 0
    for user in selectors.digest_recipients().iterator():
        if user.pk not in online and digest_send(user=user, now=now):
            sent += 1
    return sent
