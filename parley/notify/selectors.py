"""What a digest reports, and to whom."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet

from parley.accounts.models import User
from parley.messaging.models import Message
from parley.rooms.models import Membership

DIGEST_MAX = 200


def digest_recipients() -> QuerySet[User]:
    """Registered, active users with a verified address who want digests."""
    return User.objects.filter(
        is_active=True, is_guest=False, email_verified=True, digest_enabled=True
    ).exclude(email="")


def missed_messages(*, user: User, since: datetime | None, until: datetime | None = None) -> list[Message]:
    """The messages a digest reports: in the user's rooms, from someone else, still unread
    (after the membership's `last_read_seq`) and created after `since` (up to `until`).

    This is the digest's one source. It stands in for "mentions and direct messages",
    which do not exist yet: when they do, this is the function to narrow."""
    unread = Membership.objects.filter(room=OuterRef("room"), user=user, last_read_seq__lt=OuterRef("seq"))
    qs = Message.objects.filter(Exists(unread)).exclude(sender=user).select_related("sender", "room")
    if since is not None:
        qs = qs.filter(created_at__gt=since)
    if until is not None:
        qs = qs.filter(created_at__lte=until)
    return list(qs.order_by("room_id", "seq")[:DIGEST_MAX])
