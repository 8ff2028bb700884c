from __future__ import annotations

from typing import Any
from urllib.parse import quote

from rest_framework import serializers

from parley.accounts.serializers import user_data
from parley.common.schema import ShapeField
from parley.realtime.shapes import UserOut
from parley.uploads.models import CustomEmoji, Upload

URL_PREFIX = "/api/v1/uploads"


def file_url(upload_id: int, name: str) -> str:
    """The file's address; the name is there for people and for "save as", the id decides."""
    return f"{URL_PREFIX}/{upload_id}/{quote(name, safe='')}"


def thumbnail_url(upload_id: int, name: str) -> str:
    return f"{URL_PREFIX}/{upload_id}/thumbnail/{quote(name, safe='')}"


def attachment_data(upload: Upload) -> dict[str, Any]:
    """An upload as `AttachmentOut` (the upload answer and each of `message.attachments`)."""
    return {
        "id": upload.pk,
        "url": file_url(upload.pk, upload.name),
        "name": upload.name,
        "size": upload.size,
        "content_type": upload.content_type,
        "width": upload.width,
        "height": upload.height,
        "thumbnail_url": thumbnail_url(upload.pk, upload.name) if upload.thumbnail_name else None,
    }


class UploadIn(serializers.Serializer[Any]):
    file = serializers.FileField(allow_empty_file=True, use_url=False)


def emoji_url(emoji: CustomEmoji) -> str:
    """Its picture's address: the id changes when a name is given to a new picture."""
    return f"/api/v1/emoji/{emoji.pk}/{emoji.name}.{emoji.storage_name.rsplit('.', 1)[-1]}"


class EmojiIn(serializers.Serializer[Any]):
    name = serializers.CharField(
        max_length=64, help_text="2 to 32 of a-z, 0-9, _ and -; `:name:` in messages."
    )
    file = serializers.FileField(allow_empty_file=False, use_url=False, help_text="PNG, GIF or WebP.")


class EmojiOut(serializers.Serializer[Any]):
    name = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="The picture, served to signed-in people.")
    animated = serializers.BooleanField()
    creator = ShapeField(UserOut, user_data, allow_null=True)
    created_at = serializers.DateTimeField()

    def get_url(self, emoji: CustomEmoji) -> str:
        return emoji_url(emoji)


class EmojiListOut(serializers.Serializer[Any]):
    emoji = EmojiOut(many=True, help_text="By name.")
    can_add = serializers.BooleanField(help_text="You may add emoji (CUSTOM_EMOJI: staff, or members).")


class PresignIn(serializers.Serializer[Any]):
    name = serializers.CharField(
        max_length=1000, help_text="The file's name, checked as for a multipart upload."
    )
    size = serializers.IntegerField(min_value=0, help_text="Its size in bytes: the stored object must match.")
    content_type = serializers.CharField(
        max_length=127,
        help_text="Its type (type/subtype): sent as the PUT's Content-Type, checked on completion.",
    )


class PresignOut(serializers.Serializer[Any]):
    key = serializers.CharField(help_text="Names this upload in `uploads/presigned/{key}/complete`.")
    url = serializers.CharField(help_text="Where to send the file, straight to the store.")
    method = serializers.CharField(help_text='"PUT": send the file\'s bytes as the body.')
    headers = serializers.DictField(
        child=serializers.CharField(), help_text="Headers the request must carry exactly (Content-Type)."
    )
    expires_at = serializers.DateTimeField(help_text="The address works until then; complete after the PUT.")


def presign_data(ticket: Any) -> dict[str, Any]:
    return {
        "key": ticket.upload.key,
        "url": ticket.url,
        "method": "PUT",
        "headers": ticket.headers,
        "expires_at": ticket.expires_at,
    }
