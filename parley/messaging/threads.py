"""Threads (protocol 3): reading one, following, read markers, the list of followed threads.

A thread reply is an ordinary message with `thread` set (stored by `services.message_send_batch`
like any other); this module holds what only threads have.

Following is derived, so that a reply writes nothing for it: a member follows a thread when
they wrote its root, replied in it, or were mentioned in a reply, unless their own choice
(`ThreadFollow.following`, set by POST/DELETE messages/{id}/follow) says otherwise. Each
rule is an index range over the user's own rows (`ThreadSummary.root_sender`, the partial
index of thread replies by sender, the partial index of thread mentions by user), so
listing one's threads costs in proportion to one's own activity, not to the room's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import (
    Count,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from parley.accounts.models import User
from parley.accounts.serializers import user_data
from parley.common.errors import NotFound
from parley.messaging import selectors, store
from parley.messaging.models import Mention, Message, ThreadFollow, ThreadSummary, summary_of
from parley.messaging.selectors import explicit_choice, follow_annotations, following_of
from parley.realtime import protocol, publish
from parley.rooms.models import Membership
from parley.rooms.selectors import room_for_member


def _loaded() -> QuerySet[Message]:
    return Message.objects.select_related("sender", "reply_to__sender", "summary")


def thread_root(*, viewer: User, message_id: int) -> Message:
    """The root of the thread `message_id` belongs to (itself when it is a root), if the viewer
    may read its room: a private room's messages do not exist for outsiders (404), a public
    room's are 403 until they join (as history)."""
    found = Message.objects.filter(pk=message_id).values_list("room_id", "thread_id").first()
    if found is None:
        raise NotFound(_("No such message."))
    room_id, thread_id = found
    room_for_member(user=viewer, room_id=room_id)
    root = _loaded().filter(pk=thread_id or message_id).first()
    if root is None:
        raise NotFound(_("No such message."))
    return root


def unread_in(*, user: User | int, root_id: int, after_seq: int) -> int:
    """Replies by others after `after_seq`: an index range over (thread, seq)."""
    return Message.objects.filter(thread_id=root_id, seq__gt=after_seq).exclude(sender=user).count()


@dataclass(frozen=True)
class ThreadPage:
    root: Message
    replies: list[Message]
    has_more: bool
    last_read_seq: int
    unread_count: int


def thread_page(
    *,
    viewer: User,
    message_id: int,
    after_seq: int = 0,
    before_seq: int | None = None,
    limit: int = 50,
) -> ThreadPage:
    """The root and up to `limit` replies, oldest first (reactions attached for the viewer),
    and the viewer's read marker in the thread.

    Forward (`after_seq`, the default from the first reply): the replies after it, and
    `has_more` says newer ones exist. Backward (`before_seq`): the `limit` replies just
    before it, and `has_more` says older ones exist, as in a room's history: a client opens
    a long thread at its newest page and walks back. Both walk the (thread, seq) index with
    one statement and cost the same."""
    root = thread_root(viewer=viewer, message_id=message_id)
    qs = _loaded().filter(thread=root)
    if before_seq is None:
        rows = list(qs.filter(seq__gt=after_seq).order_by("seq")[: limit + 1])
        replies = rows[:limit]
    else:
        rows = list(qs.filter(seq__lt=before_seq).order_by("-seq")[: limit + 1])
        replies = rows[:limit][::-1]
    selectors.with_reactions([root, *replies], viewer)
    read = explicit_choice(viewer, root).values_list("last_read_seq", flat=True).first() or 0
    return ThreadPage(
        root, replies, len(rows) > limit, read, unread_in(user=viewer, root_id=root.pk, after_seq=read)
    )


def _state(user: User, root: Message) -> tuple[bool, int, int]:
    """(following, last_read_seq, unread_count) of the user in the root's thread."""
    row = (
        Message.objects.filter(pk=root.pk)  # type: ignore[misc]  # annotated names
        .annotate(**follow_annotations(user))  # type: ignore[arg-type]
        .values_list("my_choice", "derived", "my_read")
        .get()
    )
    read = int(row[2])
    return following_of(row[0], row[1]), read, unread_in(user=user, root_id=root.pk, after_seq=read)


def _publish_state(user: User, root: Message) -> tuple[bool, int, int]:
    following, read, unread = _state(user, root)
    publish.user_frame(
        user_id=user.pk,
        frame=protocol.thread_state(
            room=root.room_id, root=root.pk, following=following, last_read_seq=read, unread_count=unread
        ),
    )
    return following, read, unread


def thread_follow(*, user: User, message_id: int, following: bool) -> bool:
    """Follow or stop following the thread of `message_id` (a root, or a reply in it: its root's
    thread). A thread may be followed before anyone replied. The choice is the user's own and
    stays until they change it; their other sockets hear `thread.state`."""
    root = thread_root(viewer=user, message_id=message_id)
    with transaction.atomic():
        row, created = ThreadFollow.objects.get_or_create(
            root=root, user=user, defaults={"room_id": root.room_id, "following": following}
        )
        if not created and row.following is not following:
            row.following = following
            row.save(update_fields=["following"])
        return _publish_state(user, root)[0]


def thread_mark_read(*, user: User, message_id: int, seq: int) -> tuple[int, int]:
    """Move the user's read marker in the thread forward (never back; at most to its last
    reply); returns (last_read_seq, unread_count). Reading a thread does not follow it."""
    root = thread_root(viewer=user, message_id=message_id)
    summary = summary_of(root)
    seq = min(seq, summary.last_reply_seq if summary is not None else 0)
    with transaction.atomic():
        row, created = ThreadFollow.objects.get_or_create(
            root=root, user=user, defaults={"room_id": root.room_id, "last_read_seq": seq}
        )
        moved = created or row.last_read_seq < seq
        if not created and moved:
            ThreadFollow.objects.filter(pk=row.pk, last_read_seq__lt=seq).update(last_read_seq=seq)
        if moved:
            _following, read, unread = _publish_state(user, root)
            return read, unread
    return row.last_read_seq, unread_in(user=user, root_id=root.pk, after_seq=row.last_read_seq)


@dataclass(frozen=True)
class FollowedThread:
    root: Message
    room: int
    unread_count: int
    last_reply_at: datetime
    last_read_seq: int


def followed_root_ids(*, user: User) -> set[int]:
    """The roots of every thread the user follows, in rooms they are a member of (threads
    with replies only: a thread begins with its first reply)."""
    rooms = Membership.objects.filter(user=user).values("room_id")
    wrote = ThreadSummary.objects.filter(root_sender=user, room_id__in=rooms).values_list(
        "root_id", flat=True
    )
    replied = Message.objects.filter(sender=user, thread__isnull=False).values_list("thread_id", flat=True)
    mentioned = Mention.objects.filter(user=user, thread__isnull=False).values_list("thread_id", flat=True)
    choices = dict(
        ThreadFollow.objects.filter(user=user, following__isnull=False).values_list("root_id", "following")
    )
    derived = {*wrote, *replied.distinct(), *mentioned.distinct()}
    return {r for r in derived if choices.get(r, True)} | {r for r, yes in choices.items() if yes}


def threads_followed(*, user: User, limit: int = 50) -> list[FollowedThread]:
    """The threads the user follows, newest reply first, with their unread reply counts."""
    ids = followed_root_ids(user=user)
    if not ids:
        return []
    rooms = Membership.objects.filter(user=user).values("room_id")
    read = Coalesce(
        Subquery(explicit_choice(user, OuterRef("root_id")).values("last_read_seq")[:1]), Value(0)
    )
    unread = (
        Message.objects.filter(thread_id=OuterRef("root_id"), seq__gt=OuterRef("my_read"))
        .exclude(sender=user)
        .order_by()
        .values("thread_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    summaries = list(
        ThreadSummary.objects.filter(root_id__in=ids, room_id__in=rooms)
        .annotate(my_read=read)
        .annotate(unread=Coalesce(Subquery(unread), Value(0)))
        .order_by(F("last_reply_at").desc(), F("root_id").desc())[:limit]
    )
    roots = {m.pk: m for m in _loaded().filter(pk__in=[s.root_id for s in summaries])}
    for root in roots.values():
        root.viewer_following = True
    selectors.with_reactions(list(roots.values()), user)
    return [
        FollowedThread(roots[s.root_id], s.room_id, s.unread, s.last_reply_at, s.my_read)  # type: ignore[attr-defined]
        for s in summaries
        if s.root_id in roots
    ]


def participants_refresh(*, user: User) -> int:
    """Write what `user_data` says of the user now over their entries in thread summaries'
    participants (a copy taken at each reply, so that a root's frame reads no user rows):
    after an account's deletion its old name and picture must not stay on the threads it
    replied in. Per room, under the room's lock like every summary write; returns how many
    summaries changed. A summary's next frame carries the new entry; clients already heard
    `user.updated`."""
    who = user_data(user)
    roots = Message.objects.filter(sender=user, thread__isnull=False).values("thread_id")
    rooms = sorted(set(ThreadSummary.objects.filter(root_id__in=roots).values_list("room_id", flat=True)))
    changed = 0
    for room_id in rooms:
        with transaction.atomic():
            store.lock_room(room_id)
            for summary in ThreadSummary.objects.filter(room_id=room_id, root_id__in=roots):
                entries = [who if p.get("id") == user.pk else p for p in summary.participants]
                if entries != summary.participants:
                    summary.participants = entries
                    summary.save(update_fields=["participants"])
                    changed += 1
    return changed
