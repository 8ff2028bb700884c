"""Request and answer bodies of the actions' own endpoints (the room export)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class RoomExportIn(serializers.Serializer[Any]):
    files = serializers.BooleanField(
        required=False, default=False, help_text="1: a zip of room.json and the room's files; else the JSON."
    )


class RoomExportStatusOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    room = serializers.IntegerField()
    state = serializers.ChoiceField(choices=["queued", "running", "done", "failed"])
    progress = serializers.FloatField(help_text="0 to 1: messages written of `total`.")
    done = serializers.IntegerField()
    total = serializers.IntegerField(help_text="Messages in the room when the export was asked for.")
    files = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    status_url = serializers.CharField(help_text="Ask again here (the same address) until it answers 200.")
