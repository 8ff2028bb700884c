from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from parley.accounts.serializers import UserSerializer
from parley.rooms.models import NAME_MAX, TOPIC_MAX, Invite, Notify, Room


class RoomPublicSerializer(serializers.ModelSerializer[Room]):
    """A room as everyone who can see it sees it; lobby frames carry this."""

    owner = UserSerializer(read_only=True)
    member_count = serializers.IntegerField(read_only=True)
    online_count = serializers.IntegerField(read_only=True)
    closed = serializers.BooleanField(read_only=True)
    dm_members = UserSerializer(
        many=True,
        read_only=True,
        source="dm_users",
        help_text="A direct message's members (its fixed set of people); empty for rooms. "
        "Clients name a DM by the other members' display names.",
    )

    class Meta:
        model = Room
        fields = [
            "id", "name", "topic", "visibility", "kind", "owner", "member_count", "online_count",
            "last_seq", "closed", "created_at", "dm_members",
        ]  # fmt: skip
        read_only_fields = fields


class RoomSerializer(RoomPublicSerializer):
    """A room from one viewer's side: adds membership, unread and mention counts."""

    is_member = serializers.BooleanField(read_only=True)
    unread_count = serializers.IntegerField(read_only=True)
    mention_count = serializers.IntegerField(
        read_only=True, help_text="Unread messages that mention you (or @room), counted like unread_count."
    )
    notify = serializers.ChoiceField(
        choices=Notify.choices,
        read_only=True,
        allow_null=True,
        help_text="When you are notified of a new message here (null when not a member).",
    )
    hidden = serializers.BooleanField(
        read_only=True, help_text="A direct message you left: hidden until its next message."
    )
    last_read_seq = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        source="my_read",
        help_text="Your read marker (null when not a member): the first unread message is the "
        "first after it; clients draw their 'New messages' line there.",
    )

    muted = serializers.SerializerMethodField(help_text="You are muted in this room now.")
    muted_until = serializers.SerializerMethodField(
        help_text="When your mute ends; null when you are not muted or it lasts until lifted."
    )

    class Meta(RoomPublicSerializer.Meta):
        fields = [
            *RoomPublicSerializer.Meta.fields, "is_member", "unread_count", "mention_count",
            "muted", "muted_until", "notify", "hidden", "last_read_seq", "members_can_invite",
        ]  # fmt: skip
        read_only_fields = fields

    def _mute_end(self, obj: Room) -> tuple[bool, datetime | None]:
        muted, until = getattr(obj, "my_muted", False), getattr(obj, "my_muted_until", None)
        if not muted or (until is not None and until <= timezone.now()):
            return False, None
        return True, until

    def get_muted(self, obj: Room) -> bool:
        return self._mute_end(obj)[0]

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_muted_until(self, obj: Room) -> str | None:
        until = self._mute_end(obj)[1]
        return serializers.DateTimeField().to_representation(until) if until else None


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


class RoomTransferIn(serializers.Serializer[Any]):
    user_id = serializers.IntegerField(help_text="The member who becomes the owner")


class RoomListIn(serializers.Serializer[Any]):
    joined = serializers.BooleanField(required=False, allow_null=True, default=None)


class MemberOut(serializers.Serializer[Any]):
    user = UserSerializer()
    is_owner = serializers.BooleanField()
    online = serializers.BooleanField()
    joined_at = serializers.DateTimeField()
    muted = serializers.BooleanField(default=False)
    muted_until = serializers.DateTimeField(
        allow_null=True, default=None, help_text="When the mute ends; null when not muted or until lifted."
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
    user = UserSerializer()
    banned_by = UserSerializer(allow_null=True)
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
    created_by = UserSerializer()
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
