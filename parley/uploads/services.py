"""Upload writes: store a file, make its thumbnail, remove what no message took.

Attaching an upload to a message is part of the send (`messaging.services`), and
deleting a message deletes its uploads there too. Uploads sit below messaging: when a
thumbnail changes what an attached message shows, `signals.attached_upload_changed` tells
the messaging app, which publishes the message again."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parley.accounts.models import User
from parley.common import images
from parley.common.errors import Conflict, Forbidden, Invalid, NotFound, TooLarge
from parley.common.i18n import interpolate
from parley.common.names import clean_name
from parley.rooms.models import Membership, Room
from parley.rooms.moderation import is_muted, mute_refusal
from parley.rooms.selectors import room_for_member
from parley.uploads import emoji, files, signals
from parley.uploads.models import EMOJI_NAME_PATTERN, NAME_MAX, CustomEmoji, Upload
from parley.uploads.storage import delete_files, delete_files_on_commit, upload_storage

log = logging.getLogger(__name__)


def too_large() -> TooLarge:
    limit = settings.UPLOAD_MAX_BYTES
    return TooLarge(
        interpolate(_("The file is too large: files are limited to %(size)s."), {"size": _human(limit)}),
        code="file_too_large",
        fields={"file": [interpolate(_("At most %(count)s bytes."), {"count": limit})]},
    )


def _human(size: int) -> str:
    for unit in ("bytes", "KiB", "MiB"):
        if size < 1024 or unit == "MiB":
            return f"{size:g} {unit}" if unit == "bytes" else f"{size:.3g} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} bytes"


def clean_file_name(name: str) -> str:
    """The last part of the name a browser sent (no folders), with the checks nicknames get:
    no control or invisible characters (a right-to-left override can make "gpj.exe" read as
    "exe.jpg"), at most NAME_MAX characters. An empty name becomes "file"."""
    base = re.split(r"[\\/]", name or "")[-1].strip()
    if base in ("", ".", ".."):
        base = "file"
    return clean_name(base, field="file", max_length=NAME_MAX, label=_("file name"), form="NFC")


def room_for_upload(*, uploader: User, room_id: int) -> Room:
    """The room if the uploader may put a file in it: a member, the room not closed, the
    member not muted (the same for a file sent through Parley or straight to the store)."""
    room = room_for_member(user=uploader, room_id=room_id)
    if room.closed_at is not None:
        raise Conflict(_("The room is closed; it can be read but not written to."), code="room_closed")
    membership = Membership.objects.filter(room=room, user=uploader).first()
    if membership is not None and is_muted(membership):
        # A file is a message waiting to happen: a muted member may read, not post.
        raise mute_refusal(room_id=room.pk, user_id=uploader.pk)
    return room


def upload_create(*, uploader: User, room_id: int, file: File[bytes], name: str) -> Upload:
    """Store a file for the uploader in a room they belong to (not a closed one).

    The type is sniffed from the content; an image Pillow can read gets its width and
    height (its thumbnail comes later, from a job the caller schedules). The file is
    written before the row; if the row cannot be written the file is removed."""
    room = room_for_upload(uploader=uploader, room_id=room_id)
    clean_name = clean_file_name(name)
    size = file.size or 0
    if size > settings.UPLOAD_MAX_BYTES:
        raise too_large()
    sniffed = files.inspect(file)
    stored = upload_storage().save(f"{room.pk}/{uuid.uuid4().hex}", file)
    try:
        with transaction.atomic():
            return Upload.objects.create(
                room=room,
                uploader=uploader,
                name=clean_name,
                storage_name=stored,
                size=size,
                content_type=sniffed.content_type,
                width=sniffed.width,
                height=sniffed.height,
            )
    except BaseException:
        delete_files([stored])
        raise


def upload_thumbnail_make(*, upload_id: int) -> bool:
    """Make the thumbnail of an image upload (the job behind the upload); True if one was made.

    Pillow's work happens before any lock. Then, under the room lock that a send also
    takes to attach uploads, the thumbnail is recorded and, if a message already carries
    the upload, that message is published again (`message.updated`) with `thumbnail_url`.
    An image Pillow cannot decode keeps no thumbnail: it stays a file card."""
    upload = Upload.objects.filter(pk=upload_id).first()
    if upload is None or upload.thumbnail_name or not upload.is_image:
        return False
    storage = upload_storage()
    try:
        with storage.open(upload.storage_name, "rb") as source:
            data = files.thumbnail(source)
    except Exception as exc:  # a corrupt or hostile image must not crash the worker
        log.warning("no thumbnail for upload %s: %s", upload_id, exc)
        return False
    name = storage.save(f"{upload.storage_name}.thumb.webp", ContentFile(data))
    with transaction.atomic():
        # The room's row lock, as a send takes it (SQLite's BEGIN IMMEDIATE holds it already).
        list(Room.objects.select_for_update().filter(pk=upload.room_id).values_list("pk", flat=True))
        if not Upload.objects.filter(pk=upload_id, thumbnail_name="").update(thumbnail_name=name):
            delete_files_on_commit([name])  # deleted meanwhile, or a second job won
            return False
        message_id = Upload.objects.filter(pk=upload_id).values_list("message_id", flat=True).first()
        if message_id is not None:
            signals.attached_upload_changed.send(sender=Upload, message_id=message_id)
    return True


def uploads_remove_unattached(*, older_than: datetime | None = None) -> int:
    """Remove uploads no message took (or whose message retention purged) once they are older
    than UPLOAD_UNATTACHED_TTL: rows now, files after commit. Returns how many."""
    cutoff = older_than or timezone.now() - settings.UPLOAD_UNATTACHED_TTL
    with transaction.atomic():
        # Locked, so a send cannot attach one of them while they go.
        stale = Upload.objects.select_for_update().filter(message__isnull=True, created_at__lt=cutoff)
        found = list(stale.values_list("pk", "storage_name", "thumbnail_name"))
        if not found:
            return 0
        Upload.objects.filter(pk__in=[pk for pk, _s, _t in found]).delete()
        delete_files_on_commit(name for _pk, s, t in found for name in (s, t))
    return len(found)


def emoji_too_large() -> TooLarge:
    limit = settings.CUSTOM_EMOJI_MAX_BYTES
    return TooLarge(
        interpolate(_("The picture is too large: emoji are limited to %(size)s."), {"size": _human(limit)}),
        code="file_too_large",
        fields={"file": [interpolate(_("At most %(count)s bytes."), {"count": limit})]},
    )


def emoji_may_add(user: User) -> bool:
    """CUSTOM_EMOJI: "staff" (the default) or "members" (any account, not guests or bots)."""
    if user.is_staff:
        return True
    return settings.CUSTOM_EMOJI == "members" and not user.is_guest and not user.is_bot


def emoji_create(*, actor: User, name: str, file: File[bytes]) -> CustomEmoji:
    """Add a custom emoji: a free name of 2 to 32 of a-z, 0-9, _ and -, and a PNG, GIF or WebP
    (sniffed) of at most CUSTOM_EMOJI_MAX_BYTES, made small (animations kept). The file is
    written before the row; if the row cannot be written the file is removed."""
    if not emoji_may_add(actor):
        raise Forbidden(_("You may not add custom emoji on this server."), code="emoji_not_allowed")
    if not re.fullmatch(EMOJI_NAME_PATTERN, name or ""):
        message = _("Use 2 to 32 lower-case letters, digits, _ or -.")
        raise Invalid(message, code="bad_emoji_name", fields={"name": [message]})
    if (file.size or 0) > settings.CUSTOM_EMOJI_MAX_BYTES:
        raise emoji_too_large()
    file.seek(0)
    data = file.read(settings.CUSTOM_EMOJI_MAX_BYTES + 1)
    if len(data) > settings.CUSTOM_EMOJI_MAX_BYTES:
        raise emoji_too_large()
    try:
        picture = emoji.prepare(data)
    except (emoji.NotAnEmoji, images.TooManyPixels) as exc:
        log.info("custom emoji %s refused: %s", name, exc)
        message = _("Use a PNG, GIF or WebP picture.")
        raise Invalid(message, code="bad_emoji_file", fields={"file": [message]}) from exc
    if CustomEmoji.objects.filter(name=name).exists():
        raise _emoji_taken()
    stored = upload_storage().save(
        f"emoji/{name}-{uuid.uuid4().hex[:12]}.{picture.extension}", ContentFile(picture.data)
    )
    try:
        with transaction.atomic():
            return CustomEmoji.objects.create(
                name=name,
                storage_name=stored,
                content_type=picture.content_type,
                animated=picture.animated,
                creator=actor,
            )
    except IntegrityError as exc:  # the same name, added at the same moment
        delete_files([stored])
        raise _emoji_taken() from exc
    except BaseException:
        delete_files([stored])
        raise


def _emoji_taken() -> Conflict:
    return Conflict(
        _("A custom emoji with this name exists."),
        code="emoji_taken",
        fields={"name": [_("Already taken.")]},
    )


def emoji_delete(*, actor: User, name: str) -> None:
    """Remove a custom emoji (its creator or staff): the row now, the file after commit.
    Messages and reactions that name it keep `:name:` as text."""
    with transaction.atomic():
        found = CustomEmoji.objects.select_for_update().filter(name=name).first()
        if found is None:
            raise NotFound(_("No such emoji."))
        if found.creator_id != actor.pk and not actor.is_staff:
            raise Forbidden(_("Only its creator or staff can remove an emoji."), code="not_creator")
        found.delete()
        delete_files_on_commit([found.storage_name])
