"""Retention: delete messages (and their log entries) older than an age.

The room's head (`last_seq`) never moves back, so seqs are never reused; a client
resuming from before a purge finds the log starting later than it asked and is
told `gap` (parley.realtime.connection), never handed another message under an
old seq. Deletion goes room by room in small batches so no transaction holds a
room for long. A thread root stays while its thread has newer replies (protocol 3).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from parley.messaging import store
from parley.messaging.models import Message, RoomEvent, ThreadSummary
from parley.rooms.models import Room

BATCH = 500


@dataclass
class PurgeResult:
    cutoff: datetime
    dry_run: bool
    messages: int = 0
    events: int = 0
    rooms: dict[str, int] = field(default_factory=dict)  # room name -> messages purged


def _purgeable(room_id: int | None, cutoff: datetime) -> QuerySet[Message]:
    """Messages older than `cutoff`, but for thread roots whose thread had a reply since:
    a root goes with its last reply, so no reply is left without the message it answers."""
    qs = Message.objects.filter(created_at__lt=cutoff).exclude(summary__last_reply_at__gte=cutoff)
    return qs if room_id is None else qs.filter(room_id=room_id)


def _recount(root_ids: set[int]) -> None:
    """The roots whose replies were purged count the replies left (the summary is a count of
    what the thread shows). Nothing is published: a purge never is (clients meet `gap`)."""
    if not root_ids:
        return
    left = (
        Message.objects.filter(thread_id=OuterRef("root_id"))
        .order_by()
        .values("thread_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    ThreadSummary.objects.filter(root_id__in=root_ids).update(reply_count=Coalesce(Subquery(left), Value(0)))


def purge_counts(*, cutoff: datetime, room_id: int | None = None) -> dict[int, int]:
    """Messages older than `cutoff` per room id (a thread root kept for its newer replies aside)."""
    qs = _purgeable(room_id, cutoff)
    return {row["room_id"]: row["n"] for row in qs.values("room_id").annotate(n=Count("id"))}


def messages_purge(
    *,
    cutoff: datetime,
    room_id: int | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> PurgeResult:
    """Delete the messages and log entries created before `cutoff` (in one room, or all).

    `progress(done, total)` is called after each batch."""
    counts = purge_counts(cutoff=cutoff, room_id=room_id)
    names = dict(Room.objects.filter(pk__in=counts).values_list("pk", "name"))
    result = PurgeResult(cutoff=cutoff, dry_run=dry_run)
    total = sum(counts.values())
    result.rooms = {names.get(pk, str(pk)): n for pk, n in counts.items()}
    if dry_run:
        result.messages = total
        result.events = RoomEvent.objects.filter(room_id__in=counts, created_at__lt=cutoff).count()
        return result
    done = 0
    for rid in sorted(counts):
        while True:
            with transaction.atomic():
                store.lock_room(rid)  # the thread summaries recounted below are written under it
                ids = list(_purgeable(rid, cutoff).order_by("seq").values_list("pk", flat=True)[:BATCH])
                if not ids:
                    break
                roots = set(
                    Message.objects.filter(pk__in=ids, thread__isnull=False).values_list(
                        "thread_id", flat=True
                    )
                )
                events, _count = RoomEvent.objects.filter(room_id=rid, message_id__in=ids).delete()
                # Counted by model: the total would add the rows deleted with them (reactions,
                # mentions, thread summaries).
                deleted = Message.objects.filter(pk__in=ids).delete()[1].get(Message._meta.label, 0)
                _recount(roots - set(ids))
            result.events += events
            result.messages += deleted
            done += deleted
            if progress:
                progress(done, total)
        # Log entries of other kinds (edits, deletions) older than the cutoff go too.
        result.events += RoomEvent.objects.filter(room_id=rid, created_at__lt=cutoff).delete()[0]
    return result
