"""Message reads: keyset pages over (room, seq), the event log, search, unread."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q

from parley.accounts.models import User
from parley.messaging.models import Message, RoomEvent
from parley.rooms.models import Membership, Room


def history_page(
    *, room: Room, before_seq: int | None = None, after_seq: int | None = None, limit: int = 50
) -> tuple[list[Message], bool]:
    """One page, oldest first, walking the (room, seq) index: no OFFSET, nothing filtered in Python.

    No cursor: the newest page. `before_seq`: older than it. `after_seq`: newer
    than it (and, with both, the messages between). `has_more` says whether the
    walk can go on in the same direction.
    """
    qs = Message.objects.filter(room=room).select_related("sender")
    if after_seq is not None:
        qs = qs.filter(seq__gt=after_seq)
        if before_seq is not None:
            qs = qs.filter(seq__lt=before_seq)
        rows = list(qs.order_by("seq")[: limit + 1])
        return rows[:limit], len(rows) > limit
    if before_seq is not None:
        qs = qs.filter(seq__lt=before_seq)
    rows = list(qs.order_by("-seq")[: limit + 1])
    page = rows[:limit]
    page.reverse()
    return page, len(rows) > limit


def events_after(*, room_id: int, after_seq: int, limit: int) -> tuple[list[tuple[int, str]], int]:
    """The room's logged events after `after_seq` as (seq, frame text), and the room's head.

    The head is read first: every event up to it was committed before the log is read, so
    the log holds them all (up to `limit`). Read after the log, a message committed between
    the two reads would count in the head without being among the rows, and a caller that
    takes the head as "caught up to" would skip it for good."""
    head = Room.objects.filter(pk=room_id).values_list("last_seq", flat=True).first() or 0
    rows = list(
        RoomEvent.objects.filter(room_id=room_id, seq__gt=after_seq)
        .order_by("seq")
        .values_list("seq", "frame")[:limit]
    )
    return rows, head


def unread_count(*, user: User, room_id: int, after_seq: int) -> int:
    """Exact up to UNREAD_EXACT; beyond it every later event counts (clients show "999+")."""
    from parley.rooms.selectors import UNREAD_EXACT

    window = (
        Message.objects.filter(room_id=room_id, seq__gt=after_seq, seq__lte=after_seq + UNREAD_EXACT)
        .exclude(sender=user)
        .count()
    )
    head = Room.objects.filter(pk=room_id).values_list("last_seq", flat=True).first() or 0
    return window + max(head - after_seq - UNREAD_EXACT, 0)


def _segments(body: str, terms: list[str]) -> list[dict[str, Any]]:
    """Split `body` into plain-text segments marking the matches; clients never render HTML."""
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    out: list[dict[str, Any]] = []
    pos = 0
    for m in pattern.finditer(body):
        if m.start() > pos:
            out.append({"text": body[pos : m.start()], "match": False})
        out.append({"text": m.group(0), "match": True})
        pos = m.end()
    if pos < len(body):
        out.append({"text": body[pos:], "match": False})
    return out


def search(*, user: User, q: str, room_id: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Messages containing every word of `q`, newest first, only from the user's rooms."""
    terms = [t for t in q.split() if t][:10]
    if not terms:
        return []
    rooms = Membership.objects.filter(user=user).values("room_id")
    cond = Q()
    for term in terms:
        cond &= Q(body__icontains=term)
    qs = Message.objects.filter(cond, room_id__in=rooms).select_related("sender")
    if room_id is not None:
        qs = qs.filter(room_id=room_id)
    rows = list(qs.order_by("-created_at", "-id")[:limit])
    return [{"message": m, "highlight": _segments(m.body, terms)} for m in rows]
