"""Uploads straight to the S3-compatible store: Parley signs an address, the client PUTs
the bytes there, then says it is done and Parley checks what arrived.

The web process never touches the bytes (issue 34): a 10 MiB upload costs it two small
requests and a HEAD and a ranged GET of the object's first bytes (its type is sniffed from
the content, as for the multipart path, and an image's size read from its header). The
limits are those of the multipart path: UPLOAD_MAX_BYTES, the room's rules (closed, muted),
the name's checks. Until completed, a presigned upload is no `Upload`: nothing can attach
it and nobody can fetch it through Parley."""

from __future__ import annotations

import io
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parley.accounts.models import User
from parley.common.errors import Conflict, Gone, Invalid, NotFound
from parley.uploads import files
from parley.uploads.models import PresignedUpload, Upload
from parley.uploads.services import clean_file_name, room_for_upload, too_large
from parley.uploads.storage import delete_files, delete_files_on_commit, upload_storage

log = logging.getLogger(__name__)

# Enough of the object to sniff its type and read an image's header (a JPEG's size can sit
# behind a large EXIF block).
HEAD_BYTES = 256 * 1024
_CONTENT_TYPE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9!#$&^_.+-]{0,62}/[a-zA-Z0-9][a-zA-Z0-9!#$&^_.+-]{0,62}$")


@dataclass(frozen=True)
class Ticket:
    """What the client needs to send the bytes: PUT `url` with `headers`, before `expires_at`."""

    upload: PresignedUpload
    url: str
    headers: dict[str, str]
    expires_at: datetime


def _s3() -> tuple[Any, str, str] | None:
    """(boto3 client, bucket, key prefix) of the uploads storage when it is S3-compatible
    and presigned uploads are on; None otherwise."""
    storage = upload_storage()
    bucket = getattr(storage, "bucket_name", None)
    if not settings.UPLOAD_S3_PRESIGN or not bucket or not hasattr(storage, "connection"):
        return None
    location = str(getattr(storage, "location", "") or "").strip("/")
    return storage.connection.meta.client, bucket, location


def available() -> bool:
    return _s3() is not None


def _key(prefix: str, storage_name: str) -> str:
    return f"{prefix}/{storage_name}" if prefix else storage_name


def unavailable() -> NotFound:
    return NotFound(
        _("This server takes uploads through its own address only."), code="presigned_uploads_off"
    )


def bad_content_type() -> Invalid:
    message = _("Give the file's type as type/subtype.")
    return Invalid(message, code="bad_content_type", fields={"content_type": [message]})


def presign_create(*, uploader: User, room_id: int, name: str, size: int, content_type: str) -> Ticket:
    """An address to PUT a file of `size` bytes and `content_type` to, for this room."""
    s3 = _s3()
    if s3 is None:
        raise unavailable()
    client, bucket, prefix = s3
    room = room_for_upload(uploader=uploader, room_id=room_id)
    clean_name = clean_file_name(name)
    if size > settings.UPLOAD_MAX_BYTES:
        raise too_large()
    if not _CONTENT_TYPE.match(content_type):
        raise bad_content_type()
    storage_name = f"{room.pk}/{uuid.uuid4().hex}"
    ttl = settings.UPLOAD_PRESIGN_TTL
    url = client.generate_presigned_url(
        "put_object",
        Params={"Bucket": bucket, "Key": _key(prefix, storage_name), "ContentType": content_type},
        ExpiresIn=int(ttl.total_seconds()),
        HttpMethod="PUT",
    )
    made = PresignedUpload.objects.create(
        key=uuid.uuid4().hex,
        room=room,
        uploader=uploader,
        name=clean_name,
        storage_name=storage_name,
        size=size,
        content_type=content_type,
        expires_at=timezone.now() + ttl,
    )
    return Ticket(made, url, {"Content-Type": content_type}, made.expires_at)


def presign_complete(*, uploader: User, key: str) -> Upload:
    """The upload, once the object is in the store as announced (then attachable).

    Refused: an unknown key or another person's (404), a key past its time (410, the
    object removed), no object yet (409, the key stays usable until it expires), an object
    larger than UPLOAD_MAX_BYTES (413) or not of the announced size or type (400; removed)."""
    s3 = _s3()
    if s3 is None:
        raise unavailable()
    client, bucket, prefix = s3
    pending = PresignedUpload.objects.filter(key=key, uploader=uploader).first()
    if pending is None:
        raise NotFound(_("No such upload."))
    # The store's round trips come before the transaction: no lock is held across them.
    object_key = _key(prefix, pending.storage_name)
    head = None if pending.expires_at < timezone.now() else _head(client, bucket, object_key)
    refusal, drop = _refusal(pending, head)
    sniffed = files.Sniffed("text/plain")  # an empty file, as the multipart path sniffs it
    if refusal is None and head is not None:
        room_for_upload(uploader=uploader, room_id=pending.room_id)  # may still post
        if int(head["ContentLength"]) > 0:
            first = client.get_object(Bucket=bucket, Key=object_key, Range=f"bytes=0-{HEAD_BYTES - 1}")
            sniffed = files.inspect(io.BytesIO(first["Body"].read()))
    with transaction.atomic():
        if not PresignedUpload.objects.select_for_update().filter(pk=pending.pk).exists():
            raise NotFound(_("No such upload."))  # completed (or removed) meanwhile
        if refusal is None and head is not None:
            room = room_for_upload(uploader=uploader, room_id=pending.room_id)
            pending.delete()
            return Upload.objects.create(
                room=room,
                uploader=uploader,
                name=pending.name,
                storage_name=pending.storage_name,
                size=int(head["ContentLength"]),
                content_type=sniffed.content_type,
                width=sniffed.width,
                height=sniffed.height,
            )
        if drop:  # committed before the refusal is raised
            pending.delete()
            delete_files_on_commit([pending.storage_name])
    raise refusal or unavailable()


def _refusal(pending: PresignedUpload, head: dict[str, Any] | None) -> tuple[Exception | None, bool]:
    """Why this presigned upload cannot complete now (None if it can), and whether it is
    dropped for good (its row and object)."""
    if pending.expires_at < timezone.now():
        return Gone(
            _("The upload's address has expired; upload the file again."), code="upload_expired"
        ), True
    if head is None:
        return Conflict(_("The file has not arrived in the store yet."), code="upload_incomplete"), False
    if int(head["ContentLength"]) > settings.UPLOAD_MAX_BYTES:
        return too_large(), True
    if int(head["ContentLength"]) != pending.size or str(head.get("ContentType", "")) != pending.content_type:
        message = _("The file that arrived is not the one announced.")
        return Invalid(message, code="upload_mismatch", fields={"file": [message]}), True
    return None, False


def _head(client: Any, bucket: str, key: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError  # with the `s3` extra only

    try:
        return dict(client.head_object(Bucket=bucket, Key=key))
    except ClientError as exc:
        if str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def presigned_remove_stale(*, older_than: datetime) -> int:
    """Remove presigned uploads never completed, created before `older_than`, with whatever
    object a client sent for them. Returns how many."""
    with transaction.atomic():
        stale = PresignedUpload.objects.select_for_update().filter(created_at__lt=older_than)
        found = list(stale.values_list("pk", "storage_name"))
        if not found:
            return 0
        PresignedUpload.objects.filter(pk__in=[pk for pk, _s in found]).delete()
    delete_files(name for _pk, name in found)
    return len(found)
