"""What a digest reports, and to whom."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from parley.accounts.models import User
from parley.messaging import threads
from parley.messaging.models import Mention, Message, ThreadFollow
from parley.notify.models import PushSubscription
from parley.rooms.models import Membership, Notify

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
    which do not exist yet: when they do, this is the function to narrow.

    Protocol 3: thread replies are reported when the user follows the thread and has not
    read them there (after the thread's read marker), by the room's notification level:
    every reply with "all", those that mention the user with "mentions", none with
    "nothing". Replies also sent to the room count as room messages too (reported once)."""
    unread = Membership.objects.filter(room=OuterRef("room"), user=user, last_read_seq__lt=OuterRef("seq"))
    in_flow = Q(thread__isnull=True) | Q(also_to_room=True)
    wanted = Q(Exists(unread), in_flow)
    followed = threads.followed_root_ids(user=user)
    if followed:
        wanted |= _followed_replies(user, followed)
    qs = Message.objects.filter(wanted).exclude(sender=user).select_related("sender", "room")
    if since is not None:
        qs = qs.filter(created_at__gt=since)
    if until is not None:
        qs = qs.filter(created_at__lte=until)
    return list(qs.order_by("room_id", "seq")[:DIGEST_MAX])


def _followed_replies(user: User, followed: set[int]) -> Q:
    """Unread replies in the followed threads, as the room's notification level allows."""
    read_there = ThreadFollow.objects.filter(
        root=OuterRef("thread"), user=user, last_read_seq__gte=OuterRef("seq")
    )
    level = Membership.objects.filter(room=OuterRef("room"), user=user)
    mentioned = Mention.objects.filter(message=OuterRef("pk"), user=user)
    return (
        Q(thread_id__in=sorted(followed))
        & ~Exists(read_there)
        & (
            Exists(level.filter(notify=Notify.ALL))
            | (Exists(level.filter(notify=Notify.MENTIONS)) & Exists(mentioned))
        )
    )


def thread_follower_ids(*, root_id: int) -> set[int]:
    """Who follows the thread of `root_id` (parley/messaging/threads.py's rule, for one root
    instead of one user): its root's author, everyone who replied or was mentioned in a reply,
    unless their own choice says otherwise; plus those who chose to follow it."""
    derived = set(Message.objects.filter(pk=root_id).values_list("sender_id", flat=True))
    derived |= set(Message.objects.filter(thread_id=root_id).values_list("sender_id", flat=True).distinct())
    derived |= set(Mention.objects.filter(thread_id=root_id).values_list("user_id", flat=True).distinct())
    choices = dict(
        ThreadFollow.objects.filter(root_id=root_id, following__isnull=False).values_list(
            "user_id", "following"
        )
    )
    return {u for u in derived if choices.get(u, True)} | {u for u, yes in choices.items() if yes}


def push_candidates(*, room_id: int, sender_id: int) -> list[Membership]:
    """The members of the room who could get a push for a message of `sender_id`: people (not
    bots), active, other than the sender, not at "nothing", with at least one device."""
    return list(
        Membership.objects.filter(
            room_id=room_id,
            user__is_active=True,
            user__is_bot=False,
            user_id__in=PushSubscription.objects.values("user_id"),
        )
        .exclude(user_id=sender_id)
        .exclude(notify=Notify.NOTHING)
        .select_related("user")
    )
