from __future__ import annotations

from typing import Any

from rest_framework import serializers

from parley.accounts.serializers import UserSerializer
from parley.rooms.models import Notify, Room


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

    class Meta(RoomPublicSerializer.Meta):
        fields = [
            *RoomPublicSerializer.Meta.fields, "is_member", "unread_count", "mention_count",
            "notify", "hidden", "last_read_seq",
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
