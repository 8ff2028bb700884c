from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers

from parley.accounts import presence
from parley.accounts.serializers import user_data
from parley.common.schema import ShapeField
from parley.realtime.shapes import StatusOut, UserOut, timestamp
from parley.rooms.models import NAME_MAX, TOPIC_MAX, Invite, Notify, Room


def public_room_data(room: Room) -> dict[str, Any]:
    """A room as `RoomPublicOut` (the lobby's frames). The selectors attach `member_count`,
    `online_count` and `dm_users` (`services.room_public_data` does for one room)."""
    return {
        "id": room.pk,
        "name": room.name,
        "topic": room.topic,
        "visibility": room.visibility,
        "kind": room.kind,
        "owner": user_data(room.owner),
        "member_count": room.member_count,  # type: ignore[attr-defined]
        "online_count": room.online_count,  # type: ignore[attr-defined]
        "last_seq": room.last_seq,
        "closed": room.closed,
        "created_at": timestamp(room.created_at),
        "dm_members": [user_data(u) for u in room.dm_users],  # type: ignore[attr-defined]
    }


def _mute_end(room: Room, now: datetime) -> tuple[bool, datetime | None]:
    muted, until = getattr(room, "my_muted", False), getattr(room, "my_muted_until", None)
    if not muted or (until is not None and until <= now):
        return False, None
    return True, until


def room_data(room: Room) -> dict[str, Any]:
    """A room as `RoomOut`, from the viewer's side the selectors annotated it with
    (`room_detail`, `room_list`)."""
    muted, until = _mute_end(room, timezone.now())
    return {
        **public_room_data(room),
        "is_member": room.is_member,  # type: ignore[attr-defined]
        "unread_count": room.unread_count,  # type: ignore[attr-defined]
        "mention_count": room.mention_count,  # type: ignore[attr-defined]
        "muted": muted,
        "muted_until": timestamp(until),
        "notify": room.notify,  # type: ignore[attr-defined]
        "hidden": room.hidden,  # type: ignore[attr-defined]
        "last_read_seq": room.my_read,  # type: ignore[attr-defined]
        "members_can_invite": room.members_can_invite,
        "members_can_pin": room.members_can_pin,
        "link_previews": room.link_previews,
        "dm_presence": list(presence.presence_of(room.dm_users).values()) if room.dm_users else [],  # type: ignore[attr-defined]
        "retention_days": room.retention_days,
        "retention_policy": retention_policy(),
    }


def retention_policy() -> dict[str, Any]:
    """The server's side of retention, which every room's settings show: its default
    (PURGE_OLDER_THAN in days, null when it keeps everything) and the bounds an owner may set."""
    default = settings.PURGE_OLDER_THAN
    return {
        "default_days": round(default / 86400, 2) if default > 0 else None,
        "min_days": settings.ROOM_RETENTION_MIN_DAYS,
        "max_days": settings.ROOM_RETENTION_MAX_DAYS,
    }


class RoomCreateIn(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=NAME_MAX)
    topic = serializers.CharField(max_length=TOPIC_MAX, required=False, allow_blank=True, default="")
    visibility = serializers.ChoiceField(choices=Room.Visibility.choices, default=Room.Visibility.PUBLIC)


class RoomUpdateIn(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=NAME_MAX, required=False)
    topic = serializers.CharField(max_length=TOPIC_MAX, required=False, allow_blank=True)
    visibility = serializers.ChoiceField(choices=Room.Visibility.choices, required=False)
    members_can_invite = serializers.BooleanField(
        required=False, help_text="Members (not only the owner) may create invite links."
    )
    members_can_pin = serializers.BooleanField(
        required=False, help_text="Members (not only the owner and staff) may pin messages."
    )
    link_previews = serializers.BooleanField(
        required=False, help_text="Links in new messages get preview cards (when the server allows them)."
    )
    retention_days = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=2**31 - 1,
        help_text="Messages older than this many days are deleted; null = the server's default."
        " Must lie within `retention_policy` (min_days..max_days), else 400 retention_out_of_bounds.",
    )


class RoomTransferIn(serializers.Serializer[Any]):
    user_id = serializers.IntegerField(help_text="The member who becomes the owner")


class RoomListIn(serializers.Serializer[Any]):
    joined = serializers.BooleanField(required=False, allow_null=True, default=None)


class MemberOut(serializers.Serializer[Any]):
    user = ShapeField(UserOut, user_data)
    is_owner = serializers.BooleanField()
    online = serializers.BooleanField()
    state = serializers.ChoiceField(
        choices=["online", "away", "dnd", "offline"], help_text="Presence (docs/delivery.md)"
    )
    status = ShapeField(StatusOut, allow_null=True)
    joined_at = serializers.DateTimeField()
    muted = serializers.BooleanField(default=False)
    muted_until = serializers.DateTimeField(
        allow_null=True, default=None, help_text="When the mute ends; null when not muted or until lifted."
    )


class ReadOut(serializers.Serializer[Any]):
    user = ShapeField(UserOut, user_data)
    last_read_seq = serializers.IntegerField(help_text="Everything up to this seq is read")


class ReadsOut(serializers.Serializer[Any]):
    reads = ReadOut(many=True)
    sharing = serializers.BooleanField(
        help_text="You share read receipts; when false, `reads` is empty (you see nobody's)"
    )


class ReadsIn(serializers.Serializer[Any]):
    min_seq = serializers.IntegerField(
        required=False, default=0, min_value=0, help_text='Only readers who read this seq ("seen by")'
    )


class MuteIn(serializers.Serializer[Any]):
    duration = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=366 * 86400,
        help_text="Seconds; leave out (or null) to mute until lifted.",
    )


class MutesOut(serializers.Serializer[Any]):
    mutes = MemberOut(many=True)


class BanIn(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class BanOut(serializers.Serializer[Any]):
    user = ShapeField(UserOut, user_data)
    banned_by = ShapeField(UserOut, user_data, allow_null=True)
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class BansOut(serializers.Serializer[Any]):
    bans = BanOut(many=True)


class MembersOut(serializers.Serializer[Any]):
    members = MemberOut(many=True, help_text="The room's people (bots are not members: `bots`).")
    bots = MemberOut(
        many=True,
        help_text="Bots with a seat in the room (they answered a command here, or post for a webhook"
        " or an owner's bot account): shown apart, never counted; the owner removes one like a member.",
    )


class MemberAddIn(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150)


class DmOpenIn(serializers.Serializer[Any]):
    user_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        allow_empty=False,
        max_length=50,
        help_text="The other people (your own id may be included; it is implied).",
    )


class MembershipUpdateIn(serializers.Serializer[Any]):
    notify = serializers.ChoiceField(choices=Notify.choices, required=False)
    hidden = serializers.BooleanField(required=False, help_text="Direct messages only.")


class InviteCreateIn(serializers.Serializer[Any]):
    expires_in = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Seconds until the link expires; none: never.",
    )
    max_uses = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="How many people may join with it; none: any.",
    )


class InviteOut(serializers.Serializer[Any]):
    token = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="The client's page for the link: share this.")
    room = serializers.IntegerField(source="room_id")
    expires_at = serializers.DateTimeField(allow_null=True)
    max_uses = serializers.IntegerField(allow_null=True)
    uses = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    created_by = ShapeField(UserOut, user_data)
    revoked = serializers.SerializerMethodField()
    state = serializers.ChoiceField(
        choices=["active", "expired", "revoked", "used_up"],
        read_only=True,
        help_text="Whether it admits anyone",
    )

    def get_revoked(self, obj: Invite) -> bool:
        return obj.revoked_at is not None

    def get_url(self, obj: Invite) -> str:
        request = self.context.get("request")
        path = f"/invite/{obj.token}"
        return request.build_absolute_uri(path) if request is not None else path


class InvitesOut(serializers.Serializer[Any]):
    invites = InviteOut(many=True)


class InviteRoomOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    topic = serializers.CharField()
    visibility = serializers.CharField()
    member_count = serializers.IntegerField()


class InvitePreviewOut(serializers.Serializer[Any]):
    room = InviteRoomOut()
    expires_at = serializers.DateTimeField(allow_null=True)
    is_member = serializers.BooleanField(help_text="The signed-in viewer is already in the room.")
