from __future__ import annotations

from datetime import datetime
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from parley.accounts.serializers import UserSerializer, user_data
from parley.messaging.models import BODY_MAX, Message


class ReactionUserOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    display_name = serializers.CharField()


class ReactionOut(serializers.Serializer[Any]):
    emoji = serializers.CharField()
    count = serializers.IntegerField()
    me = serializers.BooleanField(help_text="The viewer reacted with this emoji.")
    users = ReactionUserOut(
        many=True,
        help_text="Who reacted (the first 20, oldest first; `count` has them all). REST only: "
        "frames carry no reactions.",
    )


class ReplyOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    seq = serializers.IntegerField(help_text="Its seq: `around_seq` loads the history around it.")
    sender = UserSerializer()
    excerpt = serializers.CharField(help_text="The start of its body when the reply was sent.")
    deleted = serializers.BooleanField()


class MessageSerializer(serializers.ModelSerializer[Message]):
    sender = UserSerializer(read_only=True)
    room = serializers.IntegerField(source="room_id", read_only=True)
    deleted = serializers.BooleanField(read_only=True)
    reply_to = serializers.SerializerMethodField()
    mentions = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    reactions = ReactionOut(many=True, read_only=True, source="reaction_list")

    class Meta:
        model = Message
        fields = [
            "id", "room", "seq", "sender", "body", "created_at", "edited_at", "client_id",
            "deleted", "reply_to", "mentions", "mentions_room", "reactions",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(ReplyOut(allow_null=True))
    def get_reply_to(self, message: Message) -> dict[str, Any] | None:
        return reply_data(message)


def _iso(value: datetime | None) -> str | None:
    """DRF's datetime format: ISO 8601 with 'Z' for UTC."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def reply_data(message: Message) -> dict[str, Any] | None:
    """`reply_to` of a message; the replied-to message (with its sender) must be loaded."""
    if message.reply_to_id is None:
        return None
    target = message.reply_to
    assert target is not None
    return {
        "id": target.pk,
        "seq": target.seq,
        "sender": user_data(target.sender),
        "excerpt": "" if target.deleted_at else message.reply_excerpt,
        "deleted": target.deleted_at is not None,
    }


def message_data(message: Message) -> dict[str, Any]:
    """MessageSerializer's output, built directly (hot path: once per send). A test keeps them equal.

    `reactions` are what the selectors attached for the viewer; in frames (encoded once for
    everyone) they are `[]` and clients apply `reaction` events themselves."""
    return {
        "id": message.pk,
        "room": message.room_id,
        "seq": message.seq,
        "sender": user_data(message.sender),
        "body": message.body,
        "created_at": _iso(message.created_at),
        "edited_at": _iso(message.edited_at),
        "client_id": message.client_id,
        "deleted": message.deleted_at is not None,
        "reply_to": reply_data(message),
        "mentions": list(message.mentions),
        "mentions_room": message.mentions_room,
        "reactions": list(message.reaction_list),
    }


class MessagePageOut(serializers.Serializer[Any]):
    messages = MessageSerializer(many=True)
    has_more = serializers.BooleanField(
        help_text="Older messages exist (newer ones with after_seq). With around_seq: older ones."
    )
    has_more_before = serializers.BooleanField(required=False, help_text="Only with around_seq.")
    has_more_after = serializers.BooleanField(required=False, help_text="Only with around_seq.")


class HistoryIn(serializers.Serializer[Any]):
    before_seq = serializers.IntegerField(required=False, min_value=1, max_value=2**62)
    after_seq = serializers.IntegerField(required=False, min_value=0, max_value=2**62)
    around_seq = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=2**62,
        help_text="The page centred on this seq (alone: not with before_seq or after_seq).",
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=50)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "around_seq" in attrs and ("before_seq" in attrs or "after_seq" in attrs):
            raise serializers.ValidationError({"around_seq": ["Use around_seq alone, without before/after."]})
        return attrs


class EditIn(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=BODY_MAX * 4, trim_whitespace=False, allow_blank=True)


class ReactionsOut(serializers.Serializer[Any]):
    reactions = ReactionOut(many=True)


class EventsIn(serializers.Serializer[Any]):
    after_seq = serializers.IntegerField(min_value=0, max_value=2**62)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=500, default=100)


class EventsOut(serializers.Serializer[Any]):
    events = serializers.ListField(child=serializers.DictField(), help_text="WebSocket frames, in seq order.")
    has_more = serializers.BooleanField()
    last_seq = serializers.IntegerField()


class SendIn(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=BODY_MAX * 4, trim_whitespace=False, allow_blank=True)
    client_id = serializers.RegexField(r"^[A-Za-z0-9_.:-]{1,64}$", required=False, max_length=64)
    reply_to = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**62, help_text="A message of this room."
    )
    attachments = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**62),
        required=False,
        max_length=0,
        help_text="Upload ids. Uploads are not available yet: only an empty list is accepted.",
    )


class ReadIn(serializers.Serializer[Any]):
    seq = serializers.IntegerField(min_value=0, max_value=2**62)


class SearchIn(serializers.Serializer[Any]):
    q = serializers.CharField(min_length=1, max_length=200)
    room = serializers.IntegerField(required=False, min_value=1, max_value=2**62)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=50)


class HighlightSegment(serializers.Serializer[Any]):
    text = serializers.CharField()
    match = serializers.BooleanField()


class SearchResult(serializers.Serializer[Any]):
    message = MessageSerializer()
    highlight = HighlightSegment(many=True)


class SearchOut(serializers.Serializer[Any]):
    results = SearchResult(many=True)
