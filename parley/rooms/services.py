"""Room writes: create, edit, close, join, leave, add and remove members,
switch visibility, hand over ownership.

Each publishes what changed after commit: public rooms' lobby events go to
every socket (seed 000's live room list), private rooms' only to members.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parley.accounts.models import User
from parley.accounts.selectors import user_by_username
from parley.accounts.serializers import user_data
from parley.common.errors import Conflict, Forbidden, Invalid, NotFound
from parley.common.names import clean_name
from parley.realtime import protocol, publish
from parley.rooms import selectors
from parley.rooms.models import NAME_MAX, TOPIC_MAX, Ban, Membership, Notify, Room
from parley.rooms.serializers import public_room_data

# The '#' (or the full-width U+FF03) people type before a room's name, with any spaces among them.
_LEADING_HASHES = re.compile(r"^[\s#\uff03]+")


def _clean_name(name: str) -> str:
    """A room's name without the '#' every client shows before it: people type "#lounge",
    and a stored '#' showed as "##lounge" (the report queue, search, the room list).
    Rooms named before this are cleaned by migration rooms 0002."""
    return clean_name(_LEADING_HASHES.sub("", name), field="name", max_length=NAME_MAX, label=_("room name"))


def _clean_topic(topic: str) -> str:
    return clean_name(
        topic,
        field="topic",
        max_length=TOPIC_MAX,
        label=_("topic"),
        form="NFC",
        multiline=True,
        allow_blank=True,
    )


def _name_taken(name: str, exclude: int | None = None) -> bool:
    qs = Room.objects.filter(name__iexact=name, kind=Room.Kind.ROOM)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.exists()


def room_public_data(room: Room) -> dict[str, Any]:
    """`room` as its lobby frames carry it (`RoomPublicOut`), its counts read now."""
    room.member_count = selectors.member_count(room_id=room.pk)  # type: ignore[attr-defined]
    room.online_count = selectors.online_counts([room.pk]).get(room.pk, 0)  # type: ignore[attr-defined]
    selectors.attach_dm_members([room])
    return public_room_data(room)


def _announce(room: Room, kind: Literal["room.created", "room.updated", "room.closed"]) -> None:
    frame = protocol.room_changed(kind, room=room_public_data(room))
    if room.is_public:
        publish.lobby_frame(frame=frame)
    else:
        publish.room_frame(room_id=room.pk, frame=frame)


def fixed_if_direct(room: Room) -> None:
    """A DM is its set of people: no one joins, is added or removed, nothing is renamed
    or closed; a different set of people is a different conversation (`POST dms`)."""
    if room.is_direct:
        raise Invalid(
            _("A direct message's people are fixed; start a new conversation to include someone else."),
            code="direct_fixed",
        )


def _owned(room_id: int, actor: User) -> Room:
    room = selectors.room_for_member(user=actor, room_id=room_id)
    fixed_if_direct(room)
    if room.owner_id != actor.pk:
        raise Forbidden(_("Only the room's owner can do that."), code="not_owner")
    return room


def _open(room: Room) -> None:
    if room.closed:
        raise Conflict(_("The room is closed."), code="room_closed")


def _not_banned(room: Room, user: User) -> None:
    if Ban.objects.filter(room=room, user=user).exists():
        raise Forbidden(_("You are banned from this room."), code="banned")


def room_create(*, owner: User, name: str, topic: str = "", visibility: str = Room.Visibility.PUBLIC) -> Room:
    name, topic = _clean_name(name), _clean_topic(topic)
    if visibility not in Room.Visibility.values:
        raise Invalid(_("Choose public or private."), fields={"visibility": [_("public or private")]})
    if _name_taken(name):
        raise Conflict(
            _("A room with this name exists."), code="name_taken", fields={"name": [_("Already taken.")]}
        )
    try:
        with transaction.atomic():
            room = Room.objects.create(owner=owner, name=name, topic=topic, visibility=visibility)
            Membership.objects.create(room=room, user=owner)
    except IntegrityError as exc:
        raise Conflict(
            _("A room with this name exists."), code="name_taken", fields={"name": [_("Already taken.")]}
        ) from exc
    frame = protocol.room_changed("room.created", room=room_public_data(room))
    publish.user_joined_room(
        user_id=owner.pk, room_id=room.pk, last_seq=0, frame=None if room.is_public else frame
    )
    if room.is_public:
        publish.lobby_frame(frame=frame)
    return room


def _free_room_name(wanted: str) -> str:
    name = _clean_name(wanted or "imported")
    base, n = name, 1
    while _name_taken(name):
        n += 1
        name = f"{base[: NAME_MAX - len(str(n)) - 1]}-{n}"
    return name


def room_import(
    *,
    owner: User,
    name: str,
    topic: str = "",
    visibility: str = Room.Visibility.PUBLIC,
    member_ids: Sequence[int] = (),
    direct: bool = False,
) -> Room:
    """A room (or a DM) for history imported from elsewhere (issue 32), with its members.

    A room keeps the source's name where free (else `name-2`, ...); a DM of the same people
    as an existing one is that one (its key is their ids). Announced to nobody: an import
    runs offline, and members see the room in their list when they next load it."""
    people = sorted({owner.pk, *member_ids})
    with transaction.atomic():
        if direct:
            key = ",".join(str(pk) for pk in people)
            room = Room.objects.filter(dm_key=key).first()
            if room is None:
                room = Room.objects.create(
                    owner=owner,
                    name=name[:NAME_MAX],
                    visibility=Room.Visibility.PRIVATE,
                    kind=Room.Kind.DIRECT,
                    dm_key=key,
                )
            notify = Notify.ALL
        else:
            room = Room.objects.create(
                owner=owner,
                name=_free_room_name(name),
                topic=_clean_topic(topic[:TOPIC_MAX]) if topic else "",
                visibility=visibility,
            )
            notify = Notify.MENTIONS
        Membership.objects.bulk_create(
            [Membership(room=room, user_id=pk, notify=notify) for pk in people], ignore_conflicts=True
        )
    return room


def room_import_members(*, room_id: int, member_ids: Sequence[int]) -> None:
    """Add members to an imported room (a later run of an import: people who joined since)."""
    Membership.objects.bulk_create(
        [Membership(room_id=room_id, user_id=pk) for pk in member_ids], ignore_conflicts=True
    )


def room_import_close(*, room_id: int) -> None:
    """An imported room that was archived at its source: closed, readable, not writable."""
    Room.objects.filter(pk=room_id, closed_at__isnull=True).update(closed_at=timezone.now())


def room_update(
    *,
    room_id: int,
    actor: User,
    name: str | None = None,
    topic: str | None = None,
    link_previews: bool | None = None,
) -> Room:
    with transaction.atomic():
        room = _owned(room_id, actor)
        _open(room)
        fields = []
        if name is not None:
            name = _clean_name(name)
            if _name_taken(name, exclude=room.pk):
                raise Conflict(
                    _("A room with this name exists."),
                    code="name_taken",
                    fields={"name": [_("Already taken.")]},
                )
            room.name = name
            fields.append("name")
        if topic is not None:
            room.topic = _clean_topic(topic)
            fields.append("topic")
        if link_previews is not None and link_previews != room.link_previews:
            room.link_previews = link_previews  # for messages sent from now on
            fields.append("link_previews")
        if fields:
            try:
                with transaction.atomic():
                    room.save(update_fields=fields)
            except IntegrityError as exc:
                raise Conflict(_("A room with this name exists."), code="name_taken") from exc
            _announce(room, "room.updated")
    return room


def room_pin_settings_update(*, room_id: int, actor: User, members_can_pin: bool) -> Room:
    """The owner lets members pin messages, or stops them (what is pinned stays pinned).

    Carried by REST room answers only, like `members_can_invite`: the server checks it on
    every pin, so a client that shows a stale value hears a 403, nothing worse."""
    with transaction.atomic():
        room = _owned(room_id, actor)
        _open(room)
        if room.members_can_pin != members_can_pin:
            room.members_can_pin = members_can_pin
            room.save(update_fields=["members_can_pin"])
    return room


def room_set_retention(*, room_id: int, actor: User, retention_days: int | None) -> Room:
    """The owner sets how long the room keeps its messages (days), or null for the server's
    default. Bounded by ROOM_RETENTION_MIN_DAYS..ROOM_RETENTION_MAX_DAYS: a value outside is
    refused (400 `retention_out_of_bounds`), never clamped, so nobody loses more than they chose.
    The hourly purge (messaging.retention) applies it."""
    low, high = settings.ROOM_RETENTION_MIN_DAYS, settings.ROOM_RETENTION_MAX_DAYS
    if retention_days is not None and not low <= retention_days <= high:
        message = _("Retention must be between %(low)d and %(high)d days, or the server default.") % {
            "low": low,
            "high": high,
        }
        raise Invalid(message, code="retention_out_of_bounds", fields={"retention_days": [message]})
    with transaction.atomic():
        room = _owned(room_id, actor)
        _open(room)
        if room.retention_days != retention_days:
            room.retention_days = retention_days
            room.save(update_fields=["retention_days"])
    return room


def room_close(*, room_id: int, actor: User) -> Room:
    """Close a room: its owner, or staff moderating (the admin's action) any room.
    The main room only by staff: everyone is in it, so closing it is never a whim of one."""
    with transaction.atomic():
        if actor.is_staff:
            room = Room.objects.select_related("owner").filter(pk=room_id).first()
            if room is None:
                raise NotFound(_("No such room."))
            fixed_if_direct(room)
        else:
            room = _owned(room_id, actor)
            if is_main_room(room):
                raise Forbidden(_("Only staff can close the main room."), code="main_room")
        if room.closed_at is None:
            room.closed_at = timezone.now()
            room.save(update_fields=["closed_at"])
            _announce(room, "room.closed")
    return room


def _joined(room: Room, user: User) -> None:
    membership = Membership.objects.create(room=room, user=user, last_read_seq=room.last_seq)
    count = selectors.member_count(room_id=room.pk)
    frame = protocol.member_changed("member.joined", room=room.pk, user=user_data(user), member_count=count)
    if user.is_bot:
        # A bot's seat is not a member people see: only its own sockets start receiving the
        # room; the members' lists and the lobby's count do not change.
        publish.user_joined_room(
            user_id=user.pk, room_id=room.pk, last_seq=membership.last_read_seq, frame=None
        )
        return
    publish.room_frame(room_id=room.pk, frame=frame)
    publish.user_joined_room(user_id=user.pk, room_id=room.pk, last_seq=membership.last_read_seq, frame=frame)
    if room.is_public:
        _announce(room, "room.updated")


def membership_end(room: Room, user: User) -> None:
    """Take `user` out of `room` (leave, remove, ban): the members hear `member.left`."""
    Membership.objects.filter(room=room, user=user).delete()
    count = selectors.member_count(room_id=room.pk)
    frame = protocol.member_changed("member.left", room=room.pk, user=user_data(user), member_count=count)
    # The leaver's sockets hear it and stop receiving the room before the others are told.
    publish.user_left_room(user_id=user.pk, room_id=room.pk, frame=frame)
    if user.is_bot:  # never listed as a member, so nobody else hears it go (see _joined)
        return
    publish.room_frame(room_id=room.pk, frame=frame)
    if room.is_public:
        _announce(room, "room.updated")


def room_join(*, room_id: int, user: User, invited: bool = False) -> Room:
    """Join a public room, or any room when `invited` (the caller holds a valid invite link)."""
    with transaction.atomic():
        if invited:
            room = Room.objects.select_related("owner").filter(pk=room_id).first()
            if room is None:
                raise NotFound(_("No such room."))
        else:
            room = selectors.room_visible(user=user, room_id=room_id)
        if Membership.objects.filter(room=room, user=user).exists():
            return room
        if not room.is_public and not invited:  # visible but private means already a member
            raise NotFound(_("No such room."))
        _open(room)
        _not_banned(room, user)
        room = Room.objects.select_for_update().get(pk=room.pk)
        try:
            with transaction.atomic():
                _joined(room, user)
        except IntegrityError:  # joined twice at once: the first one stands
            pass
    return room


def room_leave(*, room_id: int, user: User) -> Room:
    """Leave a room; "leaving" a DM hides it for `user` (its people are fixed)."""
    with transaction.atomic():
        room = selectors.room_for_member(user=user, room_id=room_id)
        if room.is_direct:
            membership_update(room_id=room.pk, user=user, hidden=True)
            return room
        if room.owner_id == user.pk:
            raise Conflict(
                _("The owner cannot leave. Hand the room over to another member first, or close it."),
                code="owner_cannot_leave",
            )
        membership_end(room, user)
    return room


def member_add(*, room_id: int, actor: User, username: str) -> Membership:
    with transaction.atomic():
        room = _owned(room_id, actor)
        _open(room)
        user = user_by_username(username=username.strip())
        if user is None or not user.is_active:
            raise NotFound(_("No such user."), fields={"username": [_("No such user.")]})
        if Ban.objects.filter(room=room, user=user).exists():
            raise Conflict(
                _("This person is banned from the room; lift the ban first."),
                code="banned",
                fields={"username": [_("Banned from this room.")]},
            )
        if Membership.objects.filter(room=room, user=user).exists():
            raise Conflict(
                _("Already a member."),
                code="already_member",
                fields={"username": [_("Already a member.")]},
            )
        room = Room.objects.select_for_update().get(pk=room.pk)
        _joined(room, user)
    return Membership.objects.select_related("user").get(room=room, user=user)


def bot_join(*, room_id: int, bot: User) -> None:
    """Make a bot a member of a room it was asked to answer in (the asker's own access was
    checked by the caller); nothing when it is one already."""
    if not bot.is_bot:
        raise Forbidden(_("Only bots join rooms this way."))
    with transaction.atomic():
        room = Room.objects.select_for_update().get(pk=room_id)
        if not Membership.objects.filter(room=room, user=bot).exists():
            _joined(room, bot)


def member_remove(*, room_id: int, actor: User, user_id: int) -> None:
    with transaction.atomic():
        if user_id == actor.pk and not Room.objects.filter(pk=room_id, kind=Room.Kind.DIRECT).exists():
            room_leave(room_id=room_id, user=actor)
            return
        room = _owned(room_id, actor)
        target = Membership.objects.select_related("user").filter(room=room, user_id=user_id).first()
        if target is None:
            raise NotFound(_("Not a member of this room."))
        membership_end(room, target.user)


def room_set_visibility(*, room_id: int, actor: User, visibility: str) -> Room:
    """Switch a room between public and private; lobbies follow live.

    Made public, the room is announced to every socket, so it appears in the lobby of
    everyone who can now see it. Made private, it is announced once more to every
    socket with its new visibility, so that the lobbies of non-members drop it; from
    then on only members hear of it.
    """
    if visibility not in Room.Visibility.values:
        raise Invalid(_("Choose public or private."), fields={"visibility": [_("public or private")]})
    with transaction.atomic():
        room = _owned(room_id, actor)
        _open(room)
        if room.visibility == visibility:
            return room
        room = Room.objects.select_for_update().select_related("owner").get(pk=room.pk)
        room.visibility = visibility
        room.save(update_fields=["visibility"])
        publish.lobby_frame(frame=protocol.room_changed("room.updated", room=room_public_data(room)))
    return room


def room_transfer(*, room_id: int, actor: User, user_id: int) -> Room:
    """Hand the room over to another member; the former owner stays a member (and may leave)."""
    with transaction.atomic():
        room = _owned(room_id, actor)
        _open(room)
        if user_id == actor.pk:
            return room
        room = Room.objects.select_for_update().get(pk=room.pk)
        if room.owner_id != actor.pk:  # handed over meanwhile
            raise Forbidden(_("Only the room's owner can do that."), code="not_owner")
        target = Membership.objects.select_related("user").filter(room=room, user_id=user_id).first()
        if target is None or not target.user.is_active:
            raise Invalid(
                _("Only a member of the room can become its owner."),
                code="not_member",
                fields={"user_id": [_("Not a member of this room.")]},
            )
        room.owner = target.user
        room.save(update_fields=["owner"])
        _announce(room, "room.updated")
    return room


def user_memberships_end(*, user: User) -> None:
    """Take `user` out of every room (a guest being removed): the rooms it owns close,
    the members of each room hear `member.left`."""
    with transaction.atomic():
        rooms = list(Room.objects.select_for_update().filter(memberships__user=user).order_by("pk"))
        for room in rooms:
            if room.owner_id == user.pk and room.closed_at is None:
                room.closed_at = timezone.now()
                room.save(update_fields=["closed_at"])
                _announce(room, "room.closed")
            membership_end(room, user)


def membership_update(
    *, room_id: int, user: User, notify: str | None = None, hidden: bool | None = None
) -> Membership:
    """The member's own settings for a room: when to be notified, and (DMs) hidden or not.

    Only the member's own sockets care, and the client that asked has the answer, so
    nothing is published."""
    room = selectors.room_for_member(user=user, room_id=room_id)
    membership = Membership.objects.get(room=room, user=user)
    fields = []
    if notify is not None:
        if notify not in Notify.values:
            raise Invalid(
                _("Choose all, mentions or nothing."), fields={"notify": [_("all, mentions or nothing")]}
            )
        membership.notify = notify
        fields.append("notify")
    if hidden is not None:
        if not room.is_direct and hidden:
            raise Invalid(
                _("Only direct messages can be hidden; leave the room instead."),
                code="not_direct",
                fields={"hidden": [_("Direct messages only.")]},
            )
        membership.hidden = hidden
        fields.append("hidden")
    if fields:
        membership.save(update_fields=fields)
    return membership


# --- The main room: the public room every new account and guest joins -----------------------
# Its owner is a system account that cannot sign in (no usable password, inactive); the
# name cannot be registered (registration names start with a letter or digit).
SYSTEM_USERNAME = "_system"


def is_main_room(room: Room) -> bool:
    name = settings.PARLEY_MAIN_ROOM.strip()
    return bool(name) and room.name.casefold() == name.casefold()


def system_user() -> User:
    user, _created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"display_name": "Parley", "is_active": False, "password": make_password(None)},
    )
    return user


def main_room() -> Room | None:
    """The main room named by PARLEY_MAIN_ROOM, created on first use (a data migration creates
    it on install; this covers a renamed setting or a flushed database); None when unset."""
    name = _clean_name(settings.PARLEY_MAIN_ROOM) if settings.PARLEY_MAIN_ROOM.strip() else ""
    if not name:
        return None
    room = Room.objects.filter(name__iexact=name).first()
    if room is not None:
        return room
    try:
        with transaction.atomic():
            room = Room.objects.create(
                owner=system_user(), name=name, topic="", visibility=Room.Visibility.PUBLIC
            )
    except IntegrityError:  # created by a concurrent registration
        return Room.objects.filter(name__iexact=name).first()
    publish.lobby_frame(frame=protocol.room_changed("room.created", room=room_public_data(room)))
    return room


def main_room_join(*, user: User) -> Room | None:
    """Put a new account or guest in the main room, in the caller's transaction."""
    room = main_room()
    if room is None or room.closed:
        return None
    with transaction.atomic():
        room = Room.objects.select_for_update().get(pk=room.pk)
        if not Membership.objects.filter(room=room, user=user).exists():
            _joined(room, user)
    return room
