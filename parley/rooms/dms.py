"""Direct messages: a private room whose people are fixed, one per set of people.

`dm_open` finds or makes the conversation of a set of people (the caller included).
The room's `dm_key` (the sorted member ids) is unique, so two concurrent calls for the
same set make one room: the loser of the race gets the winner's. Nobody joins, is
added or leaves later (`services.fixed_if_direct`); leaving hides it instead.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from parley.accounts.models import User
from parley.common.errors import Forbidden, Invalid
from parley.common.i18n import interpolate
from parley.realtime import protocol, publish
from parley.rooms.models import NAME_MAX, Membership, Notify, Room
from parley.rooms.services import room_public_data

DM_MAX_PEOPLE = 8  # the caller included


def dm_key(user_ids: set[int]) -> str:
    return ",".join(str(pk) for pk in sorted(user_ids))


def _people(*, actor: User, user_ids: list[int]) -> list[User]:
    """The other people, checked: at least one, at most DM_MAX_PEOPLE - 1, all active accounts."""
    others = set(user_ids) - {actor.pk}
    if not others:
        raise Invalid(
            _("Choose at least one other person."),
            code="no_people",
            fields={"user_ids": [_("Name someone else.")]},
        )
    if len(others) + 1 > DM_MAX_PEOPLE:
        raise Invalid(
            interpolate(
                _("A direct message has at most %(count)s people, you included."), {"count": DM_MAX_PEOPLE}
            ),
            code="too_many_people",
            fields={
                "user_ids": [interpolate(_("At most %(count)s other people."), {"count": DM_MAX_PEOPLE - 1})]
            },
        )
    users = list(User.objects.filter(pk__in=others, is_active=True, is_guest=False).order_by("pk"))
    missing = others - {u.pk for u in users}
    if missing:
        listed = ", ".join(str(pk) for pk in sorted(missing))
        raise Invalid(
            _("Direct messages go to active registered accounts only."),
            code="unknown_user",
            fields={
                "user_ids": [interpolate(_("Not an active registered account: %(ids)s."), {"ids": listed})]
            },
        )
    return users


def _stored_name(people: list[User]) -> str:
    """What the database keeps as the name (admin, logs); clients show the other members'
    names, which follow display-name changes."""
    name = ", ".join(sorted(u.shown_name for u in people))
    return name if len(name) <= NAME_MAX else name[: NAME_MAX - 1] + "…"


def dm_open(*, actor: User, user_ids: list[int]) -> tuple[Room, bool]:
    """The DM of `actor` and `user_ids`: (room, True) when made now, (room, False) when it
    existed. Opening it again un-hides it for the actor."""
    if actor.is_guest:
        raise Forbidden(_("Guests cannot start direct messages; register an account first."), code="guest")
    others = _people(actor=actor, user_ids=user_ids)
    people = [actor, *others]
    key = dm_key({u.pk for u in people})
    existing = Room.objects.filter(dm_key=key).first()
    if existing is not None:
        Membership.objects.filter(room=existing, user=actor, hidden=True).update(hidden=False)
        return existing, False
    try:
        with transaction.atomic():
            room = Room.objects.create(
                owner=actor,
                name=_stored_name(people),
                visibility=Room.Visibility.PRIVATE,
                kind=Room.Kind.DIRECT,
                dm_key=key,
            )
            Membership.objects.bulk_create(Membership(room=room, user=u, notify=Notify.ALL) for u in people)
    except IntegrityError:  # the same people, at the same moment: theirs stands
        return Room.objects.get(dm_key=key), False
    frame = protocol.room_changed("room.created", room=room_public_data(room))
    for user in people:
        publish.user_joined_room(user_id=user.pk, room_id=room.pk, last_seq=0, frame=frame)
    return room, True
