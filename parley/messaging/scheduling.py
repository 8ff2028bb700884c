"""Scheduled messages and reminders: storing, changing, cancelling and listing them.

Sending one when it is due spans apps (the reminder bot, a DM, the author told of a
failure) and lives in `parley.actions.scheduling`. Here a scheduled message is checked
as a send would be when it is stored (membership, ban, mute, a closed room, the body's
rules), and again by the send itself when it goes out: rights can change in between."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parley.accounts.models import User
from parley.common.errors import Conflict, Invalid, NotFound
from parley.common.i18n import interpolate
from parley.messaging.models import Message, ScheduledMessage
from parley.messaging.services import clean_body
from parley.rooms.models import Membership, Room
from parley.rooms.moderation import is_muted, mute_refusal
from parley.rooms.selectors import room_for_member

COMMAND_PREFIXES = ("/", "!")
State = ScheduledMessage.State


def _check_send_at(send_at: datetime, *, now: datetime | None = None) -> datetime:
    """In the future, and at most SCHEDULED_MAX_AHEAD seconds ahead."""
    now = now or timezone.now()
    if timezone.is_naive(send_at):
        raise Invalid(_("Give the time with its offset."), fields={"send_at": [_("Add a UTC offset or Z.")]})
    if send_at <= now:
        raise Invalid(
            _("Choose a time in the future."),
            code="send_at_past",
            fields={"send_at": [_("This time has passed.")]},
        )
    ahead = timedelta(seconds=settings.SCHEDULED_MAX_AHEAD)
    if send_at > now + ahead:
        days = int(ahead.total_seconds() // 86400)
        raise Invalid(
            interpolate(_("Messages can be scheduled at most %(days)s days ahead."), {"days": days}),
            code="send_at_too_far",
            fields={"send_at": [interpolate(_("At most %(days)s days ahead."), {"days": days})]},
        )
    return send_at


def _check_body(body: str) -> str:
    body = clean_body(body)
    if body[:1] in COMMAND_PREFIXES:
        raise Invalid(
            _("Commands cannot be scheduled; use /remind me for a reminder."),
            code="scheduled_command",
            fields={"body": [_("A scheduled message cannot start with / or !.")]},
        )
    return body


def _check_cap(author: User) -> None:
    pending = ScheduledMessage.objects.filter(author=author, state=State.PENDING).count()
    if pending >= settings.SCHEDULED_MAX_PER_USER:
        raise Conflict(
            interpolate(
                _("You have %(count)s scheduled messages and reminders waiting; cancel one first."),
                {"count": pending},
            ),
            code="too_many_scheduled",
        )


def _check_postable(*, author: User, room: Room) -> None:
    """What a send checks of the sender, now: they belong to the room (room_for_member:
    ban and non-member refusals), it is open, and they are not muted."""
    if room.closed:
        raise Conflict(_("The room is closed; it can be read but not written to."), code="room_closed")
    membership = Membership.objects.get(room=room, user=author)
    if is_muted(membership):
        raise mute_refusal(room_id=room.pk, user_id=author.pk)


def _check_thread(*, room_id: int, thread: int | None) -> None:
    if thread is not None and not Message.objects.filter(pk=thread, room_id=room_id).exists():
        message = _("The thread's first message is not in this room.")
        raise Invalid(message, code="no_thread", fields={"thread": [message]})


def scheduled_create(
    *, author: User, room_id: int, body: str, send_at: datetime, thread: int | None = None
) -> ScheduledMessage:
    """Store a message to be posted in the room as `author` at `send_at`."""
    room = room_for_member(user=author, room_id=room_id)
    _check_postable(author=author, room=room)
    body = _check_body(body)
    send_at = _check_send_at(send_at)
    _check_thread(room_id=room.pk, thread=thread)
    _check_cap(author)
    return ScheduledMessage.objects.create(
        author=author,
        room=room,
        body=body,
        send_at=send_at,
        thread=thread,
        kind=ScheduledMessage.Kind.MESSAGE,
    )


def reminder_create(*, author: User, body: str, send_at: datetime) -> ScheduledMessage:
    """Store a reminder: the reminder bot sends `body` to `author` in a DM at `send_at`."""
    if author.is_guest:
        raise Invalid(
            _("Reminders come as direct messages, which guests cannot receive; register an account first."),
            code="guest",
        )
    body = clean_body(body)
    send_at = _check_send_at(send_at)
    _check_cap(author)
    return ScheduledMessage.objects.create(
        author=author, room=None, body=body, send_at=send_at, kind=ScheduledMessage.Kind.REMINDER
    )


def _pending_of(*, author: User, scheduled_id: int) -> ScheduledMessage:
    """The author's own scheduled message, locked; a conflict once it is no longer pending."""
    # No select_related("room") here: PostgreSQL locks no nullable side of an outer join.
    found = ScheduledMessage.objects.select_for_update().filter(pk=scheduled_id, author=author).first()
    if found is None:
        raise NotFound(_("No such scheduled message."))
    if found.state != State.PENDING:
        raise Conflict(
            interpolate(
                _("This scheduled message is already %(state)s."), {"state": found.get_state_display()}
            ),
            code="not_pending",
        )
    return found


def scheduled_update(
    *, author: User, scheduled_id: int, body: str | None = None, send_at: datetime | None = None
) -> ScheduledMessage:
    """Change the body or the time of one that has not gone out yet."""
    with transaction.atomic():
        found = _pending_of(author=author, scheduled_id=scheduled_id)
        fields = []
        if body is not None:
            found.body = (
                _check_body(body) if found.kind == ScheduledMessage.Kind.MESSAGE else clean_body(body)
            )
            fields.append("body")
        if send_at is not None:
            found.send_at = _check_send_at(send_at)
            fields.append("send_at")
        if fields:
            found.save(update_fields=fields)
    return found


def scheduled_cancel(*, author: User, scheduled_id: int) -> ScheduledMessage:
    """Cancel one that has not gone out yet (kept, as cancelled, in the author's list)."""
    with transaction.atomic():
        found = _pending_of(author=author, scheduled_id=scheduled_id)
        found.state = State.CANCELLED
        found.save(update_fields=["state"])
    return found


def scheduled_of(*, author: User, limit: int = 200) -> QuerySet[ScheduledMessage]:
    """The author's scheduled messages and reminders: pending first (soonest first), then
    the rest, by time. One query with the room."""
    pending_first = Case(
        When(state=State.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return (
        ScheduledMessage.objects.filter(author=author)
        .select_related("room")
        .annotate(pending_first=pending_first)
        .order_by("pending_first", "send_at", "pk")[:limit]
    )
