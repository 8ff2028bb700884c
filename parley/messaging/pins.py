"""Pins (a room's list of what to come back to) and saved messages (one person's list).

A pin is the room's: it takes a seq, is logged as `message.pinned` and reaches every
member, and `resume` replays it. Who may pin: the room's owner, staff, every member of a
direct message, and members where the owner turned `members_can_pin` on (never guests:
a guest's account is a visit, the room's list outlives it). Pinning twice changes
nothing and logs nothing; a deleted message leaves the list (`message_delete` drops its
pin in the same transaction; clients drop it on `message.deleted`).

A save is private: nobody else hears of it, and the person's own sockets get an
unlogged `saved.updated`. Rows stay when the person can no longer see the message;
`saved_page` filters those out when it reads, so leaving a room hides its messages
from the list and rejoining brings them back.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parley.accounts.models import User
from parley.accounts.serializers import user_data
from parley.common.errors import Conflict, Forbidden, Invalid, NotFound
from parley.common.i18n import interpolate
from parley.messaging import selectors, services, store
from parley.messaging.models import PINS_MAX, Message, Pin, RoomEvent, SavedMessage
from parley.realtime import protocol, publish
from parley.rooms.models import Membership, Room

DELETED = _("The message was deleted.")


def _may_pin(actor: User, room: store.LockedRoom, room_id: int, member: bool) -> None:
    """The owner, staff, a DM's members, and members of a room that allows it; not guests."""
    if actor.is_staff or room.owner_id == actor.pk:
        return
    if actor.is_guest:
        raise Forbidden(_("Guests cannot pin messages."), code="guest")
    if room.kind == Room.Kind.DIRECT and member:
        return
    allowed = Room.objects.filter(pk=room_id).values_list("members_can_pin", flat=True).first()
    if not (member and allowed):
        raise Forbidden(_("Only the room's owner and staff can pin messages here."), code="pin_not_allowed")


def pin_set(*, actor: User, message_id: int, pinned: bool) -> bool:
    """Pin or unpin a message in its room; True if that changed anything (then one
    `message.pinned` event is logged and published). Idempotent otherwise: no seq taken.

    The room is locked before the pins are counted, so two pins at once cannot both pass
    the cap of PINS_MAX."""
    with transaction.atomic():
        t = services._target(actor=actor, message_id=message_id, staff_may=True)
        message = t.message
        _may_pin(actor, t.room, message.room_id, t.member)
        t.check_not_muted(actor)
        held = t.held or store.lock_room(message.room_id)
        if held is None:
            raise NotFound(_("No such message."))
        existing = Pin.objects.filter(message_id=message.pk).first()
        now = timezone.now()
        if pinned:
            if existing is not None:
                return False
            if message.deleted:
                raise Conflict(DELETED, code="message_deleted")
            if Pin.objects.filter(room_id=message.room_id).count() >= PINS_MAX:
                raise Invalid(
                    interpolate(
                        _("A room can have at most %(max)s pinned messages; unpin one first."),
                        {"max": PINS_MAX},
                    ),
                    code="too_many_pins",
                )
            Pin.objects.create(message=message, room_id=message.room_id, pinned_by=actor, pinned_at=now)
        else:
            if existing is None:
                return False
            existing.delete()
        by = user_data(actor)
        services._append(
            room_id=message.room_id,
            kind=RoomEvent.Kind.PINNED,
            message_id=message.pk,
            frame_for=lambda seq: protocol.message_pinned(
                room=message.room_id, seq=seq, message_id=message.pk, pinned=pinned, by=by
            ),
            now=now,
            held=held,
        )
    return True


def room_pins(*, room: Room, viewer: User) -> list[Message]:
    """The room's pinned messages, most recently pinned first, with the viewer's reactions:
    two queries however many there are (at most PINS_MAX). The caller checked membership."""
    pins = (
        Pin.objects.filter(room=room, message__deleted_at__isnull=True)
        .select_related("message__sender", "message__reply_to__sender", "message__summary")
        .order_by("-pinned_at", "-id")[:PINS_MAX]
    )
    return selectors.with_reactions([p.message for p in pins], viewer)


# --- saved messages ---------------------------------------------------------------------------


def _visible(actor: User, message_id: int) -> Message:
    """The message, if the actor may read it now (a member of its room); else the refusal an
    outsider hears elsewhere: 404 for a private room's, 403 for a public room's."""
    message = Message.objects.select_related("room").filter(pk=message_id).first()
    if message is None:
        raise NotFound(_("No such message."))
    if not Membership.objects.filter(room_id=message.room_id, user=actor).exists():
        if message.room.visibility == Room.Visibility.PUBLIC:
            raise Forbidden(_("Join the room first."), code="not_member")
        raise NotFound(_("No such message."))
    return message


def save_set(*, actor: User, message_id: int, saved: bool) -> bool:
    """Save a message for later or take it off the list; True if that changed anything (then
    the actor's own sockets hear `saved.updated`). Taking off works on a message the
    actor can no longer see: the row is theirs."""
    with transaction.atomic():
        if not saved:
            gone = SavedMessage.objects.filter(user=actor, message_id=message_id).delete()[0] > 0
            if not gone:
                _visible(actor, message_id)  # a 404 for an id that names nothing of theirs
                return False
        else:
            message = _visible(actor, message_id)
            if message.deleted:
                raise Conflict(DELETED, code="message_deleted")
            _row, created = SavedMessage.objects.get_or_create(
                user=actor, message=message, defaults={"saved_at": timezone.now()}
            )
            if not created:
                return False
        publish.user_frame(user_id=actor.pk, frame=protocol.saved_updated(message_id=message_id, saved=saved))
    return True


@dataclass(frozen=True)
class SavedPage:
    rows: list[SavedMessage]  # `message` (with reactions) and `message.room` loaded
    next_cursor: int | None  # the last row's id, when more follow


def saved_page(*, user: User, before_id: int | None, limit: int) -> SavedPage:
    """The user's saved messages they can still see, newest saved first; two queries.

    Filtered when read (not deleted, the user still a member of its room), so the page
    walks the (user, -id) index and skips what is hidden without a second pass."""
    member = Membership.objects.filter(room_id=OuterRef("message__room_id"), user_id=user.pk)
    qs = (
        SavedMessage.objects.filter(user=user, message__deleted_at__isnull=True)
        .filter(Exists(member))
        .select_related("message__sender", "message__reply_to__sender", "message__room", "message__summary")
    )
    if before_id is not None:
        qs = qs.filter(pk__lt=before_id)
    rows = list(qs.order_by("-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    selectors.with_reactions([r.message for r in rows], user)
    return SavedPage(rows, rows[-1].pk if more and rows else None)
