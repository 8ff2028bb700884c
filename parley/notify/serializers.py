"""Input and output shapes of the push endpoints."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from parley.notify.models import ENDPOINT_MAX, PushSubscription


class PushKeyOut(serializers.Serializer[Any]):
    public_key = serializers.CharField(
        help_text="The server's VAPID public key: base64url (no padding) of a 65-byte uncompressed "
        "P-256 point, for pushManager.subscribe's applicationServerKey"
    )


class PushKeysIn(serializers.Serializer[Any]):
    p256dh = serializers.CharField(max_length=200, help_text="base64url of the browser's 65-byte P-256 key")
    auth = serializers.CharField(max_length=64, help_text="base64url of the 16-byte auth secret")


class PushSubscriptionIn(serializers.Serializer[Any]):
    """`PushSubscription.toJSON()` as the browser gives it (`expirationTime` is ignored)."""

    endpoint = serializers.CharField(
        max_length=ENDPOINT_MAX, trim_whitespace=True, help_text="The push service's URL for this device"
    )
    keys = PushKeysIn()


class PushSubscriptionOut(serializers.ModelSerializer[PushSubscription]):
    class Meta:
        model = PushSubscription
        fields = ["id", "endpoint", "label", "created_at", "last_used_at"]
        read_only_fields = fields
        extra_kwargs = {
            "endpoint": {"help_text": "Compare with the browser's own subscription to mark 'this device'"},
            "label": {"help_text": "The browser and system that subscribed, e.g. 'Chrome on Android'"},
            "last_used_at": {"help_text": "When a push last reached it (null: never yet)"},
        }
