"""Aggregation of messages into the statistics tables, incrementally (docs/decisions.md, "Statistics")."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from parley.messaging.models import Message
from parley.stats.models import HourDay, RoomDay, SenderDay, StatsCursor

CURSOR = "messages"
BATCH = 5000


def default_settle() -> timedelta:
    """Only messages older than STATS_SETTLE (30 s) are read: a send's transaction still open
    when the aggregation runs could commit a lower id after a higher one was read, and the
    cursor would have passed it. Sends commit in milliseconds; half a minute is a wide margin."""
    return timedelta(seconds=settings.STATS_SETTLE)


@dataclass(frozen=True)
class AggregateResult:
    messages: int
    last_message_id: int


def stats_aggregate(
    *, now: datetime | None = None, settle: timedelta | None = None, batch: int = BATCH
) -> AggregateResult:
    """Add the messages stored since the last run to the daily counts; returns how many were added.

    Reads messages by id after the cursor, in batches of `batch`, and stops at the first
    one newer than `now - settle`. Each batch, its counts and the cursor's move commit
    together, under a lock on the cursor, so two runs never count a message twice and a
    second run with nothing new changes nothing."""
    cutoff = (now or timezone.now()) - (default_settle() if settle is None else settle)
    total = 0
    while True:
        with transaction.atomic():
            cursor = _cursor_locked()
            rows = list(
                Message.objects.filter(id__gt=cursor.last_message_id)
                .order_by("id")
                .values_list("id", "room_id", "sender_id", "created_at")[:batch]
            )
            settled = list(_until(rows, cutoff))
            if settled:
                _add(settled)
                cursor.last_message_id = settled[-1][0]
            cursor.updated_at = timezone.now()
            cursor.save(update_fields=["last_message_id", "updated_at"])
        total += len(settled)
        if len(settled) < batch:
            return AggregateResult(messages=total, last_message_id=cursor.last_message_id)


def _cursor_locked() -> StatsCursor:
    cursor = StatsCursor.objects.select_for_update().filter(name=CURSOR).first()
    if cursor is None:
        StatsCursor.objects.get_or_create(name=CURSOR)
        cursor = StatsCursor.objects.select_for_update().get(name=CURSOR)
    return cursor


Row = tuple[int, int, int, datetime]


def _until(rows: list[Row], cutoff: datetime) -> Iterator[Row]:
    """The rows up to (not including) the first one created at or after `cutoff`."""
    for row in rows:
        if row[3] >= cutoff:
            return
        yield row


def _add(rows: list[Row]) -> None:
    per_sender: Counter[tuple[date, int, int]] = Counter()
    per_hour: Counter[tuple[date, int]] = Counter()
    for _id, room_id, sender_id, created_at in rows:
        at = created_at.astimezone(UTC)
        per_sender[(at.date(), room_id, sender_id)] += 1
        per_hour[(at.date(), at.hour)] += 1

    days = {key[0] for key in per_sender}
    rooms = {key[1] for key in per_sender}
    users = {key[2] for key in per_sender}

    # Senders: a row per (day, room, user); a new row is a new distinct sender of that room's day.
    known = {
        (s.day, s.room_id, s.user_id): s
        for s in SenderDay.objects.filter(day__in=days, room_id__in=rooms, user_id__in=users)
    }
    new_senders: Counter[tuple[date, int]] = Counter()
    per_room: Counter[tuple[date, int]] = Counter()
    changed: list[SenderDay] = []
    created: list[SenderDay] = []
    for (day, room_id, user_id), n in per_sender.items():
        per_room[(day, room_id)] += n
        row = known.get((day, room_id, user_id))
        if row is None:
            created.append(SenderDay(day=day, room_id=room_id, user_id=user_id, messages=n))
            new_senders[(day, room_id)] += 1
        else:
            row.messages += n
            changed.append(row)
    SenderDay.objects.bulk_update(changed, ["messages"], batch_size=500)
    SenderDay.objects.bulk_create(created, batch_size=500)

    room_days = {(r.day, r.room_id): r for r in RoomDay.objects.filter(day__in=days, room_id__in=rooms)}
    changed_rooms: list[RoomDay] = []
    created_rooms: list[RoomDay] = []
    for (day, room_id), n in per_room.items():
        room_day = room_days.get((day, room_id))
        if room_day is None:
            created_rooms.append(
                RoomDay(day=day, room_id=room_id, messages=n, senders=new_senders[(day, room_id)])
            )
        else:
            room_day.messages += n
            room_day.senders += new_senders[(day, room_id)]
            changed_rooms.append(room_day)
    RoomDay.objects.bulk_update(changed_rooms, ["messages", "senders"], batch_size=500)
    RoomDay.objects.bulk_create(created_rooms, batch_size=500)

    hours = {(h.day, h.hour): h for h in HourDay.objects.filter(day__in=days)}
    changed_hours: list[HourDay] = []
    created_hours: list[HourDay] = []
    for (day, hour), n in per_hour.items():
        hour_day = hours.get((day, hour))
        if hour_day is None:
            created_hours.append(HourDay(day=day, hour=hour, messages=n))
        else:
            hour_day.messages += n
            changed_hours.append(hour_day)
    HourDay.objects.bulk_update(changed_hours, ["messages"], batch_size=500)
    HourDay.objects.bulk_create(created_hours, batch_size=500)
