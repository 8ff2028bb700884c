"""Message reads: keyset pages over (room, seq), the event log (unread: unread.py, search: search.py)."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber

from parley.accounts.models import User
from parley.messaging.models import Mention, Message, Reaction, Report, RoomEvent, ThreadFollow, summary_of
from parley.rooms.models import Room

# How many of the people behind one emoji a message lists (`users`): enough to name them
# on hover ("alice, bob and 38 others"), bounded so one popular message cannot make a page heavy.
REACTION_USERS_MAX = 20


def reactions_for(*, viewer: User, message_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """{message id: [{emoji, count, me, users}]} in the order each emoji first appeared: one query.

    `users` names the first REACTION_USERS_MAX people who reacted with the emoji (oldest
    first). Window functions count each (message, emoji) group and number its rows, and the
    filter keeps only the first rows of each group, so the query returns at most that many
    rows per emoji however many people reacted, in the same single statement as before."""
    if not message_ids:
        return {}
    group = [F("message_id"), F("emoji")]
    rows = (
        Reaction.objects.filter(message_id__in=message_ids)
        .annotate(
            n=Window(RowNumber(), partition_by=group, order_by=F("id").asc()),
            total=Window(Count("id"), partition_by=group),
            mine=Window(Max(Case(When(user_id=viewer.pk, then=1), default=0)), partition_by=group),
            first=Window(Min("id"), partition_by=group),
        )
        .filter(n__lte=REACTION_USERS_MAX)
        .values(
            "message_id", "emoji", "user_id", "user__display_name", "user__username", "total", "mine", "first"
        )
        .order_by("message_id", "first", "n")
    )
    out: dict[int, list[dict[str, Any]]] = {}
    last: dict[str, Any] | None = None
    for row in rows:
        mid = row["message_id"]
        if last is None or last["_key"] != (mid, row["emoji"]):
            last = {"_key": (mid, row["emoji"]), "emoji": row["emoji"], "count": row["total"]}
            last["me"] = row["mine"] > 0
            last["users"] = []
            out.setdefault(mid, []).append(last)
        name = row["user__display_name"] or row["user__username"]
        last["users"].append({"id": row["user_id"], "display_name": name})
    for reactions in out.values():
        for r in reactions:
            del r["_key"]
    return out


def with_reactions(messages: list[Message], viewer: User) -> list[Message]:
    """The messages as the viewer sees them: their reactions, and on thread roots whether
    the viewer follows the thread (one more query, only when a root with replies is among them)."""
    found = reactions_for(viewer=viewer, message_ids=[m.pk for m in messages])
    for m in messages:
        m.reaction_list = found.get(m.pk, [])
    return with_following(messages, viewer)


# --- protocol 3: who follows a thread (parley/messaging/threads.py says why it is derived) ---


def explicit_choice(user: User | int, root: Any) -> QuerySet[ThreadFollow]:
    return ThreadFollow.objects.filter(root=root, user=user)


def follow_annotations(user: User) -> dict[str, object]:
    """For a Message queryset of roots: `my_choice` (the explicit follow, or null), `my_read`
    (the thread read marker, 0 without one) and `derived` (wrote, replied in or was
    mentioned in the thread)."""
    root = OuterRef("pk")
    return {
        "my_choice": Subquery(explicit_choice(user, root).values("following")[:1]),
        "my_read": Coalesce(Subquery(explicit_choice(user, root).values("last_read_seq")[:1]), Value(0)),
        "derived": ExpressionWrapper(
            Q(sender=user)
            | Exists(Message.objects.filter(thread=root, sender=user))
            | Exists(Mention.objects.filter(thread=root, user=user)),
            output_field=BooleanField(),
        ),
    }


def following_of(choice: bool | None, derived: bool) -> bool:
    return bool(derived) if choice is None else bool(choice)


def with_following(messages: list[Message], viewer: User) -> list[Message]:
    """Set `viewer_following` on the roots among `messages` that have replies: one query, and
    none when no message of the page has a thread."""
    roots = {m.pk: m for m in messages if m.thread_id is None and summary_of(m) is not None}
    if not roots:
        return messages
    rows = (
        Message.objects.filter(pk__in=list(roots))  # type: ignore[misc]  # annotated names
        .annotate(**follow_annotations(viewer))  # type: ignore[arg-type]
        .values_list("pk", "my_choice", "derived")
    )
    for pk, choice, derived in rows:
        roots[pk].viewer_following = following_of(choice, derived)
    return messages


def _messages(room: Room, thread: int | None = None) -> Any:
    """The room's flow: thread replies only when also sent to the room (protocol 3). With
    `thread` (a root's id), that thread instead: the root and its replies."""
    flow = (
        Q(pk=thread) | Q(thread_id=thread)
        if thread is not None
        else Q(thread__isnull=True) | Q(also_to_room=True)
    )
    return (
        Message.objects.filter(room=room).filter(flow).select_related("sender", "reply_to__sender", "summary")
    )


def history_around(
    *, room: Room, viewer: User, around_seq: int, limit: int = 50, thread: int | None = None
) -> tuple[list[Message], bool, bool]:
    """The page centred on `around_seq` (a search hit): up to half of `limit` at or before it,
    the rest after; fewer on one side leave more room on the other. Returns the page (oldest
    first, reactions attached), whether older messages exist, whether newer ones do."""
    before = list(_messages(room, thread).filter(seq__lte=around_seq).order_by("-seq")[: limit + 1])
    after = list(_messages(room, thread).filter(seq__gt=around_seq).order_by("seq")[: limit + 1])
    older = max(limit - limit // 2, limit - len(after))
    newer = limit - min(len(before), older)
    page = [*reversed(before[:older]), *after[:newer]]
    return with_reactions(page, viewer), len(before) > older, len(after) > newer


def history_page(
    *,
    room: Room,
    viewer: User | None = None,
    before_seq: int | None = None,
    after_seq: int | None = None,
    limit: int = 50,
) -> tuple[list[Message], bool]:
    """One page, oldest first, walking the (room, seq) index: no OFFSET, nothing filtered in Python.

    No cursor: the newest page. `before_seq`: older than it. `after_seq`: newer
    than it (and, with both, the messages between). `has_more` says whether the
    walk can go on in the same direction. With a `viewer`, each message's
    reactions are loaded for that viewer (one more query for the page).
    """
    qs = _messages(room)
    if after_seq is not None:
        qs = qs.filter(seq__gt=after_seq)
        if before_seq is not None:
            qs = qs.filter(seq__lt=before_seq)
        rows = list(qs.order_by("seq")[: limit + 1])
        page, more = rows[:limit], len(rows) > limit
    else:
        if before_seq is not None:
            qs = qs.filter(seq__lt=before_seq)
        rows = list(qs.order_by("-seq")[: limit + 1])
        page, more = rows[:limit], len(rows) > limit
        page.reverse()
    return (with_reactions(page, viewer) if viewer is not None else page), more


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


def report_queue(*, status: str, before_id: int | None, limit: int) -> tuple[list[Report], int | None]:
    """Reports with `status`, newest first, `limit` per page after the cursor (a report id);
    the next cursor, or None on the last page. One query (message, room, people joined in)."""
    qs = Report.objects.filter(status=status).select_related(
        "message__sender", "message__room", "reporter", "resolved_by"
    )
    if before_id is not None:
        qs = qs.filter(pk__lt=before_id)
    rows = list(qs.order_by("-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].pk if more and rows else None)


def report_queue_item(*, report_id: int) -> Report:
    return Report.objects.select_related("message__sender", "message__room", "reporter", "resolved_by").get(
        pk=report_id
    )
