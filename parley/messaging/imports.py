"""Writing history that happened elsewhere (an import, issue 32): many messages to one room
in bulk, with their original times, each taking the next seq in the order given.

Unlike a send, nothing is published live: an import runs offline (a management command),
and clients read the history when they next open the room. What a send stores, an import
stores too, so imported messages are like any other afterwards: the log entry whose frame
resume replays, the search terms (the index is current at once: docs/search.md), the
mention rows, the reactions. The statements per chunk do not depend on its size."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from parley.accounts.models import User
from parley.messaging import store
from parley.messaging.excerpts import plain_excerpt
from parley.messaging.models import Message, Reaction, RoomEvent
from parley.messaging.serializers import message_data
from parley.messaging.services import _mention_rows, _mentions_of, _resolve_mentions, _search_text
from parley.realtime import protocol
from parley.rooms.models import Membership, Room
from parley.uploads.models import Upload
from parley.uploads.serializers import attachment_data


@dataclass
class ImportedMessage:
    """One message to import. `client_id` is its stable key (unique per sender): the
    importer derives it from the source's own ids, so a message imported once is found again.
    It replies to `reply_to` (stored earlier), or to the item at `reply_to_index` of the same
    call (stored in the same statement, so its id is not known yet)."""

    sender: User
    body: str
    created_at: datetime
    client_id: str
    edited_at: datetime | None = None
    reply_to: Message | None = None
    reply_to_index: int | None = None
    reactions: list[tuple[int, str]] = field(default_factory=list)  # (user id, emoji)
    uploads: list[Upload] = field(default_factory=list)


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
            target = item.reply_to if item.reply_to_index is None else messages[item.reply_to_index]
            messages.append(
                Message(
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
                )
            )
        # Inserted without their reply targets (a target may be in this very statement, its
        # id unknown until now), which one UPDATE then sets.
        store.insert_messages(messages)
        replies = []
        for message, item in zip(messages, items, strict=True):
            target = item.reply_to if item.reply_to_index is None else messages[item.reply_to_index]
            if target is not None:
                message.reply_to = target
                replies.append(message)
        if replies:
            Message.objects.bulk_update(replies, ["reply_to"], batch_size=500)
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
