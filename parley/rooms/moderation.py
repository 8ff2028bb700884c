"""Room moderation: mute and ban, by the room's owner or by staff.

Who may act on whom: the owner on any member but themself and staff; staff on
anyone but themself, the owner included. A mute keeps the member in the room,
reading, but refuses their messages, edits and reactions (deleting their own
messages stays allowed). A ban takes the person out at once, through the same
path as the owner's remove (`member.left`, their sockets stop receiving the
room), and refuses joining and being added until it is lifted.

The send path checks the mute in the statement that already checks membership
(`messaging.store.member_standing`), so a mute costs a send nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parley.accounts.models import User
from parley.accounts.serializers import user_data
from parley.common.errors import Forbidden, Invalid, NotFound
from parley.common.i18n import interpolate
from parley.realtime import protocol, publish
from parley.rooms import selectors
from parley.rooms.models import Ban, Membership, Room
from parley.rooms.services import membership_end

MUTE_MAX_SECONDS = 366 * 86400


def _iso(value: datetime) -> str:
    """The API's datetime format (ISO 8601, 'Z' for UTC), in frames and error fields alike."""
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def mute_refusal(*, room_id: int, user_id: int) -> Forbidden:
    """The `muted` refusal, saying when the mute ends (read only when a write is refused)."""
    until = (
        Membership.objects.filter(room_id=room_id, user_id=user_id)
        .values_list("muted_until", flat=True)
        .first()
    )
    if until is None:
        return Forbidden(_("You are muted in this room until the mute is lifted."), code="muted")
    return Forbidden(
        interpolate(_("You are muted in this room until %(until)s."), {"until": _iso(until)}),
        code="muted",
        fields={"muted_until": [_iso(until)]},
    )


def is_muted(membership: Membership, now: datetime | None = None) -> bool:
    return membership.muted and (
        membership.muted_until is None or membership.muted_until > (now or timezone.now())
    )


def room_moderated(*, actor: User, room_id: int) -> Room:
    """The room if `actor` may moderate it: its owner, or staff (members or not)."""
    if actor.is_staff:
        room = Room.objects.select_related("owner").filter(pk=room_id).first()
        if room is None:
            raise NotFound(_("No such room."))
        return room
    room = selectors.room_for_member(user=actor, room_id=room_id)
    if room.owner_id != actor.pk:
        raise Forbidden(_("Only the room's owner or staff can do that."), code="not_owner")
    return room


@dataclass(frozen=True)
class _Case:
    room: Room
    target: User


def _case(*, actor: User, room_id: int, user_id: int) -> _Case:
    room = room_moderated(actor=actor, room_id=room_id)
    if user_id == actor.pk:
        raise Invalid(_("You cannot do that to yourself."), code="cannot_moderate_self")
    target = User.objects.filter(pk=user_id).first()
    if target is None:
        raise NotFound(_("No such user."))
    if not actor.is_staff and target.is_staff:
        raise Forbidden(_("Staff members are moderated by staff only."), code="target_is_staff")
    # The owner acting on the owner is acting on themself (refused above): only staff reach the owner.
    return _Case(room, target)


def _announce_mute(room: Room, membership: Membership) -> None:
    muted = is_muted(membership)
    frame = protocol.member_updated(
        room=room.pk,
        user=user_data(membership.user),
        muted=muted,
        muted_until=_iso(membership.muted_until) if muted and membership.muted_until else None,
    )
    publish.room_frame(room_id=room.pk, frame=frame)


def member_mute(*, room_id: int, actor: User, user_id: int, duration: int | None = None) -> Membership:
    """Mute a member for `duration` seconds, or until lifted when None; muting again replaces
    the previous mute."""
    if duration is not None and not 1 <= duration <= MUTE_MAX_SECONDS:
        raise Invalid(
            _("Choose a duration between a second and a year."),
            fields={
                "duration": [
                    interpolate(_("1 to %(max)s seconds, or leave it out."), {"max": MUTE_MAX_SECONDS})
                ]
            },
        )
    with transaction.atomic():
        case = _case(actor=actor, room_id=room_id, user_id=user_id)
        membership = (
            Membership.objects.select_for_update()
            .select_related("user")
            .filter(room=case.room, user=case.target)
            .first()
        )
        if membership is None:
            raise NotFound(_("Not a member of this room."), code="not_member")
        membership.muted = True
        membership.muted_until = timezone.now() + timedelta(seconds=duration) if duration else None
        membership.save(update_fields=["muted", "muted_until"])
        _announce_mute(case.room, membership)
    return membership


def member_unmute(*, room_id: int, actor: User, user_id: int) -> None:
    """Lift a mute (nothing happens, and nothing is announced, if there is none)."""
    with transaction.atomic():
        case = _case(actor=actor, room_id=room_id, user_id=user_id)
        membership = (
            Membership.objects.select_for_update()
            .select_related("user")
            .filter(room=case.room, user=case.target)
            .first()
        )
        if membership is None:
            raise NotFound(_("Not a member of this room."), code="not_member")
        if not membership.muted:
            return
        membership.muted, membership.muted_until = False, None
        membership.save(update_fields=["muted", "muted_until"])
        _announce_mute(case.room, membership)


def member_ban(*, room_id: int, actor: User, user_id: int, reason: str = "") -> Ban:
    """Ban someone from the room (members and not); a member is removed at once. Banning
    again keeps the first ban."""
    reason = reason.strip()[:500]
    with transaction.atomic():
        case = _case(actor=actor, room_id=room_id, user_id=user_id)
        room = Room.objects.select_for_update().get(pk=case.room.pk)
        member = Membership.objects.filter(room=room, user=case.target).exists()
        ban, _created = Ban.objects.get_or_create(
            room=room, user=case.target, defaults={"banned_by": actor, "reason": reason, "of_member": member}
        )
        if member:
            membership_end(room, case.target)
    return ban


def member_unban(*, room_id: int, actor: User, user_id: int) -> None:
    """Lift a ban: the person may join (public rooms) or be added again. They are not re-added."""
    with transaction.atomic():
        case = _case(actor=actor, room_id=room_id, user_id=user_id)
        Ban.objects.filter(room=case.room, user=case.target).delete()
