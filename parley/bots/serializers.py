"""Input and output shapes of the bots endpoints."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from parley.accounts.serializers import user_data
from parley.bots.models import IncomingWebhook, OutgoingWebhook
from parley.common.schema import ShapeField
from parley.realtime.shapes import UserOut


class CommandOut(serializers.Serializer[Any]):
    name = serializers.CharField(help_text="Typed after the slash: `roll` for /roll.")
    usage = serializers.CharField(help_text="The arguments, e.g. `2d6`; empty when none.")
    help = serializers.CharField(help_text="One line saying what it does.")
    bot = serializers.CharField(help_text="The bot that answers it; empty for built-ins.")


class CommandResultOut(serializers.Serializer[Any]):
    """A slash command that stored no message: its answer, for the sender only."""

    command = serializers.CharField()
    text = serializers.CharField()
    level = serializers.ChoiceField(choices=["info", "error"])


class IncomingCreateIn(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class IncomingOut(serializers.ModelSerializer[IncomingWebhook]):
    user = ShapeField(UserOut, user_data, read_only=True)

    class Meta:
        model = IncomingWebhook
        fields = ["id", "name", "user", "created_at", "rotated_at"]
        read_only_fields = fields


class IncomingSecretOut(IncomingOut):
    """The hook with its URL: returned only when the secret is made (create, rotate)."""

    url = serializers.SerializerMethodField()

    class Meta(IncomingOut.Meta):
        fields = [*IncomingOut.Meta.fields, "url"]
        read_only_fields = fields

    def get_url(self, obj: IncomingWebhook) -> str:
        return str(self.context["url"])


class HookPostIn(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=4000 * 4, trim_whitespace=False, allow_blank=True)
    thread = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**62,
        help_text="Post as a reply in this thread (its root's id, or a reply's: in the hook's room).",
    )
    also_to_room = serializers.BooleanField(
        required=False, help_text="With `thread`: show the reply in the room as well (false when left out)."
    )


class OutgoingCreateIn(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    url = serializers.CharField(max_length=500)
    triggers = serializers.ListField(child=serializers.CharField(max_length=40), max_length=10)


class OutgoingOut(serializers.ModelSerializer[OutgoingWebhook]):
    user = ShapeField(UserOut, user_data, read_only=True)
    triggers = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = OutgoingWebhook
        fields = ["id", "name", "url", "triggers", "user", "created_at"]
        read_only_fields = fields


class OutgoingSecretOut(OutgoingOut):
    """The hook with its signing key: returned only at creation."""

    secret = serializers.SerializerMethodField(help_text="HMAC-SHA256 key of X-Parley-Signature.")

    class Meta(OutgoingOut.Meta):
        fields = [*OutgoingOut.Meta.fields, "secret"]
        read_only_fields = fields

    def get_secret(self, obj: OutgoingWebhook) -> str:
        return str(self.context["secret"])


class BotCreateIn(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=30)
    display_name = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    room = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**62, default=None
    )


class BotCreateOut(serializers.Serializer[Any]):
    user = ShapeField(UserOut, user_data)
    token = serializers.CharField(
        help_text="The bot's API token (`Authorization: Token <token>`); shown once."
    )
