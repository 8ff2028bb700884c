"""Retention: delete messages (and their log entries) older than an age.

The room's head (`last_seq`) never moves back, so seqs are never reused; a client
resuming from before a purge finds the log starting later than it asked and is
told `gap` (parley.realtime.connection), never handed another message under an
old seq. Deletion goes room by room in small batches so no transaction holds a
room for long.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Count

from parley.messaging.models import Message, RoomEvent
from parley.rooms.models import Room

BATCH = 500


@dataclass
class PurgeResult:
    cutoff: datetime
    dry_run: bool
    messages: int = 0
    events: int = 0
    rooms: dict[str, int] = field(default_factory=dict)  # room name -> messages purged


def purge_counts(*, cutoff: datetime, room_id: int | None = None) -> dict[int, int]:
    """Messages older than `cutoff` per room id."""
    qs = Message.objects.filter(created_at__lt=cutoff)
    if room_id is not None:
        qs = qs.filter(room_id=room_id)
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
                ids = list(
                    Message.objects.filter(room_id=rid, created_at__lt=cutoff)
                    .order_by("seq")
                    .values_list("pk", flat=True)[:BATCH]
                )
                if not ids:
                    break
                events, _count = RoomEvent.objects.filter(room_id=rid, message_id__in=ids).delete()
                deleted, _count = Message.objects.filter(pk__in=ids).delete()
            result.events += events
            result.messages += deleted
            done += deleted
            if progress:
                progress(done, total)
        # Log entries of other kinds (edits, deletions) older than the cutoff go too.
        result.events += RoomEvent.objects.filter(room_id=rid, created_at__lt=cutoff).delete()[0]
    return result
