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
