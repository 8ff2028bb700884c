from __future__ import annotations

from typing import Any

from rest_framework import serializers

from parley.accounts.avatars import avatar_url
from parley.accounts.models import User
from parley.common.schema import ShapeField, shape_list
from parley.realtime.shapes import SelfUserOut, UserOut


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


def self_data(user: User) -> dict[str, Any]:
    """The signed-in user as `SelfUserOut`."""
    return {
        **user_data(user),
        "is_staff": user.is_staff,
        "language": user.language,
        "time_zone": user.time_zone,
    }


class CredentialsIn(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150, trim_whitespace=True)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class RegisterIn(CredentialsIn):
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, trim_whitespace=True)


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
    nickname = serializers.CharField(max_length=200, trim_whitespace=True)
    avatar = serializers.CharField(max_length=32, required=False, allow_blank=True)


class PasswordChangeIn(serializers.Serializer[Any]):
    old_password = serializers.CharField(max_length=256, trim_whitespace=False)
    new_password = serializers.CharField(max_length=256, trim_whitespace=False)


class AuthOut(serializers.Serializer[Any]):
    user = ShapeField(SelfUserOut, self_data)
    token = serializers.CharField()


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


class ProfileIn(serializers.Serializer[Any]):
    display_name = serializers.CharField(max_length=200, required=False, trim_whitespace=True)
    avatar = serializers.CharField(max_length=32, required=False, help_text="A key of the bundled set")
    language = serializers.CharField(max_length=16, required=False, help_text="en, zh-hans, ko or ja")
    time_zone = serializers.CharField(
        max_length=64, required=False, help_text="An IANA name, e.g. Asia/Seoul"
    )


class AvatarUploadIn(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="PNG, JPEG, GIF or WebP, at most 5 MiB; cropped to a square")


class AccountDeleteIn(serializers.Serializer[Any]):
    password = serializers.CharField(
        max_length=256, required=False, allow_blank=True, trim_whitespace=False, help_text="Not for guests"
    )
    messages = serializers.ChoiceField(
        choices=["keep", "delete"], help_text='"keep": shown under "Deleted user"; "delete": tombstones'
    )
