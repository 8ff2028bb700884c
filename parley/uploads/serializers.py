from __future__ import annotations

from typing import Any
from urllib.parse import quote

from rest_framework import serializers

from parley.uploads.models import Upload

URL_PREFIX = "/api/v1/uploads"


def file_url(upload_id: int, name: str) -> str:
    """The file's address; the name is there for people and for "save as", the id decides."""
    return f"{URL_PREFIX}/{upload_id}/{quote(name, safe='')}"


def thumbnail_url(upload_id: int, name: str) -> str:
    return f"{URL_PREFIX}/{upload_id}/thumbnail/{quote(name, safe='')}"


def attachment_data(upload: Upload) -> dict[str, Any]:
    """An upload as the upload answer and `message.attachments` show it (one shape for both)."""
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


class AttachmentOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    url = serializers.CharField(help_text="Served only to members of the room (404 to anyone else).")
    name = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes.")
    content_type = serializers.CharField(help_text="Sniffed from the content, not from the name.")
    width = serializers.IntegerField(allow_null=True, help_text="Images shown inline only; else null.")
    height = serializers.IntegerField(allow_null=True)
    thumbnail_url = serializers.CharField(
        allow_null=True,
        help_text="Null until the thumbnail is made (a `message.updated` follows) and for non-images.",
    )


class UploadIn(serializers.Serializer[Any]):
    file = serializers.FileField(allow_empty_file=True, use_url=False)
