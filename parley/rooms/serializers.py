from __future__ import annotations

from typing import Any

from rest_framework import serializers

from parley.accounts.serializers import UserSerializer
from parley.rooms.models import Invite, Room


class RoomPublicSerializer(serializers.ModelSerializer[Room]):
    """A room as everyone who can see it sees it; lobby frames carry this."""

    owner = UserSerializer(read_only=True)
    member_count = serializers.IntegerField(read_only=True)
    online_count = serializers.IntegerField(read_only=True)
    closed = serializers.BooleanField(read_only=True)

    class Meta:
        model = Room
        fields = [
            "id", "name", "topic", "visibility", "owner", "member_count", "online_count",
            "last_seq", "closed", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class RoomSerializer(RoomPublicSerializer):
    """A room from one viewer's side: adds membership, unread and mention counts."""

    is_member = serializers.BooleanField(read_only=True)
    unread_count = serializers.IntegerField(read_only=True)
    mention_count = serializers.IntegerField(
        read_only=True, help_text="Unread messages that mention you (or @room), counted like unread_count."
    )

    class Meta(RoomPublicSerializer.Meta):
        fields = [
            *RoomPublicSerializer.Meta.fields, "is_member", "unread_count", "mention_count",
            "members_can_invite",
        ]  # fmt: skip
        read_only_fields = fields


class RoomCreateIn(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    topic = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    visibility = serializers.ChoiceField(choices=Room.Visibility.choices, default=Room.Visibility.PUBLIC)


class RoomUpdateIn(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200, required=False)
    topic = serializers.CharField(max_length=1000, required=False, allow_blank=True)
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


class MembersOut(serializers.Serializer[Any]):
    members = MemberOut(many=True)


class MemberAddIn(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150)


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
