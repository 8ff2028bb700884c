"""Unread and mention counting: the one definition every count in Parley comes from.

Unread: the messages after the reader's marker that others wrote (thread replies only when
also sent to the room), counted exactly for the
first UNREAD_EXACT seqs after the marker (an index range scan, so a room with a million
unread messages costs no more than one with a thousand); every seq beyond that bound
counts as one, whoever wrote it (clients show "999+"). Mentions: the Mention rows in the
same window that name the reader, plus the owner's @room unless the reader wrote it.

The same count in the three shapes its readers need:
- `room_annotations`: the lobby's room list and room detail, one query however many rooms
  (rooms asks for it through `parley.rooms.counts`, which MessagingConfig fills);
- `unread_count` and `mention_count`: one room, when a read marker moves;
- `hello_rooms`: every room of a user on connect, as hand-written SQL (built by the ORM it
  cost more to compile than to run, docs/performance.md); a test holds it equal to the
  lobby's (parley/ws/tests/test_consumer.py).
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Count, Expression, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest

from parley.accounts.models import User
from parley.common.sql import q, table
from parley.messaging.models import Mention, Message
from parley.rooms.models import Membership, Room

UNREAD_EXACT = 1000


def _unread(room: Any, read: Any, user: User | int) -> QuerySet[Message]:
    """Others' messages in the exact window after `read` (values, or OuterRefs in a subquery).
    Thread replies count only when also sent to the room (their threads count them)."""
    return (
        Message.objects.filter(room=room, seq__gt=read, seq__lte=read + UNREAD_EXACT)
        .filter(Q(thread__isnull=True) | Q(also_to_room=True))
        .exclude(sender=user)
    )


def _mentions(room: Any, read: Any, user: User | int) -> tuple[QuerySet[Mention], QuerySet[Mention]]:
    """The mentions of `user` by name, and the @room ones others wrote, in the same window."""
    window = Mention.objects.filter(room=room, seq__gt=read, seq__lte=read + UNREAD_EXACT).order_by()
    return window.filter(user=user), window.filter(user__isnull=True).exclude(sender=user)


def _counted(rows: QuerySet[Any]) -> Expression:
    per_room = rows.order_by().values("room").annotate(n=Count("id")).values("n")
    return Coalesce(Subquery(per_room, output_field=IntegerField()), Value(0))


def room_annotations(user: User) -> dict[str, Expression]:
    """`unread_count` and `mention_count` for a Room queryset already annotated with
    `my_read` (the user's read marker; null where the user is no member: nothing unread)."""
    room, read = OuterRef("pk"), OuterRef("my_read")
    named, room_wide = _mentions(room, read, user)
    beyond = Greatest(F("last_seq") - Coalesce(F("my_read"), F("last_seq")) - UNREAD_EXACT, Value(0))
    return {
        "unread_count": _counted(_unread(room, read, user)) + beyond,
        "mention_count": _counted(named) + _counted(room_wide),
    }


def unread_count(*, user: User, room_id: int, after_seq: int) -> int:
    """One room's unread count after `after_seq`."""
    window = _unread(room_id, after_seq, user).count()
    head = Room.objects.filter(pk=room_id).values_list("last_seq", flat=True).first() or 0
    return window + max(head - after_seq - UNREAD_EXACT, 0)


def mention_count(*, user: User, room_id: int, after_seq: int) -> int:
    """One room's unread mentions of the user after `after_seq`: two index ranges over
    (room, user, seq); mentions beyond the exact window are not counted."""
    named, room_wide = _mentions(room_id, after_seq, user)
    return named.count() + room_wide.count()


def _hello_sql() -> str:
    """`room_annotations` written out for every room of one member (the part beyond
    UNREAD_EXACT is added in Python)."""
    room, member, message, mention = (table(m) for m in (Room, Membership, Message, Mention))
    in_window = (
        f"n.{q('room_id')} = r.{q('id')} AND n.{q('seq')} > mm.{q('last_read_seq')} "
        f"AND n.{q('seq')} <= mm.{q('last_read_seq')} + {UNREAD_EXACT}"
    )
    return (
        f"SELECT r.{q('id')}, r.{q('kind')}, r.{q('last_seq')}, mm.{q('last_read_seq')}, "
        f"(SELECT COUNT(*) FROM {message} m WHERE m.{q('room_id')} = r.{q('id')} "
        f"AND m.{q('seq')} > mm.{q('last_read_seq')} "
        f"AND m.{q('seq')} <= mm.{q('last_read_seq')} + {UNREAD_EXACT} "
        f"AND m.{q('sender_id')} <> %s "
        f"AND (m.{q('thread_id')} IS NULL OR m.{q('also_to_room')} = %s)), "
        f"(SELECT COUNT(*) FROM {mention} n WHERE {in_window} AND n.{q('user_id')} = %s), "
        f"(SELECT COUNT(*) FROM {mention} n WHERE {in_window} AND n.{q('user_id')} IS NULL "
        f"AND n.{q('sender_id')} <> %s) "
        f"FROM {member} mm JOIN {room} r ON r.{q('id')} = mm.{q('room_id')} "
        f"WHERE mm.{q('user_id')} = %s"
    )


def hello_rooms(*, user_id: int) -> list[dict[str, Any]]:
    """[{id, kind, last_seq, last_read_seq, unread_count, mention_count}] for the hello frame,
    in one query."""
    with connection.cursor() as cursor:
        cursor.execute(_hello_sql(), [user_id, True, user_id, user_id, user_id])
        rows = cursor.fetchall()
    return [
        {
            "id": int(room_id),
            "kind": kind,
            "last_seq": int(last_seq),
            "last_read_seq": int(read),
            "unread_count": int(counted) + max(int(last_seq) - int(read) - UNREAD_EXACT, 0),
            "mention_count": int(named) + int(room_wide),
        }
        for room_id, kind, last_seq, read, counted, named, room_wide in rows
    ]
