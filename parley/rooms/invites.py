"""Invite links: create, list, revoke, preview and accept (issue 17).

A link is a random token; whoever holds it sees the room's name, topic and member
count and can join, private rooms included. Owners create links, and members do
when the owner allows it (`members_can_invite`). Accepting goes through the room
join service, so whatever refuses a join (a closed room, later a ban) refuses it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parley.accounts.models import User
from parley.common.errors import Conflict, Forbidden, Gone, Invalid, NotFound
from parley.common.i18n import Text, interpolate
from parley.rooms import selectors, services
from parley.rooms.models import Invite, Membership, Room

EXPIRES_MIN = 60
EXPIRES_MAX = 30 * 86400
MAX_USES_MAX = 1000
LIST_LIMIT = 200

_GONE_MESSAGES: dict[str, Text] = {
    "expired": _("This invite has expired."),
    "revoked": _("This invite was revoked."),
    "used_up": _("This invite has been used up."),
    "room_closed": _("This room is closed."),
}


def _live(invite: Invite, room: Room) -> None:
    """Raise 410 for a link that no longer admits anyone, saying why."""
    state = "room_closed" if room.closed else invite.state
    if state != "active":
        raise Gone(_GONE_MESSAGES[state], code=f"invite_{state}")


def _by_token(token: str) -> Invite:
    invite = None
    if token and len(token) <= 64:
        invite = Invite.objects.select_related("room", "created_by").filter(token=token).first()
    if invite is None:
        raise NotFound(_("No such invite."), code="invite_not_found")
    return invite


def invite_create(
    *, room_id: int, actor: User, expires_in: int | None = None, max_uses: int | None = None
) -> Invite:
    room = selectors.room_for_member(user=actor, room_id=room_id)
    if room.owner_id != actor.pk and not room.members_can_invite:
        raise Forbidden(_("Only the room's owner can invite with a link here."), code="not_allowed")
    if room.closed:
        raise Conflict(_("The room is closed."), code="room_closed")
    if expires_in is not None and not EXPIRES_MIN <= expires_in <= EXPIRES_MAX:
        raise Invalid(
            _("Choose an expiry between a minute and 30 days."),
            fields={
                "expires_in": [
                    interpolate(
                        _("Seconds, from %(min)s to %(max)s."), {"min": EXPIRES_MIN, "max": EXPIRES_MAX}
                    )
                ]
            },
        )
    if max_uses is not None and not 1 <= max_uses <= MAX_USES_MAX:
        raise Invalid(
            _("Choose a use limit between 1 and 1000."),
            fields={"max_uses": [interpolate(_("From 1 to %(max)s."), {"max": MAX_USES_MAX})]},
        )
    expires_at = timezone.now() + timedelta(seconds=expires_in) if expires_in is not None else None
    return Invite.objects.create(
        token=secrets.token_urlsafe(24),
        room=room,
        created_by=actor,
        expires_at=expires_at,
        max_uses=max_uses,
    )


def invite_list(*, room_id: int, actor: User) -> QuerySet[Invite]:
    """The room's links that are not revoked, newest first: the owner sees all of them, a member
    the ones they made."""
    room = selectors.room_for_member(user=actor, room_id=room_id)
    qs = Invite.objects.filter(room=room, revoked_at__isnull=True).select_related("created_by", "room")
    if room.owner_id != actor.pk:
        qs = qs.filter(created_by=actor)
    return qs.order_by("-created_at", "-pk")[:LIST_LIMIT]


def invite_revoke(*, token: str, actor: User) -> Invite:
    """Revoke a link (its room's owner or its creator); revoking twice is not an error.
    Anyone else is told the link does not exist, exactly as for a made-up one: a refusal
    must not confirm that a guessed code is real."""
    invite = _by_token(token)
    if actor.pk not in (invite.room.owner_id, invite.created_by_id):
        raise NotFound(_("No such invite."), code="invite_not_found")
    if invite.revoked_at is None:
        invite.revoked_at = timezone.now()
        invite.save(update_fields=["revoked_at"])
    return invite


@dataclass(frozen=True)
class Preview:
    invite: Invite
    member_count: int


def invite_preview(*, token: str) -> Preview:
    """What anyone holding the link may see; 410 when it no longer admits anyone."""
    invite = _by_token(token)
    _live(invite, invite.room)
    return Preview(invite, selectors.member_count(room_id=invite.room_id))


def invite_accept(*, token: str, user: User) -> Room:
    """Join the link's room. The link's row is locked, so concurrent accepts count each use once
    and never exceed `max_uses`; accepting again as a member counts no use."""
    with transaction.atomic():
        found = _by_token(token)
        invite = Invite.objects.select_for_update().select_related("room").get(pk=found.pk)
        if Membership.objects.filter(room_id=invite.room_id, user=user).exists():
            return invite.room
        _live(invite, invite.room)
        room = services.room_join(room_id=invite.room_id, user=user, invited=True)
        invite.uses += 1
        invite.save(update_fields=["uses"])
    return room


def invite_settings_update(*, room_id: int, actor: User, members_can_invite: bool) -> Room:
    """The owner lets members create links, or stops them (their links keep working)."""
    with transaction.atomic():
        room = selectors.room_for_member(user=actor, room_id=room_id)
        if room.owner_id != actor.pk:
            raise Forbidden(_("Only the room's owner can do that."), code="not_owner")
        if room.members_can_invite != members_can_invite:
            room.members_can_invite = members_can_invite
            room.save(update_fields=["members_can_invite"])
    return room
