"""The only writer of messages. REST, WebSocket, bots and commands all send through here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from parley.accounts.models import User
from parley.common.errors import Conflict, Forbidden, Invalid, NotFound, TooLarge
from parley.messaging import selectors
from parley.messaging.models import BODY_MAX, Message, RoomEvent
from parley.messaging.serializers import message_data
from parley.realtime import protocol, publish
from parley.rooms.models import Membership, Room
from parley.rooms.selectors import room_for_member


@dataclass(frozen=True)
class SendResult:
    message: Message
    created: bool


def _clean_body(body: str) -> str:
    if not body.strip():
        raise Invalid("The message is empty.", fields={"body": ["Write something first."]})
    if len(body) > BODY_MAX:
        raise TooLarge(
            f"Messages are limited to {BODY_MAX} characters.",
            fields={"body": [f"At most {BODY_MAX} characters ({len(body)} given)."]},
        )
    if "\x00" in body:
        raise Invalid("The message contains a NUL character.", fields={"body": ["NUL is not allowed."]})
    return body


def _existing(sender: User, client_id: str, room_id: int, body: str) -> SendResult | None:
    """A retry returns what was stored; reusing a client_id for something else is a conflict."""
    found = Message.objects.select_related("sender").filter(sender=sender, client_id=client_id).first()
    if found is None:
        return None
    if found.room_id != room_id or found.body != body:
        raise Conflict(
            "This client_id was already used for another message.",
            code="client_id_reused",
            fields={"client_id": ["Use a new client_id for a new message."]},
        )
    return SendResult(found, False)


def message_send(*, sender: User, room_id: int, body: str, client_id: str | None = None) -> SendResult:
    """Store a message and publish it after commit.

    The room row lock orders concurrent senders, so `seq = last_seq + 1`
    commits in seq order and the log has no holes. The statements are the
    same handful whatever the room size; delivery happens after commit.
    """
    body = _clean_body(body)
    client_id = client_id or uuid.uuid4().hex
    try:
        with transaction.atomic():
            # One statement locks the room row and answers whether the sender is a member.
            room = (
                Room.objects.select_for_update()
                .only("id", "visibility", "closed_at", "last_seq")
                .annotate(is_member=Exists(Membership.objects.filter(room=OuterRef("pk"), user=sender)))
                .filter(pk=room_id)
                .first()
            )
            if room is None:
                raise NotFound("No such room.")
            if not room.is_member:  # type: ignore[attr-defined]
                if not room.is_public:
                    raise NotFound("No such room.")
                raise Forbidden("Join the room to write in it.", code="not_member")
            retry = _existing(sender, client_id, room_id, body)
            if retry is not None:
                return retry
            if room.closed:
                raise Conflict("The room is closed; it can be read but not written to.", code="room_closed")
            seq = room.last_seq + 1
            Room.objects.filter(pk=room_id).update(last_seq=seq)
            message = Message.objects.create(
                room=room, seq=seq, sender=sender, body=body, client_id=client_id
            )
            frame = protocol.encode(
                {
                    "type": "message",
                    "room": room_id,
                    "seq": seq,
                    "message": message_data(message),
                }
            )
            RoomEvent.objects.create(
                room=room, seq=seq, kind=RoomEvent.Kind.MESSAGE, message=message, frame=frame
            )
            publish.room_event(room_id=room_id, seq=seq, frame=frame)
    except IntegrityError:
        # The same client_id raced in from another socket or room: whichever committed stands.
        retry = _existing(sender, client_id, room_id, body)
        if retry is None:
            raise
        return retry
    return SendResult(message, True)


def room_mark_read(*, user: User, room_id: int, seq: int) -> int:
    """Move the user's read marker forward (never back); returns the unread count."""
    room = room_for_member(user=user, room_id=room_id)
    seq = min(seq, room.last_seq)
    moved = Membership.objects.filter(room_id=room_id, user=user, last_read_seq__lt=seq).update(
        last_read_seq=seq
    )
    read = (
        Membership.objects.filter(room_id=room_id, user=user).values_list("last_read_seq", flat=True).first()
    )
    count = selectors.unread_count(user=user, room_id=room_id, after_seq=read or 0)
    if moved:
        publish.user_frame(
            user_id=user.pk,
            frame={"type": "unread", "room": room_id, "count": count, "last_read_seq": read or 0},
        )
    return count
