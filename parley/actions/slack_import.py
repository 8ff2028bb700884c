"""Importing a Slack workspace export (issue 32; `manage.py import_slack <export.zip>`).

A Slack export is a zip: `users.json`, `channels.json` (public channels) and, when the
export holds them, `groups.json` (private channels), `mpims.json` (group DMs) and
`dms.json` (DMs); then one folder per conversation (a channel's name, a DM's id) with
one JSON file per day, each a list of messages. Files are only links in a standard
export; exports made with files carry them under `__uploads/<file id>/<name>`.

What it makes: an account per person (no usable password: they claim it through the
password reset, or sign in through the organisation), a room per channel (private ones
private), a DM per DM, and the messages in time order (seq follows `ts`) with their
original times, edits (`edited_at`), reactions, mentions, files and threads (a Slack
thread reply is a reply in its root's thread; one "also sent to the channel" is
`also_to_room`).

Running it again makes nothing twice: every user, conversation, message and file it made
is recorded with its Slack id in `ImportKey`, and found there first. A later export of the
same workspace adds only what is new (after each room's head: seqs never go back)."""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from parley.accounts import services as accounts
from parley.accounts.models import User
from parley.actions.models import ImportKey
from parley.actions.slack_markup import emoji_for, to_markdown
from parley.common.errors import ServiceError
from parley.messaging.imports import ImportedMessage, messages_import
from parley.messaging.models import ATTACHMENTS_MAX, BODY_MAX, Message
from parley.messaging.services import REACTIONS_MAX_DISTINCT
from parley.rooms import services as rooms
from parley.rooms.models import NAME_MAX, Room
from parley.uploads import services as uploads
from parley.uploads.models import Upload
from parley.uploads.tasks import thumbnail_later

SOURCE = "slack"
CHUNK = 1000  # messages per transaction
# Subtypes that are messages people wrote (or a bot posted): imported.
WRITTEN = {None, "", "thread_broadcast", "me_message", "file_share", "bot_message", "reply_broadcast"}
# Subtypes that are notices of something that happened in the channel: skipped, counted.
NOTICES = {
    "channel_join", "channel_leave", "group_join", "group_leave", "channel_topic", "channel_purpose",
    "channel_name", "group_topic", "group_purpose", "group_name", "channel_archive", "channel_unarchive",
    "group_archive", "group_unarchive", "pinned_item", "unpinned_item", "bot_add", "bot_remove",
    "reminder_add", "sh_room_created", "tombstone", "channel_convert_to_private", "channel_convert_to_public",
}  # fmt: skip


@dataclass
class ImportReport:
    """What one run made, found made already, and skipped (reason -> count)."""

    made: Counter[str] = field(default_factory=Counter)  # users, rooms, messages, reactions, files
    known: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)


class ExportError(Exception):
    """The file is not a Slack export Parley can read."""


def _ts(value: str) -> Decimal:
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(value) from exc


def _time(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), UTC)


class _Export:
    """The zip, read a file at a time (a conversation's days are read when it is imported)."""

    def __init__(self, path: str) -> None:
        try:
            self.zip = zipfile.ZipFile(path)
        except (OSError, zipfile.BadZipFile) as exc:
            raise ExportError(f"{path}: not a zip file ({exc})") from exc
        names = self.zip.namelist()
        # Some exports wrap everything in one top folder.
        self.prefix = ""
        if "users.json" not in names:
            tops = {
                n.split("/", 1)[0] + "/" for n in names if n.endswith("/users.json") and n.count("/") == 1
            }
            if len(tops) != 1:
                raise ExportError(f"{path}: no users.json (is this a Slack workspace export?)")
            self.prefix = tops.pop()
        self.names = set(names)

    def json(self, name: str) -> Any:
        path = self.prefix + name
        if path not in self.names:
            return None
        try:
            return json.loads(self.zip.read(path))
        except ValueError as exc:
            raise ExportError(f"{name}: not JSON ({exc})") from exc

    def days(self, folder: str) -> list[str]:
        start = f"{self.prefix}{folder}/"
        return sorted(n for n in self.names if n.startswith(start) and n.endswith(".json"))

    def messages(self, folder: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for day in self.days(folder):
            data = json.loads(self.zip.read(day))
            if isinstance(data, list):
                found.extend(m for m in data if isinstance(m, dict))
        return found

    def file(self, file_id: str, name: str) -> bytes | None:
        path = f"{self.prefix}__uploads/{file_id}/{name}"
        return self.zip.read(path) if path in self.names else None


class _Keys:
    """The ImportKey table for one kind, read once, written in bulk."""

    def __init__(self, kind: str, prefix: str = "") -> None:
        self.kind = kind
        rows = ImportKey.objects.filter(source=SOURCE, kind=kind)
        if prefix:
            rows = rows.filter(key__startswith=prefix)
        self.found: dict[str, int] = dict(rows.values_list("key", "local_id"))

    def get(self, key: str) -> int | None:
        return self.found.get(key)

    def add(self, key: str, local_id: int) -> ImportKey:
        self.found[key] = local_id
        return ImportKey(source=SOURCE, kind=self.kind, key=key, local_id=local_id)


@dataclass
class _Conversation:
    slack_id: str
    folder: str
    name: str
    topic: str
    visibility: str
    direct: bool
    members: list[str]
    creator: str | None
    archived: bool


def _conversations(export: _Export) -> Iterator[_Conversation]:
    for item in export.json("channels.json") or []:
        yield _Conversation(
            item["id"], item.get("name", item["id"]), item.get("name", item["id"]),
            (item.get("topic") or {}).get("value") or (item.get("purpose") or {}).get("value") or "",
            Room.Visibility.PUBLIC, False, list(item.get("members") or []), item.get("creator"),
            bool(item.get("is_archived")),
        )  # fmt: skip
    for item in export.json("groups.json") or []:
        yield _Conversation(
            item["id"], item.get("name", item["id"]), item.get("name", item["id"]),
            (item.get("topic") or {}).get("value") or (item.get("purpose") or {}).get("value") or "",
            Room.Visibility.PRIVATE, False, list(item.get("members") or []), item.get("creator"),
            bool(item.get("is_archived")),
        )  # fmt: skip
    for item in export.json("mpims.json") or []:
        yield _Conversation(
            item["id"], item.get("name", item["id"]), "", "", Room.Visibility.PRIVATE, True,
            list(item.get("members") or []), item.get("creator"), False,
        )  # fmt: skip
    for item in export.json("dms.json") or []:
        yield _Conversation(
            item["id"], item["id"], "", "", Room.Visibility.PRIVATE, True,
            list(item.get("members") or []), None, False,
        )  # fmt: skip


class SlackImport:
    """One run over one export; `run()` returns the report."""

    def __init__(self, path: str, *, progress: Callable[[str], None] | None = None) -> None:
        self.export = _Export(path)
        self.progress = progress or (lambda _text: None)
        self.report = ImportReport()
        self.users = _Keys("user")
        self.rooms = _Keys("room")
        self.people: dict[int, User] = {}
        self.usernames: dict[str, str] = {}  # Slack user id -> username
        self.room_names: dict[str, str] = {}  # Slack channel id -> room name

    # -- people ------------------------------------------------------------------------
    def _user_from(self, key: str, **fields: Any) -> User:
        pk = self.users.get(key)
        if pk is not None and pk in self.people:
            return self.people[pk]
        user = User.objects.filter(pk=pk).first() if pk is not None else None
        if user is None:
            user = accounts.user_import(**fields)
            ImportKey.objects.update_or_create(
                source=SOURCE, kind="user", key=key, defaults={"local_id": user.pk}
            )
            self.users.found[key] = user.pk
            self.report.made["users"] += 1
        else:
            self.report.known["users"] += 1
        self.people[user.pk] = user
        return user

    def import_users(self) -> None:
        listed = self.export.json("users.json")
        if not isinstance(listed, list):
            raise ExportError("users.json: not a list of users")
        for item in listed:
            profile = item.get("profile") or {}
            user = self._user_from(
                item["id"],
                username=item.get("name") or item["id"],
                display_name=profile.get("display_name")
                or profile.get("real_name")
                or item.get("real_name")
                or "",
                email=profile.get("email") or "",
                is_bot=bool(item.get("is_bot")) or item["id"] == "USLACKBOT",
                active=not item.get("deleted"),
            )
            self.usernames[item["id"]] = user.username
        self.progress(f"people: {len(listed)}")

    def _sender(self, message: dict[str, Any]) -> User | None:
        slack_id = message.get("user")
        if slack_id and self.users.get(slack_id) is not None:
            return self._user_from(slack_id)
        if slack_id:  # someone of another workspace (a shared channel): made from what the message says
            profile = message.get("user_profile") or {}
            user = self._user_from(
                slack_id,
                username=profile.get("name") or slack_id,
                display_name=profile.get("display_name") or profile.get("real_name") or "",
            )
            self.usernames[slack_id] = user.username
            return user
        bot = message.get("bot_id") or message.get("username")
        if bot:
            label = str(message.get("username") or bot)
            return self._user_from(f"bot:{bot}", username=f"{label}-bot", display_name=label, is_bot=True)
        return None

    # -- conversations -------------------------------------------------------------------
    def import_conversations(self) -> None:
        conversations = list(_conversations(self.export))
        made: list[tuple[_Conversation, Room]] = []
        for conv in conversations:
            members = [self._user_from(m).pk for m in conv.members if self.users.get(m) is not None]
            pk = self.rooms.get(conv.slack_id)
            room = Room.objects.filter(pk=pk).first() if pk is not None else None
            if room is not None:
                rooms.room_import_members(room_id=room.pk, member_ids=members)
                self.report.known["rooms"] += 1
            else:
                owner_key = conv.creator if conv.creator and self.users.get(conv.creator) else None
                owner = (
                    self._user_from(owner_key)
                    if owner_key
                    else self.people.get(members[0])
                    if members
                    else None
                )
                if owner is None:
                    self.report.skipped["conversation without known members"] += 1
                    continue
                name = (
                    conv.name
                    or ", ".join(sorted(self.people[m].shown_name for m in members if m in self.people))[
                        :NAME_MAX
                    ]
                )
                room = rooms.room_import(
                    owner=owner, name=name, topic=conv.topic, visibility=conv.visibility,
                    member_ids=members, direct=conv.direct,
                )  # fmt: skip
                ImportKey.objects.update_or_create(
                    source=SOURCE, kind="room", key=conv.slack_id, defaults={"local_id": room.pk}
                )
                self.rooms.found[conv.slack_id] = room.pk
                self.report.made["rooms"] += 1
            self.room_names[conv.slack_id] = room.name
            made.append((conv, room))
        for conv, room in made:
            self.import_messages(conv, room)
            if conv.archived:
                rooms.room_import_close(room_id=room.pk)

    # -- messages ------------------------------------------------------------------------
    def _reactions(self, message: dict[str, Any]) -> list[tuple[int, str]]:
        found: list[tuple[int, str]] = []
        distinct: set[str] = set()
        for reaction in message.get("reactions") or []:
            emoji = emoji_for(str(reaction.get("name", "")))
            if emoji is None:
                self.report.skipped["reaction with a custom emoji"] += len(reaction.get("users") or [1])
                continue
            if emoji not in distinct and len(distinct) >= REACTIONS_MAX_DISTINCT:
                self.report.skipped["reaction over the limit of distinct emoji"] += 1
                continue
            distinct.add(emoji)
            for slack_id in reaction.get("users") or []:
                pk = self.users.get(slack_id)
                if pk is None:
                    self.report.skipped["reaction by someone not in users.json"] += 1
                    continue
                found.append((pk, emoji))
        self.report.made["reactions"] += len(found)
        return found

    def _files(
        self, message: dict[str, Any], sender: User, room: Room, keys: _Keys
    ) -> tuple[list[Upload], list[str]]:
        """The message's files: uploads made of those the export holds, and a line for each
        it does not (its name, size and type: the metadata the export keeps)."""
        stored: list[Upload] = []
        lines: list[str] = []
        for item in message.get("files") or []:
            file_id, name = str(item.get("id", "")), str(item.get("name") or item.get("title") or "file")
            if item.get("mode") in {"tombstone", "hidden_by_limit"}:
                self.report.skipped["file deleted or hidden at the source"] += 1
                continue
            known = keys.get(file_id)
            if known is not None:
                upload = Upload.objects.filter(pk=known).first()
                if upload is not None and upload.message_id is None:
                    stored.append(upload)
                continue
            data = self.export.file(file_id, name)
            if data is None or len(stored) >= ATTACHMENTS_MAX:
                size = item.get("size")
                detail = ", ".join(
                    str(x) for x in (f"{size} bytes" if size else None, item.get("mimetype")) if x
                )
                lines.append(f"📎 {name}" + (f" ({detail})" if detail else ""))
                self.report.skipped["file not in the export (kept as a line)"] += 1
                continue
            try:
                upload = uploads.upload_create(
                    uploader=sender, room_id=room.pk, file=ContentFile(data, name=name), name=name
                )
            except ServiceError as exc:
                lines.append(f"📎 {name}")
                self.report.skipped[f"file refused: {exc.code}"] += 1
                continue
            ImportKey.objects.create(source=SOURCE, kind="file", key=file_id, local_id=upload.pk)
            keys.found[file_id] = upload.pk
            thumbnail_later(upload.pk)
            stored.append(upload)
            self.report.made["files"] += 1
        return stored, lines

    def _body(self, message: dict[str, Any]) -> str:
        body = to_markdown(
            str(message.get("text") or ""),
            resolve_user=self.usernames.get,
            resolve_room=self.room_names.get,
        ).strip()
        if message.get("subtype") == "me_message" and body:
            body = f"*{body}*"
        return body

    def import_messages(self, conv: _Conversation, room: Room) -> None:
        raw = self.export.messages(conv.folder)
        keyed: list[tuple[Decimal, dict[str, Any]]] = []
        for message in raw:
            subtype = message.get("subtype")
            if subtype not in WRITTEN:
                reason = "room notice" if subtype in NOTICES else "unknown subtype"
                self.report.skipped[f"{reason}: {subtype}"] += 1
                continue
            try:
                keyed.append((_ts(message["ts"]), message))
            except (KeyError, ValueError):
                self.report.skipped["message without a valid ts"] += 1
        keyed.sort(key=lambda pair: pair[0])
        # The roots replies name: the only messages this run keeps at hand after storing them.
        roots = {str(m["thread_ts"]) for _ts, m in keyed if m.get("thread_ts") and m["thread_ts"] != m["ts"]}
        keys = _Keys("message", prefix=f"{conv.slack_id}:")
        files = _Keys("file")
        members: set[int] = set(room.memberships.values_list("user_id", flat=True))
        targets: dict[str, Message] = {}  # thread ts -> root message, this run
        chunk: list[tuple[ImportedMessage, str]] = []
        pending: dict[str, int] = {}  # ts -> its place in `chunk` (replies there point to it)
        done = 0
        total = len(keyed)

        def flush() -> None:
            nonlocal done
            if not chunk:
                return
            with transaction.atomic():
                stored = messages_import(room_id=room.pk, items=[item for item, _key in chunk])
                ImportKey.objects.bulk_create(
                    [keys.add(key, m.pk) for m, (_item, key) in zip(stored, chunk, strict=True)],
                    batch_size=500,
                )
            for m, (_item, key) in zip(stored, chunk, strict=True):
                ts = key.split(":", 1)[1]
                if ts in roots:
                    targets[ts] = m
            done += len(chunk)
            self.report.made["messages"] += len(chunk)
            chunk.clear()
            pending.clear()
            self.progress(f"{room.name}: {done}/{total}")

        for _ts_value, message in keyed:
            key = f"{conv.slack_id}:{message['ts']}"
            if keys.get(key) is not None:
                self.report.known["messages"] += 1
                continue
            sender = self._sender(message)
            if sender is None:
                self.report.skipped["message without a sender"] += 1
                continue
            if sender.pk not in members:  # wrote there, left since: a member of the history
                rooms.room_import_members(room_id=room.pk, member_ids=[sender.pk])
                members.add(sender.pk)
            body = self._body(message)
            stored_files, lines = self._files(message, sender, room, files)
            if lines:
                body = "\n".join([body, *lines]).strip()
            if not body and not stored_files:
                self.report.skipped["empty message"] += 1
                continue
            root, root_index = None, None
            thread_ts = message.get("thread_ts")
            if thread_ts and thread_ts != message["ts"]:
                root_index = pending.get(str(thread_ts))
                if root_index is None:
                    root = self._target(conv, str(thread_ts), targets)
                if root is None and root_index is None:
                    self.report.skipped["thread reply whose root is missing (imported as a message)"] += 1
            edited = message.get("edited") or {}
            parts = [body[i : i + BODY_MAX] for i in range(0, max(len(body), 1), BODY_MAX)]
            for n, part in enumerate(parts):
                item = ImportedMessage(
                    sender=sender,
                    body=part,
                    created_at=_time(message["ts"]),
                    client_id=f"slack:{conv.slack_id}:{message['ts']}" + (f"#{n + 1}" if n else ""),
                    edited_at=_time(edited["ts"]) if edited.get("ts") else None,
                    thread=root,
                    thread_index=root_index,
                    also_to_room=message.get("subtype") in {"thread_broadcast", "reply_broadcast"},
                    reactions=self._reactions(message) if n == 0 else [],
                    uploads=stored_files if n == 0 else [],
                )
                if n == 0:
                    pending[str(message["ts"])] = len(chunk)
                chunk.append((item, key if n == 0 else f"{key}#{n + 1}"))
            if len(chunk) >= CHUNK:
                flush()
        flush()

    def _target(self, conv: _Conversation, thread_ts: str, targets: dict[str, Message]) -> Message | None:
        found = targets.get(thread_ts)
        if found is not None:
            return found
        pk = (
            ImportKey.objects.filter(source=SOURCE, kind="message", key=f"{conv.slack_id}:{thread_ts}")
            .values_list("local_id", flat=True)
            .first()
        )
        message = Message.objects.select_related("sender").filter(pk=pk).first() if pk else None
        if message is not None:
            targets[thread_ts] = message
        return message

    def run(self) -> ImportReport:
        self.import_users()
        self.import_conversations()
        return self.report
