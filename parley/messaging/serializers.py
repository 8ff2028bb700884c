from __future__ import annotations

from datetime import datetime
from typing import Any

from rest_framework import serializers

from parley.accounts.serializers import UserSerializer, user_data
from parley.messaging.models import BODY_MAX, Message


class MessageSerializer(serializers.ModelSerializer[Message]):
    sender = UserSerializer(read_only=True)
    room = serializers.IntegerField(source="room_id", read_only=True)

    class Meta:
        model = Message
        fields = ["id", "room", "seq", "sender", "body", "created_at", "edited_at", "client_id"]
        read_only_fields = fields


def _iso(value: datetime | None) -> str | None:
    """DRF's datetime format: ISO 8601 with 'Z' for UTC."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def message_data(message: Message) -> dict[str, Any]:
    """MessageSerializer's output, built directly (hot path: once per send). A test keeps them equal."""
    return {
        "id": message.pk,
        "room": message.room_id,
        "seq": message.seq,
        "sender": user_data(message.sender),
        "body": message.body,
        "created_at": _iso(message.created_at),
        "edited_at": _iso(message.edited_at),
        "client_id": message.client_id,
    }


class MessagePageOut(serializers.Serializer[Any]):
    messages = MessageSerializer(many=True)
    has_more = serializers.BooleanField()


class HistoryIn(serializers.Serializer[Any]):
    before_seq = serializers.IntegerField(required=False, min_value=1, max_value=2**62)
    after_seq = serializers.IntegerField(required=False, min_value=0, max_value=2**62)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=50)


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
