"""The only writer of messages. REST, WebSocket, bots and commands all send through here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from parley.accounts.models import User
from parley.common.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError, TooLarge
from parley.messaging import selectors, store
from parley.messaging.models import BODY_MAX, Message, RoomEvent
from parley.messaging.serializers import message_data
from parley.realtime import metrics, protocol, publish
from parley.rooms.models import Membership, Room
from parley.rooms.selectors import room_for_member


@dataclass(frozen=True)
class SendResult:
    message: Message
    created: bool


def clean_body(body: str) -> str:
    """The body as stored, or the refusal (counted in the send error metrics)."""
    try:
        return _checked_body(body)
    except ServiceError as exc:
        metrics.send_refused(exc.code)
        raise


def _checked_body(body: str) -> str:
    if not body.strip():
        raise Invalid("The message is empty.", fields={"body": ["Write something first."]})
    if len(body) > BODY_MAX:
        raise TooLarge(
            f"Messages are limited to {BODY_MAX} characters.",
            fields={"body": [f"At most {BODY_MAX} characters ({len(body)} given)."]},
        )
    if "\x00" in body:
        raise Invalid("The message contains a NUL character.", fields={"body": ["NUL is not allowed."]})
    if not body.isascii():
        try:
            body.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate (JSON allows "\ud800"; UTF-8 does not)
            raise Invalid(
                "The message contains an invalid character.",
                fields={"body": ["Surrogate characters are not allowed."]},
            ) from exc
    return body


@dataclass(frozen=True)
class SendRequest:
    sender: User
    body: str
    client_id: str


def _existing(sender: User, client_id: str, room_id: int, body: str) -> SendResult | None:
    """A retry returns what was stored; reusing a client_id for something else is a conflict."""
    found = Message.objects.select_related("sender").filter(sender=sender, client_id=client_id).first()
    if found is None:
        return None
    return _as_retry(found, room_id, body)


def _as_retry(found: Message, room_id: int, body: str) -> SendResult:
    if found.room_id != room_id or found.body != body:
        raise Conflict(
            "This client_id was already used for another message.",
            code="client_id_reused",
            fields={"client_id": ["Use a new client_id for a new message."]},
        )
    return SendResult(found, False)


def message_send(*, sender: User, room_id: int, body: str, client_id: str | None = None) -> SendResult:
    """Store one message and publish it after commit (a batch of one; see message_send_batch)."""
    body = clean_body(body)
    (result,) = message_send_batch(
        room_id=room_id, requests=[SendRequest(sender, body, client_id or uuid.uuid4().hex)]
    )
    metrics.sends_answered([result])
    if isinstance(result, ServiceError):
        raise result
    return result


def message_send_batch(*, room_id: int, requests: list[SendRequest]) -> list[SendResult | ServiceError]:
    """Store several sends to one room in one transaction; one answer per request, in order.

    The room row lock orders concurrent writers, so seqs are assigned in commit
    order and the log has no holes. Six statements whatever the batch and room
    size: lock the room, find members among the senders, find earlier sends
    with these client_ids, bump the seq, insert messages, insert events.
    Under load the realtime layer hands several waiting sends to one call, so
    the room lock and the commit are paid once per batch, not per message.
    Bodies must already have passed `clean_body`.
    """
    answers: list[SendResult | ServiceError | None] = [None] * len(requests)
    try:
        with transaction.atomic():
            locked = store.lock_room(room_id)
            if locked is None:
                return [NotFound("No such room.") for _ in requests]
            visibility, closed, seq = locked
            senders = sorted({r.sender.pk for r in requests})
            members = store.member_ids(room_id, senders)
            earlier_ids = store.earlier_message_ids(senders, sorted({r.client_id for r in requests}))
            earlier = {
                (m.sender_id, m.client_id): m
                for m in (
                    Message.objects.select_related("sender").filter(pk__in=earlier_ids) if earlier_ids else ()
                )
            }  # a seventh statement, only when a send is a retry
            fresh: list[tuple[int, Message]] = []
            now = timezone.now()
            for i, req in enumerate(requests):
                if req.sender.pk not in members:
                    answers[i] = (
                        Forbidden("Join the room to write in it.", code="not_member")
                        if visibility == Room.Visibility.PUBLIC
                        else NotFound("No such room.")
                    )
                    continue
                found = earlier.get((req.sender.pk, req.client_id))
                if found is not None:
                    try:
                        answers[i] = _as_retry(found, room_id, req.body)
                    except ServiceError as exc:
                        answers[i] = exc
                    continue
                if closed:
                    answers[i] = Conflict(
                        "The room is closed; it can be read but not written to.", code="room_closed"
                    )
                    continue
                seq += 1
                message = Message(
                    room_id=room_id,
                    seq=seq,
                    sender=req.sender,
                    body=req.body,
                    client_id=req.client_id,
                    created_at=now,
                )
                earlier[(req.sender.pk, req.client_id)] = message  # a repeat within the batch is a retry
                fresh.append((i, message))
            if fresh:
                store.set_last_seq(room_id, seq)
                store.insert_messages([m for _i, m in fresh])
                events = []
                for i, message in fresh:
                    frame = protocol.message(room=room_id, seq=message.seq, message=message_data(message))
                    events.append(
                        RoomEvent(
                            room_id=room_id,
                            seq=message.seq,
                            kind=RoomEvent.Kind.MESSAGE,
                            message=message,
                            frame=frame,
                            created_at=now,
                        )
                    )
                    publish.room_event(room_id=room_id, seq=message.seq, frame=frame)
                    answers[i] = SendResult(message, True)
                store.insert_events(events)
            for i, answer in enumerate(answers):
                if answer is None:  # repeated client_id inside this batch
                    answers[i] = _as_retry(
                        earlier[(requests[i].sender.pk, requests[i].client_id)], room_id, requests[i].body
                    )
    except IntegrityError:
        if len(requests) == 1:
            # The same client_id raced in from another socket or room: whichever committed stands.
            req = requests[0]
            retry = _existing(req.sender, req.client_id, room_id, req.body)
            if retry is None:
                raise
            return [retry]
        # Settle the batch one by one so one racing retry cannot fail its neighbours.
        out: list[SendResult | ServiceError] = []
        for req in requests:
            try:
                out.extend(message_send_batch(room_id=room_id, requests=[req]))
            except IntegrityError:
                out.append(Conflict("This message collided with another; retry.", code="conflict"))
        return out
    return [a for a in answers if a is not None]


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
            frame=protocol.unread(room=room_id, count=count, last_read_seq=read or 0),
        )
    return count
