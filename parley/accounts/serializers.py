from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from parley.accounts.avatars import avatar_url
from parley.accounts.models import DISPLAY_NAME_MAX, NICKNAME_MAX, STATUS_TEXT_MAX, User
from parley.common import languages
from parley.common.schema import ShapeField, shape_list
from parley.realtime.shapes import SelfUserOut, UserOut, timestamp


def user_data(user: User) -> dict[str, Any]:
    """A user as `UserOut`, the one function REST answers and frames use (hot path: every
    frame, so a plain dict, no per-call validation)."""
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.shown_name,
        "avatar": avatar_url(user.avatar),
        "is_guest": user.is_guest,
        "is_bot": user.is_bot,
    }


def status_data(user: User, now: datetime | None = None) -> dict[str, Any] | None:
    """The user's status as `StatusOut`, or None when there is none or it has run out (an
    expired status reads as gone at once; the periodic job only tidies the columns)."""
    if not (user.status_emoji or user.status_text):
        return None
    expires = user.status_expires_at
    if expires is not None and expires <= (now or timezone.now()):
        return None
    return {"emoji": user.status_emoji, "text": user.status_text, "expires_at": timestamp(expires)}


def dnd_until(user: User, now: datetime | None = None) -> datetime | None:
    """When the user's do-not-disturb ends, or None when it is off (or over)."""
    until = user.dnd_until
    return until if until is not None and until > (now or timezone.now()) else None


def self_data(user: User) -> dict[str, Any]:
    """The signed-in user as `SelfUserOut`."""
    now = timezone.now()
    return {
        **user_data(user),
        "is_staff": user.is_staff,
        "language": user.language,
        "time_zone": user.time_zone,
        "status": status_data(user, now),
        "dnd_until": timestamp(dnd_until(user, now)),
        "away": user.away,
        "share_read_receipts": user.share_read_receipts,
        "push_hide_text": user.push_hide_text,
    }


ZONE_HELP = (
    "The browser's IANA time zone (Intl.DateTimeFormat().resolvedOptions().timeZone); UTC when"
    " left out. GET time-zones lists the zones a picker offers; any IANA name is accepted."
)


class CredentialsIn(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150, trim_whitespace=True)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class RegisterIn(CredentialsIn):
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, trim_whitespace=True)
    time_zone = serializers.CharField(max_length=64, required=False, allow_blank=True, help_text=ZONE_HELP)
    invitation = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="The token of a mailed invitation (`/invitation?token=`): required when REGISTRATION is"
        " `invite`, accepted whatever it is; the invitation's address becomes the account's, verified.",
    )


class TokenIn(serializers.Serializer[Any]):
    token = serializers.CharField(max_length=512)


class PasswordResetIn(serializers.Serializer[Any]):
    login = serializers.CharField(max_length=254, help_text="A username or a verified email address.")


class PasswordResetConfirmIn(serializers.Serializer[Any]):
    token = serializers.CharField(max_length=512)
    new_password = serializers.CharField(max_length=256, trim_whitespace=False)


class MailSettingsIn(serializers.Serializer[Any]):
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, trim_whitespace=True)
    digest_enabled = serializers.BooleanField(required=False)


class MailSettingsOut(serializers.Serializer[Any]):
    email = serializers.CharField()
    email_verified = serializers.BooleanField()
    digest_enabled = serializers.BooleanField()


def mail_settings_data(user: User) -> dict[str, Any]:
    return {"email": user.email, "email_verified": user.email_verified, "digest_enabled": user.digest_enabled}


class WsTicketOut(serializers.Serializer[Any]):
    ticket = serializers.CharField()
    expires_in = serializers.IntegerField()


class GuestIn(serializers.Serializer[Any]):
    nickname = serializers.CharField(max_length=NICKNAME_MAX, trim_whitespace=True)
    avatar = serializers.CharField(max_length=32, required=False, allow_blank=True)
    time_zone = serializers.CharField(max_length=64, required=False, allow_blank=True, help_text=ZONE_HELP)


class PasswordChangeIn(serializers.Serializer[Any]):
    old_password = serializers.CharField(max_length=256, trim_whitespace=False)
    new_password = serializers.CharField(max_length=256, trim_whitespace=False)


class AuthOut(serializers.Serializer[Any]):
    user = ShapeField(SelfUserOut, self_data)
    token = serializers.CharField()
    token_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="When the token stops working (TOKEN_TTL); null: never. Renew before."
    )


class TokenRenewOut(serializers.Serializer[Any]):
    token = serializers.CharField()
    token_expires_at = serializers.DateTimeField(allow_null=True)


class MeOut(serializers.Serializer[Any]):
    user = ShapeField(SelfUserOut, self_data)


class AvatarOut(serializers.Serializer[Any]):
    key = serializers.CharField()
    url = serializers.CharField()


class AvatarsOut(serializers.Serializer[Any]):
    avatars = AvatarOut(many=True)


class UserSearchIn(serializers.Serializer[Any]):
    q = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    limit = serializers.IntegerField(min_value=1, max_value=50, default=20)
    offset = serializers.IntegerField(min_value=0, max_value=10000, default=0)


class UserSearchOut(serializers.Serializer[Any]):
    results = shape_list(UserOut, user_data)
    has_more = serializers.BooleanField()


class StatusIn(serializers.Serializer[Any]):
    emoji = serializers.CharField(
        max_length=32, required=False, allow_blank=True, default="", help_text="One emoji, or empty"
    )
    text = serializers.CharField(
        max_length=STATUS_TEXT_MAX, required=False, allow_blank=True, default="", trim_whitespace=True
    )
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="In the future; null: until cleared"
    )


@extend_schema_field(
    {
        "oneOf": [
            {
                "type": "object",
                "properties": {
                    "emoji": {"type": "string", "maxLength": 32, "description": "One emoji, or empty"},
                    "text": {"type": "string", "maxLength": STATUS_TEXT_MAX},
                    "expires_at": {
                        "type": ["string", "null"],
                        "format": "date-time",
                        "description": "In the future; null: until cleared",
                    },
                },
                "additionalProperties": False,
            },
            {"type": "null"},
        ],
        "description": "Your status; null (or no emoji and no text) clears it",
    }
)
class StatusField(serializers.Field):  # type: ignore[type-arg]
    """`status` of PATCH me: `StatusIn`'s fields, inline in the schema (a component of its own
    would be `StatusOut` a second time under another name)."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        inner = StatusIn(data=data)
        inner.is_valid(raise_exception=True)
        return dict(inner.validated_data)

    def to_representation(self, value: Any) -> Any:
        return value


class ProfileIn(serializers.Serializer[Any]):
    display_name = serializers.CharField(max_length=DISPLAY_NAME_MAX, required=False, trim_whitespace=True)
    avatar = serializers.CharField(max_length=32, required=False, help_text="A key of the bundled set")
    language = serializers.ChoiceField(
        choices=[], required=False, help_text="One of the languages the server speaks"
    )
    time_zone = serializers.CharField(
        max_length=64, required=False, help_text="An IANA name, e.g. Asia/Seoul"
    )
    status = StatusField(required=False, allow_null=True)
    dnd_until = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Do not disturb until then (in the future); null: off"
    )
    away = serializers.BooleanField(required=False, help_text="Away by hand, until set false")
    share_read_receipts = serializers.BooleanField(
        required=False, help_text="Off: others do not see your read position, and you do not see theirs"
    )
    push_hide_text = serializers.BooleanField(
        required=False, help_text="Push notifications say only 'New message' (no sender, no text)"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read at each use, not at import: the one list is the setting (parley.common.languages).
        language = self.fields["language"]
        assert isinstance(language, serializers.ChoiceField)
        language.choices = languages.choices()


class TimeZoneOut(serializers.Serializer[Any]):
    id = serializers.CharField(help_text="The IANA name, as stored and as PATCH me takes it")
    region = serializers.CharField(help_text="Its first part (Europe, America, ...); UTC for UTC")
    city = serializers.CharField(help_text="Its last part, spaces for underscores")
    country = serializers.CharField(help_text="ISO 3166 code (zone.tab), empty for UTC")


class TimeZonesOut(serializers.Serializer[Any]):
    zones = TimeZoneOut(many=True)


class AvatarUploadIn(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="PNG, JPEG, GIF or WebP, at most 5 MiB; cropped to a square")


class AccountDeleteIn(serializers.Serializer[Any]):
    password = serializers.CharField(
        max_length=256, required=False, allow_blank=True, trim_whitespace=False, help_text="Not for guests"
    )
    messages = serializers.ChoiceField(
        choices=["keep", "delete"], help_text='"keep": shown under "Deleted user"; "delete": tombstones'
    )
