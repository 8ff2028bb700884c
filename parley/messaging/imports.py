"""Writing history that happened elsewhere (an import, issue 32): many messages to one room
in bulk, with their original times, each taking the next seq in the order given.

Unlike a send, nothing is published live: an import runs offline (a management command),
and clients read the history when they next open the room. What a send stores, an import
stores too, so imported messages are like any other afterwards: the log entry whose frame
resume replays, the search terms (the index is current at once: docs/search.md), the
mention rows, the reactions, the thread summaries. The statements per chunk do not depend
on its size.

A root's logged frame is the root as it was when written (no replies yet); its thread
summary is current in the table that history and thread pages read. A live send would
also log a `message.updated` of the root per reply; an import logs none (they would
only repeat the summary, one seq each)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction

from parley.accounts.models import User
from parley.accounts.serializers import user_data
from parley.messaging import store
from parley.messaging.excerpts import plain_excerpt
from parley.messaging.models import PARTICIPANTS_MAX, Message, Reaction, RoomEvent, ThreadSummary
from parley.messaging.serializers import message_data
from parley.messaging.services import (
    _mention_rows,
    _mentions_of,
    _no_summary,
    _resolve_mentions,
    _search_text,
)
from parley.realtime import protocol
from parley.rooms.models import Membership, Room
from parley.uploads.models import Upload
from parley.uploads.serializers import attachment_data


@dataclass
class ImportedMessage:
    """One message to import. `client_id` is its stable key (unique per sender): the
    importer derives it from the source's own ids, so a message imported once is found again.

    It quotes `reply_to` and replies in the thread of `thread` (each a message stored
    earlier), or of the item at `reply_to_index` / `thread_index` of the same call (stored
    in the same statement, so its id is not known yet)."""

    sender: User
    body: str
    created_at: datetime
    client_id: str
    edited_at: datetime | None = None
    reply_to: Message | None = None
    reply_to_index: int | None = None
    thread: Message | None = None
    thread_index: int | None = None
    also_to_room: bool = False
    reactions: list[tuple[int, str]] = field(default_factory=list)  # (user id, emoji)
    uploads: list[Upload] = field(default_factory=list)


def _pick(messages: list[Message], given: Message | None, index: int | None) -> Message | None:
    return given if index is None else messages[index]


def _count_replies(replies: list[Message]) -> None:
    """Add `replies` (in seq order) to their roots' summaries: one read, one upsert."""
    if not replies:
        return
    root_ids = sorted({m.thread_id for m in replies if m.thread_id is not None})
    summaries = {s.root_id: s for s in ThreadSummary.objects.filter(root_id__in=root_ids)}
    for message in replies:
        root = message.thread
        assert root is not None
        summary = summaries.get(root.pk)
        if summary is None:
            summary = summaries[root.pk] = ThreadSummary(
                root_id=root.pk,
                room_id=root.room_id,
                root_sender_id=root.sender_id,
                reply_count=0,
                participants=[],
            )
        summary.reply_count += 1
        summary.last_reply_at = message.created_at
        summary.last_reply_seq = message.seq
        who = user_data(message.sender)
        summary.participants = [who, *(p for p in summary.participants if p["id"] != who["id"])][
            :PARTICIPANTS_MAX
        ]
    target = ["root"] if connection.features.supports_update_conflicts_with_target else None
    ThreadSummary.objects.bulk_create(
        list(summaries.values()),
        update_conflicts=True,
        unique_fields=target,
        update_fields=["reply_count", "last_reply_at", "last_reply_seq", "participants"],
    )


def messages_import(*, room_id: int, items: Sequence[ImportedMessage]) -> list[Message]:
    """Store `items` in `room_id` after its current head, in the order given, in one
    transaction under the room's lock; returns the stored messages (with their pks).

    Members' read markers move to the new head: imported history is not "unread"."""
    if not items:
        return []
    with transaction.atomic():
        room = Room.objects.select_for_update().get(pk=room_id)
        seq = room.last_seq
        named = _resolve_mentions(room_id, (item.body for item in items))
        messages: list[Message] = []
        for item in items:
            seq += 1
            mentioned, room_wide = _mentions_of(
                item.body, sender_id=item.sender.pk, owner_id=room.owner_id, members=named
            )
            target = _pick(messages, item.reply_to, item.reply_to_index)
            message = Message(
                room_id=room_id,
                seq=seq,
                sender=item.sender,
                body=item.body,
                client_id=item.client_id,
                created_at=item.created_at,
                edited_at=item.edited_at,
                reply_excerpt="" if target is None or target.deleted else plain_excerpt(target.body),
                mentions=mentioned,
                mentions_room=room_wide,
                search_text=_search_text(item.body),
                attachments=[attachment_data(u) for u in item.uploads],
                also_to_room=item.also_to_room and (item.thread is not None or item.thread_index is not None),
            )
            _no_summary(message)  # its replies are counted below, in the table
            messages.append(message)
        # Inserted without their reply and thread targets (a target may be in this very
        # statement, its id unknown until now), which one UPDATE then sets.
        store.insert_messages(messages)
        linked: list[Message] = []
        for message, item in zip(messages, items, strict=True):
            target = _pick(messages, item.reply_to, item.reply_to_index)
            root = _pick(messages, item.thread, item.thread_index)
            if target is not None:
                message.reply_to = target
            if root is not None:
                message.thread = root
            if target is not None or root is not None:
                linked.append(message)
        if linked:
            Message.objects.bulk_update(linked, ["reply_to", "thread"], batch_size=500)
        _count_replies([m for m in messages if m.thread_id is not None])
        claimed: list[Upload] = []
        reactions: list[Reaction] = []
        for message, item in zip(messages, items, strict=True):
            for upload in item.uploads:
                upload.message = message
                claimed.append(upload)
            reactions.extend(
                Reaction(message=message, user_id=uid, emoji=emoji, created_at=item.created_at)
                for uid, emoji in item.reactions
            )
        if claimed:
            Upload.objects.bulk_update(claimed, ["message"], batch_size=500)
        if reactions:
            Reaction.objects.bulk_create(reactions, batch_size=500, ignore_conflicts=True)
        store.insert_events(
            [
                RoomEvent(
                    room_id=room_id,
                    seq=message.seq,
                    kind=RoomEvent.Kind.MESSAGE,
                    message=message,
                    frame=protocol.message(room=room_id, seq=message.seq, message=message_data(message)),
                    created_at=message.created_at,
                )
                for message in messages
            ]
        )
        mention_rows = [row for message in messages for row in _mention_rows(message)]
        if mention_rows:
            store.insert_mentions(mention_rows)
        store.set_last_seq(room_id, seq)
        Membership.objects.filter(room_id=room_id, last_read_seq__lt=seq).update(last_read_seq=seq)
    return messages
