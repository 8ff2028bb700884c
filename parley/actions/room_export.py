"""A room's export for its owner or staff (issue 32; `GET rooms/{id}/export`): the room,
its members, and every message with its quote-replies and threads (`reply_to`, `thread`:
ids of other messages in the document), reactions, edits and attachments' metadata, as
one JSON document; with `files`, a zip of that document and the files.

Built by a job (`tasks.room_export_later`), a chunk of messages at a time, into a
temporary file that is then stored in the uploads storage: memory stays flat whatever the
room's size (a 100,000-message room is measured in parley/actions/tests). The job records
its progress on the `RoomExport` row, which the request reads back while it waits."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parley.accounts.models import User
from parley.actions.models import RoomExport
from parley.common.errors import Forbidden, NotFound
from parley.messaging.models import Message, Reaction
from parley.rooms import selectors as room_selectors
from parley.rooms.models import Membership, Room
from parley.uploads.models import Upload
from parley.uploads.storage import delete_files, delete_files_on_commit, upload_storage

log = logging.getLogger(__name__)
CHUNK = 2000  # messages per query


def _exportable(*, actor: User, room_id: int) -> Room:
    """The room, if `actor` is staff or its owner (members hear `not_owner`; others, as always)."""
    if actor.is_staff:
        room = Room.objects.filter(pk=room_id).first()
        if room is None:
            raise NotFound(_("No such room."))
        return room
    room = room_selectors.room_for_member(user=actor, room_id=room_id)
    if room.owner_id != actor.pk:
        raise Forbidden(_("Only the room's owner or staff can export it."), code="not_owner")
    return room


def exports_remove_expired() -> int:
    """Remove exports older than ROOM_EXPORT_TTL: rows now, files after commit."""
    cutoff = timezone.now() - timedelta(seconds=settings.ROOM_EXPORT_TTL)
    old = list(RoomExport.objects.filter(created_at__lt=cutoff).values_list("pk", "storage_name"))
    if old:
        RoomExport.objects.filter(pk__in=[pk for pk, _name in old]).delete()
        delete_files_on_commit([name for _pk, name in old])
    return len(old)


def export_request(*, actor: User, room_id: int, files: bool) -> tuple[RoomExport, bool]:
    """The export of the room as it is now: one built or being built (False), or a new one
    to build (True: the caller schedules the job). One that failed is answered as failed
    until ROOM_EXPORT_STALL has passed (a retry then builds anew), so polling a failing
    export does not start a build per poll."""
    room = _exportable(actor=actor, room_id=room_id)
    exports_remove_expired()
    stall = timezone.now() - timedelta(seconds=settings.ROOM_EXPORT_STALL)
    found = (
        RoomExport.objects.filter(room=room, files=files, through_seq=room.last_seq)
        .filter(Q(state=RoomExport.State.DONE) | Q(updated_at__gte=stall))
        .order_by("-pk")
        .first()
    )
    if found is not None:
        return found, False
    export = RoomExport.objects.create(
        room=room,
        requested_by=actor,
        files=files,
        through_seq=room.last_seq,
        total=Message.objects.filter(room=room, seq__lte=room.last_seq).count(),
    )
    return export, True


def export_status(export: RoomExport) -> dict[str, Any]:
    return {
        "id": export.pk,
        "room": export.room_id,
        "state": export.state,
        "progress": export.progress,
        "done": export.done,
        "total": export.total,
        "files": export.files,
        "created_at": export.created_at,
    }


def export_open(export: RoomExport) -> IO[bytes]:
    return upload_storage().open(export.storage_name, "rb")


def export_filename(export: RoomExport) -> str:
    day = export.created_at.strftime("%Y-%m-%d")
    return f"parley-{export.room.name}-{day}.{'zip' if export.files else 'json'}"


class _Writer:
    """Text to a binary file, in pieces."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out

    def __call__(self, text: str) -> None:
        self.out.write(text.encode())


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _messages(room: Room, through_seq: int) -> Iterator[list[dict[str, Any]]]:
    """The room's messages up to `through_seq`, a chunk at a time (keyset on seq)."""
    after = 0
    while True:
        rows = list(
            Message.objects.filter(room=room, seq__gt=after, seq__lte=through_seq)
            .order_by("seq")
            .values("pk", "seq", "sender_id", "body", "created_at", "edited_at", "deleted_at", "reply_to_id",
                    "thread_id", "also_to_room", "mentions", "attachments")[:CHUNK]
        )  # fmt: skip
        if not rows:
            return
        after = rows[-1]["seq"]
        reactions: dict[int, dict[str, list[int]]] = {}
        for message_id, emoji, user_id in (
            Reaction.objects.filter(message_id__in=[r["pk"] for r in rows])
            .order_by("message_id", "emoji", "created_at", "pk")
            .values_list("message_id", "emoji", "user_id")
        ):
            reactions.setdefault(message_id, {}).setdefault(emoji, []).append(user_id)
        yield [
            {
                "id": r["pk"],
                "seq": r["seq"],
                "sender": r["sender_id"],
                "body": r["body"],
                "created_at": _iso(r["created_at"]),
                "edited_at": _iso(r["edited_at"]),
                "deleted": r["deleted_at"] is not None,
                "reply_to": r["reply_to_id"],
                "thread": r["thread_id"],
                "also_to_room": r["also_to_room"],
                "mentions": r["mentions"],
                "reactions": [
                    {"emoji": emoji, "users": users} for emoji, users in reactions.get(r["pk"], {}).items()
                ],
                "attachments": [
                    {k: a.get(k) for k in ("id", "name", "size", "content_type", "width", "height")}
                    for a in r["attachments"]
                ],
            }
            for r in rows
        ]


def _people(ids: set[int]) -> Iterator[dict[str, Any]]:
    for pk, username, display_name, is_bot, deleted_at in (
        User.objects.filter(pk__in=sorted(ids)).order_by("pk").values_list(
            "pk", "username", "display_name", "is_bot", "deleted_at"
        )
    ):  # fmt: skip
        yield {"id": pk, "username": username, "display_name": display_name, "bot": is_bot,
               "deleted": deleted_at is not None}  # fmt: skip


def _file_path(attachment: dict[str, Any]) -> str:
    return f"files/{attachment['id']}/{attachment['name']}"


def write_document(
    write: Callable[[str], None], export: RoomExport, progress: Callable[[int], None] | None = None
) -> None:
    """The export's JSON document, written piece by piece (a chunk of messages at a time)."""
    room = export.room
    write('{"format": "parley-room-export", "version": 1')
    write(', "exported_at": ' + json.dumps(timezone.now().isoformat()))
    about = {
        "id": room.pk, "name": room.name, "topic": room.topic, "visibility": room.visibility,
        "kind": room.kind, "owner": room.owner_id, "created_at": _iso(room.created_at),
        "closed_at": _iso(room.closed_at), "retention_days": room.retention_days,
        "through_seq": export.through_seq,
    }  # fmt: skip
    write(', "room": ' + json.dumps(about))
    members = list(
        Membership.objects.filter(room=room).order_by("joined_at", "pk").values_list("user_id", "joined_at")
    )
    write(', "members": ' + json.dumps([{"user": uid, "joined_at": _iso(at)} for uid, at in members]))
    people = {room.owner_id, *(uid for uid, _at in members)}
    write(', "messages": [')
    done = 0
    for chunk in _messages(room, export.through_seq):
        for item in chunk:
            people.add(item["sender"])
            for reaction in item["reactions"]:
                people.update(reaction["users"])
            if export.files:
                for attachment in item["attachments"]:
                    attachment["file"] = _file_path(attachment)
            write(("," if done else "") + json.dumps(item, ensure_ascii=False))
            done += 1
        if progress is not None:
            progress(done)
    write('], "people": [')
    for i, person in enumerate(_people(people)):
        write(("," if i else "") + json.dumps(person, ensure_ascii=False))
    write("]}")


def _record(export_id: int, done: int) -> None:
    RoomExport.objects.filter(pk=export_id).update(done=done, updated_at=timezone.now())


def export_build(*, export_id: int) -> bool:
    """Build a queued export (the job); True when it was built now. The file goes through a
    temporary file on local disk, then into the uploads storage (shared by every process)."""
    claimed = RoomExport.objects.filter(pk=export_id, state=RoomExport.State.QUEUED).update(
        state=RoomExport.State.RUNNING, updated_at=timezone.now()
    )
    if not claimed:
        return False
    export = RoomExport.objects.select_related("room").get(pk=export_id)
    stored = ""
    try:
        with tempfile.TemporaryFile() as spool:
            if export.files:
                _write_zip(spool, export)
            else:
                write_document(_Writer(spool), export, lambda done: _record(export_id, done))
            size = spool.tell()
            spool.seek(0)
            suffix = "zip" if export.files else "json"
            stored = upload_storage().save(
                f"exports/{export.room_id}/{uuid.uuid4().hex}.{suffix}", File(spool)
            )
        with transaction.atomic():
            updated = RoomExport.objects.filter(pk=export_id, state=RoomExport.State.RUNNING).update(
                state=RoomExport.State.DONE,
                storage_name=stored,
                size=size,
                done=export.total,
                finished_at=timezone.now(),
            )
            if not updated:  # removed meanwhile (expired, the room deleted)
                delete_files_on_commit([stored])
    except Exception:
        log.exception("room export %s failed", export_id)
        RoomExport.objects.filter(pk=export_id).update(
            state=RoomExport.State.FAILED, finished_at=timezone.now()
        )
        if stored:
            delete_files([stored])
        return False
    return True


def _write_zip(spool: IO[bytes], export: RoomExport) -> None:
    """room.json, then each attached file of a message not deleted, copied a block at a time."""
    storage = upload_storage()
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        with archive.open("room.json", "w", force_zip64=True) as entry:
            write_document(_Writer(entry), export, lambda done: _record(export.pk, done))  # type: ignore[arg-type]
        uploads = (
            Upload.objects.filter(message__room_id=export.room_id, message__seq__lte=export.through_seq,
                                  message__deleted_at__isnull=True)
            .order_by("pk")
            .values_list("pk", "name", "storage_name")
        )  # fmt: skip
        for pk, name, storage_name in uploads.iterator(chunk_size=500):
            try:
                source = storage.open(storage_name, "rb")
            except OSError:
                log.warning("room export %s: upload %s has no file", export.pk, pk)
                continue
            with source, archive.open(_file_path({"id": pk, "name": name}), "w", force_zip64=True) as entry:
                shutil.copyfileobj(source, entry, 1024 * 1024)
