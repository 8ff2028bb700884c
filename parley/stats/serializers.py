"""The statistics endpoint's answer, for the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class StatsDayOut(serializers.Serializer[Any]):
    day = serializers.DateField(help_text="A UTC day.")
    messages = serializers.IntegerField()
    active_users = serializers.IntegerField(help_text="People who sent at least one message that day.")


class StatsRoomOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    closed = serializers.BooleanField()
    messages = serializers.IntegerField()
    active_users = serializers.IntegerField(help_text="People who sent in this room over the period.")


class StatsDirectOut(serializers.Serializer[Any]):
    messages = serializers.IntegerField(help_text="Messages in direct conversations over the period.")
    conversations = serializers.IntegerField(help_text="Direct conversations with a message in the period.")
    active_users = serializers.IntegerField(help_text="People who sent a direct message in the period.")


class StatsHourOut(serializers.Serializer[Any]):
    hour = serializers.IntegerField(min_value=0, max_value=23, help_text="Hour of the day, UTC.")
    messages = serializers.IntegerField()


class StatsOut(serializers.Serializer[Any]):
    since = serializers.DateField(help_text="First day of the period (UTC).")
    until = serializers.DateField(help_text="Last day of the period (UTC, today).")
    days = StatsDayOut(many=True, help_text="Every day of the period, oldest first (30 entries).")
    rooms = StatsRoomOut(
        many=True, help_text="The busiest rooms of the period, at most 10; direct messages are never listed."
    )
    direct = StatsDirectOut(help_text="Direct messages as one aggregate: who talks to whom is not shown.")
    hours = StatsHourOut(many=True, help_text="Messages per hour of the day over the period (24 entries).")
    messages = serializers.IntegerField(help_text="Messages over the period.")
    active_users = serializers.IntegerField(help_text="People who sent at least one message in the period.")
    live_connections = serializers.IntegerField(help_text="WebSocket connections open now, every worker's.")
    aggregated_at = serializers.DateTimeField(
        allow_null=True, help_text="When the aggregation job last ran; newer messages are not counted yet."
    )
