"""Retention: delete messages (and their log entries) older than an age.

The room's head (`last_seq`) never moves back, so seqs are never reused; a client
resuming from before a purge finds the log starting later than it asked and is
told `gap` (parley.realtime.connection), never handed another message under an
old seq. Deletion goes room by room in small batches so no transaction holds a
room for long. A thread root stays while its thread has newer replies (protocol 3).

Each room's age comes from its policy (issue 32): the room's own `retention_days`
when its owner set one, else the server's default (PURGE_OLDER_THAN, or the age
given to `manage.py purge --older-than`); a room with neither keeps everything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

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
    # room name -> (age kept, "room" or "server"), for the rooms with something to purge
    policies: dict[str, tuple[timedelta, str]] = field(default_factory=dict)


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


def room_cutoffs(
    *, now: datetime, default_age: timedelta | None, room_id: int | None = None
) -> tuple[dict[int, datetime], datetime | None]:
    """The rooms with their own retention and their cutoffs, and the default cutoff for the
    others (None when the server keeps everything). Few rooms set their own: one query."""
    rooms = Room.objects.filter(retention_days__isnull=False)
    if room_id is not None:
        rooms = rooms.filter(pk=room_id)
    own = {pk: now - timedelta(days=days or 0) for pk, days in rooms.values_list("pk", "retention_days")}
    default = now - default_age if default_age is not None and default_age > timedelta(0) else None
    return own, default


def policy_counts(
    *, now: datetime, default_age: timedelta | None, room_id: int | None = None
) -> dict[int, tuple[datetime, int]]:
    """Per room id: its cutoff and how many messages are older than it (rooms with none left out)."""
    own, default = room_cutoffs(now=now, default_age=default_age, room_id=room_id)
    found: dict[int, tuple[datetime, int]] = {}
    for pk, cutoff in own.items():
        n = _purgeable(pk, cutoff).count()
        if n:
            found[pk] = (cutoff, n)
    if default is not None:
        qs = _purgeable(room_id, default).filter(room__retention_days__isnull=True)
        for row in qs.values("room_id").annotate(n=Count("id")):
            found[row["room_id"]] = (default, row["n"])
    return found


def messages_purge_by_policy(
    *,
    now: datetime,
    default_age: timedelta | None,
    room_id: int | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> PurgeResult:
    """Purge every room by its own policy (see the module's docstring)."""
    plan = policy_counts(now=now, default_age=default_age, room_id=room_id)
    rooms = {
        pk: (name, days)
        for pk, name, days in Room.objects.filter(pk__in=plan).values_list("pk", "name", "retention_days")
    }
    result = PurgeResult(cutoff=now - default_age if default_age else now, dry_run=dry_run)
    total = sum(n for _cutoff, n in plan.values())
    done = 0
    for pk in sorted(plan):
        cutoff, n = plan[pk]
        name, days = rooms.get(pk, (str(pk), None))
        result.rooms[name] = n
        result.policies[name] = (
            (timedelta(days=days), "room") if days is not None else (default_age or timedelta(0), "server")
        )
        if dry_run:
            result.messages += n
            result.events += RoomEvent.objects.filter(room_id=pk, created_at__lt=cutoff).count()
            continue
        messages, events = _purge_room(pk, cutoff, _reporter(progress, done, total))
        done += messages
        result.messages += messages
        result.events += events
    return result


def _reporter(progress: Callable[[int, int], None] | None, base: int, total: int) -> Callable[[int], None]:
    """`progress(done, total)` for one room's batches, counting on from the rooms before it."""

    def report(done_here: int) -> None:
        if progress is not None:
            progress(base + done_here, total)

    return report


def _purge_room(rid: int, cutoff: datetime, progress: Callable[[int], None]) -> tuple[int, int]:
    """Delete one room's messages and log entries older than `cutoff`, in batches; returns
    (messages, log entries) deleted. `progress(done in this room)` after each batch."""
    messages = events = 0
    while True:
        with transaction.atomic():
            store.lock_room(rid)  # the thread summaries recounted below are written under it
            ids = list(_purgeable(rid, cutoff).order_by("seq").values_list("pk", flat=True)[:BATCH])
            if not ids:
                break
            roots = set(
                Message.objects.filter(pk__in=ids, thread__isnull=False).values_list("thread_id", flat=True)
            )
            ev, _count = RoomEvent.objects.filter(room_id=rid, message_id__in=ids).delete()
            # Counted by model: the total would add the rows deleted with them (reactions,
            # mentions, thread summaries).
            _total, per_model = Message.objects.filter(pk__in=ids).delete()
            _recount(roots - set(ids))
        events += ev
        messages += per_model.get(Message._meta.label, 0)
        progress(messages)
    # Log entries of other kinds (edits, deletions) older than the cutoff go too.
    events += RoomEvent.objects.filter(room_id=rid, created_at__lt=cutoff).delete()[0]
    return messages, events


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
        messages, events = _purge_room(rid, cutoff, _reporter(progress, done, total))
        done += messages
        result.messages += messages
        result.events += events
    return result
