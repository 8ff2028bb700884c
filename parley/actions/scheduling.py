"""Sending scheduled messages and reminders when they are due (the periodic job).

Exactly once, across processes and restarts, on SQLite, PostgreSQL and MariaDB:

- each row is handled in its own transaction, claimed with `SELECT … FOR UPDATE SKIP
  LOCKED` (PostgreSQL, MariaDB: a second worker skips it) and an UPDATE from `pending`
  that must change one row (SQLite, which has no row locks, serialises writers: the
  loser changes none and moves on);
- the post, the state `sent` and the message id commit together: a crash before the
  commit leaves the row pending for the next run, never a message without its record;
- the message's client_id is `scheduled/<id>` (a form clients cannot send), unique per
  sender, so even a second post of the same row would return the first message (the
  send's retry rule).

A message goes out through `posting.post`, the route every send takes (the seq, the
`message` frame to every socket of the room, the author's included, mentions, unread
counts); if the author may no longer post there (left, banned, muted, the room closed)
the row is `failed` with the refusal's code and the reminder bot tells them in a DM.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from parley.accounts.models import User
from parley.actions import posting
from parley.bots import services as bots
from parley.common.errors import ServiceError
from parley.messaging import services as messaging
from parley.messaging.models import BODY_MAX, ScheduledMessage
from parley.rooms.dms import dm_open

log = logging.getLogger(__name__)
State = ScheduledMessage.State
BATCH = 200  # rows per run at most; the next run takes the rest


def scheduled_send_due(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Post every due pending row (at most `limit`); returns how many this call handled."""
    handled = 0
    while handled < limit:
        at = now or timezone.now()
        row: ScheduledMessage | None = None
        try:
            with transaction.atomic():
                row = _claim(at)
                if row is None:
                    break
                _deliver(row, at)
        except Exception:  # a bug or the database: recorded, not retried every few seconds
            log.exception("scheduled message could not be sent")
            if row is not None:
                ScheduledMessage.objects.filter(pk=row.pk, state=State.PENDING).update(
                    state=State.FAILED, reason="error"
                )
        handled += 1
    return handled


def _claim(now: datetime) -> ScheduledMessage | None:
    """The next due pending row, locked for this transaction; None when none is left."""
    while True:
        row = (
            ScheduledMessage.objects.select_for_update(skip_locked=True)
            .filter(state=State.PENDING, send_at__lte=now)
            .order_by("send_at", "pk")
            .first()
        )
        if row is None:
            return None
        if ScheduledMessage.objects.filter(pk=row.pk, state=State.PENDING).update(
            state=State.SENT, sent_at=now
        ):
            row.author = User.objects.get(pk=row.author_id)
            return row


def _deliver(row: ScheduledMessage, now: datetime) -> None:
    if row.kind == ScheduledMessage.Kind.REMINDER:
        _send_reminder(row)
        return
    assert row.room_id is not None
    try:
        result = posting.post(
            sender=row.author,
            room_id=row.room_id,
            body=row.body,
            client_id=f"scheduled/{row.pk}",
            thread=row.thread,
            scheduled_for=row.send_at,
            store=posting.store_now,
            command=posting.no_command,
        )
    except ServiceError as exc:
        ScheduledMessage.objects.filter(pk=row.pk).update(state=State.FAILED, reason=exc.code[:64])
        _tell_failed(row, exc)
        return
    assert isinstance(result, messaging.SendResult)
    ScheduledMessage.objects.filter(pk=row.pk).update(message=result.message)
    late = (now - row.send_at).total_seconds()
    if late > 60:
        log.info("scheduled message %s went out %.0f s late", row.pk, late)


def _reminder_room(author: User) -> tuple[User, int]:
    bot = bots.reminder_bot_user()
    room, _created = dm_open(actor=bot, user_ids=[author.pk])
    return bot, room.pk


def _send_reminder(row: ScheduledMessage) -> None:
    """The reminder bot's DM to the author: the text they gave, as they wrote it."""
    try:
        bot, room_id = _reminder_room(row.author)
        with translation.override(row.author.language):
            body = gettext("⏰ Reminder: %(text)s") % {"text": row.body}
        result = messaging.message_send(
            sender=bot, room_id=room_id, body=body[:BODY_MAX], client_id=f"scheduled/{row.pk}"
        )
    except ServiceError as exc:  # the account was deactivated since
        ScheduledMessage.objects.filter(pk=row.pk).update(state=State.FAILED, reason=exc.code[:64])
        return
    ScheduledMessage.objects.filter(pk=row.pk).update(message=result.message)


def _tell_failed(row: ScheduledMessage, exc: ServiceError) -> None:
    """A DM from the reminder bot: which message did not go out, and why."""
    try:
        with transaction.atomic():
            bot, room_id = _reminder_room(row.author)
            with translation.override(row.author.language):
                room = row.room.name if row.room is not None else ""
                body = gettext(
                    "Your scheduled message to %(room)s could not be sent (%(reason)s). It read: %(text)s"
                ) % {"room": room, "reason": str(exc.message), "text": row.body}
            messaging.message_send(
                sender=bot,
                room_id=room_id,
                body=body[:BODY_MAX],
                client_id=f"scheduled-failed/{row.pk}",
            )
    except ServiceError as told:
        log.info("scheduled message %s failed and its author could not be told: %s", row.pk, told.code)
