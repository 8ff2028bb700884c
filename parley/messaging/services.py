"""The only writer of messages. REST, WebSocket, bots and commands all send through here."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import emoji as emoji_data
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from parley.accounts.models import User
from parley.accounts.serializers import user_data
from parley.common.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError, TooLarge
from parley.common.i18n import interpolate
from parley.messaging import aftersend, linkpreview, search_indexer, selectors, store, summaries, unread
from parley.messaging.excerpts import plain_excerpt
from parley.messaging.models import (
    ATTACHMENTS_MAX,
    BODY_MAX,
    PARTICIPANTS_MAX,
    LinkPreview,
    Mention,
    Message,
    MessageEdit,
    Pin,
    Reaction,
    RoomEvent,
    ThreadSummary,
    summary_of,
)
from parley.messaging.search_text import document_terms
from parley.messaging.serializers import message_data
from parley.realtime import metrics, protocol, publish, runtime
from parley.rooms.models import Membership, Room
from parley.rooms.moderation import mute_refusal
from parley.rooms.selectors import ban_is_told, ban_refusal, room_for_member
from parley.uploads import selectors as upload_selectors
from parley.uploads import storage as upload_storage
from parley.uploads.models import Upload
from parley.uploads.serializers import attachment_data


@dataclass(frozen=True)
class SendResult:
    message: Message
    created: bool


def clean_body(body: str, *, attachments: Sequence[int] = ()) -> str:
    """The body as stored, or the refusal (counted in the send error metrics). A message
    with attachments may have an empty body."""
    try:
        return _checked_body(body, empty_ok=bool(attachments))
    except ServiceError as exc:
        metrics.send_refused(exc.code)
        raise


def _checked_body(body: str, *, empty_ok: bool = False) -> str:
    if not body.strip() and not empty_ok:
        raise Invalid(_("The message is empty."), fields={"body": [_("Write something first.")]})
    if len(body) > BODY_MAX:
        raise TooLarge(
            interpolate(_("Messages are limited to %(max)s characters."), {"max": BODY_MAX}),
            fields={
                "body": [
                    interpolate(
                        ngettext_lazy(
                            "At most %(max)s characters (%(count)s given).",
                            "At most %(max)s characters (%(count)s given).",
                            "count",
                        ),
                        {"max": BODY_MAX, "count": len(body)},
                    )
                ]
            },
        )
    if "\x00" in body:
        raise Invalid(_("The message contains a NUL character."), fields={"body": [_("NUL is not allowed.")]})
    if not body.isascii():
        try:
            body.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate (JSON allows "\ud800"; UTF-8 does not)
            raise Invalid(
                _("The message contains an invalid character."),
                fields={"body": [_("Surrogate characters are not allowed.")]},
            ) from exc
    return body


def check_command_attachments(attachments: Sequence[int] | None) -> None:
    """A slash command is text for a bot: files sent with it would belong to no message."""
    if attachments:
        raise Invalid(
            _("A command cannot carry files; send them in a message of their own."),
            fields={"attachments": [_("Commands take no attachments.")]},
        )


def clean_attachments(attachments: Sequence[int] | None) -> tuple[int, ...]:
    """Upload ids in the order given, each once; at most ATTACHMENTS_MAX. Whether they may be
    attached (the sender's own, this room, not yet attached) is checked in the send batch."""
    ids = tuple(dict.fromkeys(attachments or ()))
    if len(ids) > ATTACHMENTS_MAX:
        metrics.send_refused("invalid")
        raise Invalid(
            interpolate(_("A message can carry at most %(max)s files."), {"max": ATTACHMENTS_MAX}),
            fields={
                "attachments": [
                    interpolate(
                        ngettext_lazy(
                            "At most %(max)s uploads (%(count)s given).",
                            "At most %(max)s uploads (%(count)s given).",
                            "count",
                        ),
                        {"max": ATTACHMENTS_MAX, "count": len(ids)},
                    )
                ]
            },
        )
    return ids


@dataclass(frozen=True)
class SendRequest:
    sender: User
    body: str
    client_id: str
    reply_to: int | None = None
    attachments: tuple[int, ...] = ()
    thread: int | None = None  # protocol 3: the thread's root (or a reply in it)
    also_to_room: bool = False
    scheduled_for: datetime | None = None  # a scheduled message's intended time


NO_THREAD = _("No such thread in this room.")


def check_thread(thread: int | None, also_to_room: bool) -> None:
    """`also_to_room` only says something about a thread reply."""
    if also_to_room and thread is None:
        metrics.send_refused("invalid")
        raise Invalid(
            _("Only a reply in a thread can also go to the room."),
            fields={"also_to_room": [_("Give `thread` too, or leave this out.")]},
        )


# `@name` not preceded by a word character, '.', '@' (mail addresses) or '-'.
MENTION_RE = re.compile(r"(?<![\w.@-])@([A-Za-z0-9][A-Za-z0-9._-]{0,29})")
MENTIONS_MAX = 50  # names looked up per message


def mention_names(body: str) -> tuple[frozenset[str], bool]:
    """Lower-case usernames a body may mention, and whether it says @room.

    "@bob." and "@bob," name bob: trailing dots, dashes and underscores are also tried
    without (usernames may contain them)."""
    if "@" not in body:
        return frozenset(), False
    names: set[str] = set()
    room = False
    for match in MENTION_RE.finditer(body):
        name = match.group(1).lower()
        if name == "room":
            room = True
            continue
        names.add(name)
        trimmed = name.rstrip("._-")
        if trimmed and trimmed != name:
            names.add(trimmed)
        if len(names) >= MENTIONS_MAX:
            break
    return frozenset(names), room


def _resolve_mentions(room_id: int, bodies: Iterable[str]) -> dict[str, int]:
    """{name: user id} for every member named in `bodies`: one statement, none without an '@'."""
    wanted: set[str] = set()
    for body in bodies:
        wanted |= mention_names(body)[0]
    return store.members_named(room_id, sorted(wanted)) if wanted else {}


def _mentions_of(
    body: str, *, sender_id: int, owner_id: int, members: dict[str, int]
) -> tuple[list[int], bool]:
    names, room = mention_names(body)
    ids = sorted({members[n] for n in names if n in members})
    return ids, room and sender_id == owner_id


def _mention_rows(message: Message) -> list[Mention]:
    """What the mention counts read: one row per mentioned member (never the sender), and one
    with no user for @room."""
    rows = [
        Mention(
            message=message,
            room_id=message.room_id,
            user_id=uid,
            seq=message.seq,
            sender_id=message.sender_id,
            thread_id=message.thread_id,
        )
        for uid in message.mentions
        if uid != message.sender_id
    ]
    if message.mentions_room:
        rows.append(
            Mention(
                message=message,
                room_id=message.room_id,
                user_id=None,
                seq=message.seq,
                sender_id=message.sender_id,
                thread_id=message.thread_id,
            )
        )
    return rows


def _search_text(body: str) -> str | None:
    """The body's search terms, analysed once here (never per recipient); '' when nothing in
    it is indexable (NULL means "not in the index": deleted, or waiting for the indexer).
    SEARCH_INDEX off (the benchmark's comparison only) stores none, so the index is not
    maintained."""
    if not settings.SEARCH_INDEX:
        return None
    return document_terms(body)


NO_REPLY_TARGET = _("No such message in this room.")
NO_UPLOAD = _("No such upload of yours in this room, or it is attached to another message already.")


def _attachable(req: SendRequest, room_id: int, uploads: dict[int, Upload]) -> list[Upload] | ServiceError:
    """The request's uploads, if each is the sender's own, in this room and not yet attached
    (by an earlier message, or an earlier send of the same batch); else the refusal."""
    found: list[Upload] = []
    for upload_id in req.attachments:
        upload = uploads.get(upload_id)
        if (
            upload is None
            or upload.uploader_id != req.sender.pk
            or upload.room_id != room_id
            or upload.message_id is not None
            or upload.message is not None
        ):
            return Invalid(NO_UPLOAD, fields={"attachments": [NO_UPLOAD]})
        found.append(upload)
    return found


def _existing(sender: User, client_id: str, room_id: int, body: str) -> SendResult | None:
    """A retry returns what was stored; reusing a client_id for something else is a conflict."""
    found = Message.objects.select_related("sender").filter(sender=sender, client_id=client_id).first()
    if found is None:
        return None
    return _as_retry(found, room_id, body)


def _as_retry(found: Message, room_id: int, body: str) -> SendResult:
    if found.room_id != room_id or found.body != body:
        raise Conflict(
            _("This client_id was already used for another message."),
            code="client_id_reused",
            fields={"client_id": [_("Use a new client_id for a new message.")]},
        )
    return SendResult(found, False)


def _earlier_and_targets(
    room_id: int, requests: list[SendRequest], senders: list[int], client_ids: list[str]
) -> tuple[dict[tuple[int, str], Message], dict[int, Message]]:
    """Earlier sends with these (sender, client_id) pairs (retries), and the messages of this
    room the sends name (`reply_to`, `thread`, and the root of a thread named by one of its
    replies), by id.

    Without names, the ids of earlier sends are one hand-written statement and their rows a
    second, only on a retry. With names, one hand-written statement (`store.named_messages`)
    reads all of them (two index ranges, the unique (sender, client_id) and the primary key,
    ORed: no subquery, which would turn the OR into a scan of every message), so a reply, in
    a thread or not, costs no more statements than a plain send. Only a `thread` naming a
    reply whose root is not among them (a client that answers a reply's id instead of its
    root's) costs one more."""
    thread_ids = {r.thread for r in requests if r.thread is not None}
    named = sorted({r.reply_to for r in requests if r.reply_to is not None} | thread_ids)
    if not named:
        earlier_ids = store.earlier_message_ids(senders, client_ids)
        found = Message.objects.select_related("sender").filter(pk__in=earlier_ids) if earlier_ids else ()
        return {(m.sender_id, m.client_id): m for m in found}, {}
    rows = store.named_messages(senders, client_ids, named)
    earlier = {(m.sender_id, m.client_id): m for m in rows}  # type: ignore[attr-defined]  # whole pairs
    targets = {m.pk: m for m in rows if m.room_id == room_id}  # type: ignore[attr-defined]
    missing = sorted(
        {m.thread_id for m in targets.values() if m.pk in thread_ids and m.thread_id is not None}  # type: ignore[attr-defined]
        - set(targets)
    )
    if missing:
        targets.update((m.pk, m) for m in store.named_messages((), (), missing, room_id=room_id))
    return earlier, targets


def _thread_root(req: SendRequest, targets: dict[int, Message]) -> Message | ServiceError | None:
    """The root of the thread a send replies in (None: not a thread reply), or the refusal."""
    if req.thread is None:
        return None
    named = targets.get(req.thread)
    root = named if named is None or named.thread_id is None else targets.get(named.thread_id)
    if root is None:
        return Invalid(NO_THREAD, fields={"thread": [NO_THREAD]})
    if root.deleted:
        return Conflict(
            _("The thread's first message was deleted; it takes no new replies."), code="message_deleted"
        )
    return root


def _no_summary(message: Message) -> None:
    """Say that a message has no thread summary, so serialising it reads nothing."""
    Message.summary.related.set_cached_value(message, None)  # type: ignore[attr-defined]


def _count_replies(messages: list[Message], now: datetime) -> tuple[list[Message], list[tuple[int, float]]]:
    """Count the thread replies among `messages` into their roots' summaries (a statement per
    root of the batch, under the room's lock like every summary write).

    Returns the roots whose `message.updated` is logged now, in the order of their first reply
    here, each carrying its new summary for its frame; and the roots whose event waits, with
    the seconds until it is due. A busy thread would otherwise send its whole root to every
    member at each reply (a third more frames in a room where a third of the sends are
    replies): a root's summary event is logged at once when none was logged in the last
    THREAD_SUMMARY_WINDOW seconds, else once when the window ends, carrying every reply
    since (clients count the reply frames into the root they hold meanwhile)."""
    roots: dict[int, Message] = {}
    window = float(settings.THREAD_SUMMARY_WINDOW)
    for message in messages:
        root = message.thread
        if root is None:
            continue
        summary = summary_of(root)
        if summary is None:
            summary = ThreadSummary(
                root=root, room_id=root.room_id, root_sender_id=root.sender_id, reply_count=0, participants=[]
            )
            Message.summary.related.set_cached_value(root, summary)  # type: ignore[attr-defined]
        summary.reply_count += 1
        summary.last_reply_at = now
        summary.last_reply_seq = message.seq
        who = user_data(message.sender)
        summary.participants = [who, *(p for p in summary.participants if p["id"] != who["id"])][
            :PARTICIPANTS_MAX
        ]
        roots.setdefault(root.pk, root)
    now_roots: list[Message] = []
    later: list[tuple[int, float]] = []
    for root in roots.values():
        summary = summary_of(root)
        assert summary is not None
        since = (now - summary.logged_at).total_seconds() if summary.logged_at is not None else None
        if since is None or since >= window:
            summary.logged_at, summary.pending = now, False
            now_roots.append(root)
        else:
            was_pending, summary.pending = summary.pending, True
            if not was_pending:  # the first reply to wait asks for the flush; the others join it
                later.append((root.pk, window - since))
    if roots:
        store.write_summaries([summary_of(r) for r in roots.values()])  # type: ignore[misc]
    for root in now_roots:
        root.reaction_list = []  # frames carry none: clients keep applying `reaction` events
        root.viewer_following = None  # one frame for everyone
    return now_roots, later


def _summaries_due(root_ids: list[int], *, logged: set[int], now: datetime) -> list[Message]:
    """The roots of this room whose summary event waits and whose window has ended, marked
    logged, each carrying its summary for its frame: a send batch of the room (it holds the
    room's lock) logs them with its own events. Two statements, only in a batch that has any;
    one that a reply of the batch logged already, or another process flushed, is skipped."""
    ids = [r for r in root_ids if r not in logged]
    if not ids:
        return []
    found = [
        m
        for m in Message.objects.select_related("sender", "reply_to__sender", "summary").filter(
            pk__in=ids, summary__pending=True
        )
        if not m.deleted
    ]
    ThreadSummary.objects.filter(root_id__in=ids, pending=True).update(pending=False, logged_at=now)
    for root in found:
        summary = summary_of(root)
        assert summary is not None
        summary.pending, summary.logged_at = False, now
        root.reaction_list = []  # frames carry none: clients keep applying `reaction` events
        root.viewer_following = None  # one frame for everyone
    return found


def thread_summary_flush(*, root_id: int) -> bool:
    """Log a root's waiting summary event (`message.updated`, see `_count_replies`) when its
    room went quiet: no send batch came to log it (`_summaries_due`). True if it did; nothing
    when it was logged meanwhile, the root is deleted (a tombstone keeps no summary to show) or
    gone. Looks before it locks, so a busy room's sends are not held up for nothing: in a busy
    room the root was logged by a send batch since (its `logged_at` is within the window),
    whatever has come to wait again since is that batch's to log."""
    quiet = timezone.now() - timedelta(seconds=float(settings.THREAD_SUMMARY_WINDOW))
    if not ThreadSummary.objects.filter(root_id=root_id, pending=True, logged_at__lte=quiet).exists():
        return False
    with transaction.atomic():
        found = store.lock_message(root_id)
        if found is None or found[1] is None:
            return False
        room_id = found[0]
        held = store.lock_room(room_id) if store.late_room_lock() else found[1]  # summaries: under it
        message = Message.objects.select_related("sender", "reply_to__sender", "summary").get(pk=root_id)
        summary = summary_of(message)
        if (
            summary is None
            or not summary.pending
            or (summary.logged_at is not None and summary.logged_at > quiet)
        ):
            return False
        summary.pending, summary.logged_at = False, timezone.now()
        summary.save(update_fields=["pending", "logged_at"])
        if message.deleted:
            return False
        message.viewer_following = None  # one frame for everyone
        return _publish_updated(message, room_id=room_id, held=held)


def thread_summaries_flush_overdue(*, now: datetime | None = None) -> int:
    """Flush every summary event still waiting a window after it was due: the process that
    was to flush it stopped first (a restart). Run by the periodic job; returns how many."""
    now = now or timezone.now()
    late = now - timedelta(seconds=2 * float(settings.THREAD_SUMMARY_WINDOW) + 1)
    roots = list(
        ThreadSummary.objects.filter(pending=True, logged_at__lt=late).values_list("root_id", flat=True)[:500]
    )
    return sum(1 for root_id in roots if thread_summary_flush(root_id=root_id))


def message_send(
    *,
    sender: User,
    room_id: int,
    body: str,
    client_id: str | None = None,
    reply_to: int | None = None,
    attachments: list[int] | None = None,
    thread: int | None = None,
    also_to_room: bool = False,
) -> SendResult:
    """Store one message and publish it after commit (a batch of one; see message_send_batch)."""
    check_thread(thread, also_to_room)
    ids = clean_attachments(attachments)
    body = clean_body(body, attachments=ids)
    request = SendRequest(sender, body, client_id or uuid.uuid4().hex, reply_to, ids, thread, also_to_room)
    return message_store(room_id=room_id, request=request)


def message_store(*, room_id: int, request: SendRequest) -> SendResult:
    """A checked send (`clean_body`, `clean_attachments`) stored now as a batch of one and
    counted for /metrics; a refusal is raised."""
    (result,) = message_send_batch(room_id=room_id, requests=[request])
    metrics.sends_answered([result])
    if isinstance(result, ServiceError):
        raise result
    return result


def message_send_batch(*, room_id: int, requests: list[SendRequest]) -> list[SendResult | ServiceError]:
    """Store several sends to one room in one transaction; one answer per request, in order.

    The room row lock orders concurrent writers, so seqs are assigned in commit
    order and the log has no holes. Six statements whatever the batch and room
    size: lock the room, find members among the senders, find earlier sends
    with these client_ids, bump the seq, insert messages, insert events.
    Under load the realtime layer hands several waiting sends to one call, so
    the room lock and the commit are paid once per batch, not per message.
    Bodies must already have passed `clean_body`.

    The membership statement also says which senders are muted (their sends are refused
    with `muted`; only a refusal reads when the mute ends).

    Protocol 2 adds at most three statements per batch, whatever its size: the
    replied-to messages (only when a send has `reply_to`), the members named by
    @mentions (only when a body has an '@'), and the mention rows (only when
    someone was mentioned). Nothing runs per recipient.

    Attachments add two, only when a send has any: read the uploads, and mark them
    attached (one UPDATE for the batch). The room lock also orders this against the
    thumbnail job, which reads whether an upload is attached under the same lock.

    On PostgreSQL the search terms are not written here (issue 34): the rows go in with
    `search_text` NULL, and after the commit the indexer thread fills them, outside the
    room lock (`search_indexer`); a search fills what still waits in its rooms first.
    """
    answers: list[SendResult | ServiceError | None] = [None] * len(requests)
    try:
        with transaction.atomic():
            locked = store.lock_room(room_id)
            if locked is None:
                return [NotFound(_("No such room.")) for _request in requests]
            visibility, closed, seq, owner_id, kind = locked
            senders = sorted({r.sender.pk for r in requests})
            members = store.member_standing(room_id, senders)  # {id: muted now}
            client_ids = sorted({r.client_id for r in requests})
            earlier, targets = _earlier_and_targets(room_id, requests, senders, client_ids)
            named = _resolve_mentions(room_id, (r.body for r in requests if r.sender.pk in members))
            upload_ids = sorted({a for r in requests for a in r.attachments})
            uploads = {u.pk: u for u in Upload.objects.filter(pk__in=upload_ids)} if upload_ids else {}
            claimed: list[Upload] = []
            fresh: list[tuple[int, Message]] = []
            now = timezone.now()
            deferred = search_indexer.deferred()  # PostgreSQL: terms filled after the commit
            for i, req in enumerate(requests):
                if req.sender.pk not in members:
                    answers[i] = (
                        ban_refusal()
                        if ban_is_told(
                            room_id=room_id,
                            user_id=req.sender.pk,
                            public=visibility == Room.Visibility.PUBLIC,
                        )
                        else Forbidden(_("Join the room to write in it."), code="not_member")
                        if visibility == Room.Visibility.PUBLIC
                        else NotFound(_("No such room."))
                    )  # the ban is read only on this refusal path
                    continue
                found = earlier.get((req.sender.pk, req.client_id))
                if found is not None:
                    try:
                        answers[i] = _as_retry(found, room_id, req.body)
                    except ServiceError as exc:
                        answers[i] = exc
                    continue
                if closed:
                    answers[i] = Conflict(
                        _("The room is closed; it can be read but not written to."), code="room_closed"
                    )
                    continue
                if members[req.sender.pk]:
                    answers[i] = mute_refusal(room_id=room_id, user_id=req.sender.pk)
                    continue
                target = targets.get(req.reply_to) if req.reply_to is not None else None
                if req.reply_to is not None and target is None:
                    answers[i] = Invalid(NO_REPLY_TARGET, fields={"reply_to": [NO_REPLY_TARGET]})
                    continue
                root = _thread_root(req, targets)
                if isinstance(root, ServiceError):
                    answers[i] = root
                    continue
                attached = _attachable(req, room_id, uploads)
                if isinstance(attached, ServiceError):
                    answers[i] = attached
                    continue
                mentioned, room_wide = _mentions_of(
                    req.body, sender_id=req.sender.pk, owner_id=owner_id, members=named
                )
                seq += 1
                message = Message(
                    room_id=room_id,
                    seq=seq,
                    sender=req.sender,
                    body=req.body,
                    client_id=req.client_id,
                    created_at=now,
                    reply_to=target,
                    reply_excerpt="" if target is None or target.deleted else plain_excerpt(target.body),
                    mentions=mentioned,
                    mentions_room=room_wide,
                    search_text=None if deferred else _search_text(req.body),
                    attachments=[attachment_data(u) for u in attached],
                    scheduled_for=req.scheduled_for,
                    thread=root,
                    also_to_room=req.also_to_room and root is not None,
                )
                _no_summary(message)  # new: no thread of its own yet (message_data reads nothing)
                for upload in attached:
                    upload.message = message
                claimed.extend(attached)
                earlier[(req.sender.pk, req.client_id)] = message  # a repeat within the batch is a retry
                fresh.append((i, message))
            if fresh:
                roots, later = _count_replies([m for _i, m in fresh], now)  # a statement, only with replies
                summaries.flush_after_commit(room_id, later, float(settings.THREAD_SUMMARY_WINDOW))
                roots += _summaries_due(summaries.take_due(room_id), logged={r.pk for r in roots}, now=now)
                updated = []
                for root in roots:
                    seq += 1
                    updated.append((seq, root))
                store.set_last_seq(room_id, seq)
                if kind == Room.Kind.DIRECT:  # one more statement, in DMs only
                    store.unhide_direct(room_id)
                store.insert_messages([m for _i, m in fresh])
                if claimed:
                    Upload.objects.bulk_update(claimed, ["message"])
                events = []
                for i, message in fresh:
                    frame = protocol.message(room=room_id, seq=message.seq, message=message_data(message))
                    events.append(
                        RoomEvent(
                            room_id=room_id,
                            seq=message.seq,
                            kind=RoomEvent.Kind.MESSAGE,
                            message=message,
                            frame=frame,
                            created_at=now,
                        )
                    )
                    publish.room_event(room_id=room_id, seq=message.seq, frame=frame)
                    answers[i] = SendResult(message, True)
                for root_seq, root in updated:  # each root's new summary, after its replies
                    frame = protocol.message_updated(room=room_id, seq=root_seq, message=message_data(root))
                    events.append(
                        RoomEvent(
                            room_id=room_id,
                            seq=root_seq,
                            kind=RoomEvent.Kind.UPDATED,
                            message=root,
                            frame=frame,
                            created_at=now,
                        )
                    )
                    publish.room_event(room_id=room_id, seq=root_seq, frame=frame)
                store.insert_events(events)
                mention_rows = [row for _i, m in fresh for row in _mention_rows(m)]
                if mention_rows:
                    store.insert_mentions(mention_rows)
                if deferred:  # no statement: a thread fills them outside the room lock
                    search_indexer.index_after_commit(m for _i, m in fresh)
                aftersend.sent_after_commit([m.pk for _i, m in fresh])  # Web Push (parley.notify)
                if settings.LINK_PREVIEWS:  # no statement: the job reads the room's setting
                    linkpreview.schedule_after_commit(
                        [m.pk for _i, m in fresh if linkpreview.maybe_has_links(m.body)]
                    )
            for i, answer in enumerate(answers):
                if answer is None:  # repeated client_id inside this batch
                    answers[i] = _as_retry(
                        earlier[(requests[i].sender.pk, requests[i].client_id)], room_id, requests[i].body
                    )
    except IntegrityError:
        if len(requests) == 1:
            # The same client_id raced in from another socket or room: whichever committed stands.
            req = requests[0]
            retry = _existing(req.sender, req.client_id, room_id, req.body)
            if retry is None:
                raise
            return [retry]
        # Settle the batch one by one so one racing retry cannot fail its neighbours.
        out: list[SendResult | ServiceError] = []
        for req in requests:
            try:
                out.extend(message_send_batch(room_id=room_id, requests=[req]))
            except IntegrityError:
                out.append(Conflict(_("This message collided with another; retry."), code="conflict"))
        return out
    return [a for a in answers if a is not None]


def room_mark_read(*, user: User, room_id: int, seq: int) -> int:
    """Move the user's read marker forward (never back); returns the unread count."""
    room = room_for_member(user=user, room_id=room_id)
    seq = min(seq, room.last_seq)
    moved = Membership.objects.filter(room_id=room_id, user=user, last_read_seq__lt=seq).update(
        last_read_seq=seq
    )
    read = (
        Membership.objects.filter(room_id=room_id, user=user).values_list("last_read_seq", flat=True).first()
    )
    count = unread.unread_count(user=user, room_id=room_id, after_seq=read or 0)
    if moved and user.share_read_receipts:
        _read_receipt(room_id=room_id, user=user, seq=read or 0)
    if moved:
        mentions = unread.mention_count(user=user, room_id=room_id, after_seq=read or 0)
        publish.user_frame(
            user_id=user.pk,
            frame=protocol.unread(room=room_id, count=count, last_read_seq=read or 0, mention_count=mentions),
        )
    return count


def _read_receipt(*, room_id: int, user: User, seq: int) -> None:
    """Tell the room's members who share receipts that `user` read up to `seq` (one query;
    nothing live in rooms of more than READ_RECEIPTS_LIVE_MAX people, who ask with GET
    rooms/{id}/reads). Coalesced per reader and room by the runtime, after commit."""
    bound = settings.READ_RECEIPTS_LIVE_MAX
    rows = list(
        Membership.objects.filter(room_id=room_id, user__is_bot=False).values_list(
            "user_id", "user__share_read_receipts"
        )[: bound + 1]
    )
    if len(rows) > bound:
        return
    recipients = [uid for uid, shares in rows if shares and uid != user.pk]
    if recipients:
        transaction.on_commit(
            lambda: runtime.current().reads.note(
                room_id=room_id, user_id=user.pk, seq=seq, recipients=recipients
            )
        )


def rooms_mark_all_read(*, user: User) -> list[int]:
    """ "Mark all as read": every marker of `user` to its room's head, in two statements
    whatever the number of rooms; each moved room's `unread` frame goes to the user's
    sockets as a single-room read's does. Returns the rooms whose marker moved.

    The heads are the ones read in the first statement: a message that lands between
    the two statements stays unread (it was not there to be seen)."""
    heads = dict(
        Membership.objects.filter(user=user, last_read_seq__lt=F("room__last_seq")).values_list(
            "room_id", "room__last_seq"
        )
    )
    if not heads:
        return []
    Membership.objects.filter(user=user, room_id__in=list(heads)).update(
        last_read_seq=Case(
            *(
                When(
                    room_id=room_id, last_read_seq__lt=head, then=Value(head, output_field=BigIntegerField())
                )
                for room_id, head in heads.items()
            ),
            default=F("last_read_seq"),
        )
    )
    for room_id, head in sorted(heads.items()):
        publish.user_frame(
            user_id=user.pk, frame=protocol.unread(room=room_id, count=0, last_read_seq=head, mention_count=0)
        )
    return sorted(heads)


# --- protocol 2: edit, delete, react ------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """A message under lock (its row's, or its room's: `store.late_room_lock`), its room as
    read then, and the actor's standing in that room."""

    message: Message
    room: store.LockedRoom
    member: bool
    muted: bool
    room_locked: bool = False  # `room` is under lock: its last_seq is the next event's base

    @property
    def held(self) -> store.LockedRoom | None:
        return self.room if self.room_locked else None

    def check_not_muted(self, actor: User) -> None:
        if self.muted:
            raise mute_refusal(room_id=self.message.room_id, user_id=actor.pk)


def _target(*, actor: User, message_id: int, staff_may: bool = False, erasure: bool = False) -> _Target:
    """Lock the message's room and load the message. Outsiders learn what they would about the
    room: a private room's messages do not exist for them (404), a public room's are 403
    until they join. Staff pass when `staff_may`. `erasure`: the author deleting their
    account removes their messages also from rooms they left and rooms that are closed."""
    found = store.lock_message(message_id)
    locked = found[1] if found is not None else None
    if found is None or locked is None:
        raise NotFound(_("No such message."))
    room_id = found[0]
    early = not store.late_room_lock()
    message = Message.objects.select_related("sender", "reply_to__sender", "summary").get(pk=message_id)
    standing = store.member_standing(room_id, [actor.pk])
    member = actor.pk in standing
    if erasure and message.sender_id == actor.pk:
        return _Target(message, locked, member, False, early)
    if not member and not (staff_may and actor.is_staff):
        if locked.visibility == Room.Visibility.PUBLIC:
            raise Forbidden(_("Join the room first."), code="not_member")
        raise NotFound(_("No such message."))
    if locked.closed:
        raise Conflict(_("The room is closed; it can be read but not written to."), code="room_closed")
    return _Target(message, locked, member, standing.get(actor.pk, False), early)


def _as_locked(message: Message, held: store.LockedRoom | None, *, fresh: bool = True) -> dict[str, Any]:
    """The message's data for a frame logged under the room's lock. A root's thread summary is
    written only under that lock: where the room was locked late (`held` is None), a reply
    may have come between loading the message and the lock, so a root's summary is read
    again (`fresh`, for frames that carry it), lest the frame take the count back."""
    if fresh and held is None and message.thread_id is None:
        Message.summary.related.set_cached_value(  # type: ignore[attr-defined]
            message, ThreadSummary.objects.filter(root_id=message.pk).first()
        )
    return message_data(message)


def _append(
    *,
    room_id: int,
    kind: str,
    message_id: int,
    frame_for: Callable[[int], str],
    now: datetime,
    closed_ok: bool = False,
    held: store.LockedRoom | None = None,
) -> int:
    """Take the room's next seq for an event about a message (`frame_for(seq)` is its frame),
    log it and publish it after commit. The last thing a change does: where the room is
    locked only now, it stays locked for these statements and the commit (a room closed
    meanwhile refuses the change, but for an account's erasure: `closed_ok`). `held`: the
    room as locked at the start, where it was (no second statement)."""
    locked = held or store.lock_room(room_id)
    if locked is None:
        raise NotFound(_("No such message."))
    if locked.closed and not closed_ok:
        raise Conflict(_("The room is closed; it can be read but not written to."), code="room_closed")
    seq = locked.last_seq + 1
    frame = frame_for(seq)
    store.set_last_seq(room_id, seq)
    store.insert_events(
        [RoomEvent(room_id=room_id, seq=seq, kind=kind, message_id=message_id, frame=frame, created_at=now)]
    )
    publish.room_event(room_id=room_id, seq=seq, frame=frame)
    return seq


def message_edit(*, actor: User, message_id: int, body: str, reactions: bool = True) -> Message:
    """Change a message's text (its author only, within MESSAGE_EDIT_WINDOW seconds when set).

    The previous text is kept in MessageEdit for staff; mentions are parsed again. An edit
    that changes nothing stores and publishes nothing. `reactions`: load the message's
    reactions as the actor sees them (REST answers with them; a socket's `done` does not,
    and skips the query)."""
    body = clean_body(body)
    with transaction.atomic():
        t = _target(actor=actor, message_id=message_id)
        message = t.message
        if message.sender_id != actor.pk:
            raise Forbidden(_("Only the author can edit a message."), code="not_author")
        t.check_not_muted(actor)
        if message.deleted:
            raise Conflict(_("The message was deleted."), code="message_deleted")
        window = settings.MESSAGE_EDIT_WINDOW
        now = timezone.now()
        if window and now - message.created_at > timedelta(seconds=window):
            raise Forbidden(
                interpolate(
                    ngettext_lazy(
                        "Messages can be edited for %(count)s second after they are sent.",
                        "Messages can be edited for %(count)s seconds after they are sent.",
                        "count",
                    ),
                    {"count": window},
                ),
                code="edit_window_closed",
            )
        if body == message.body:
            message.reaction_list = []
            return message
        MessageEdit.objects.create(
            message=message,
            action=MessageEdit.Action.EDIT,
            body_before=message.body,
            edited_at=now,
            editor=actor,
        )
        added = _links_added(before=message.body, after=body, removed=message.previews_removed)
        named = _resolve_mentions(message.room_id, [body])
        message.mentions, message.mentions_room = _mentions_of(
            body, sender_id=message.sender_id, owner_id=t.room.owner_id, members=named
        )
        message.body = body
        message.edited_at = now
        message.search_text = _search_text(body)  # found by its new text only
        kept = {linkpreview.normalise(link) for link in linkpreview.links(body)}
        message.previews = [p for p in message.previews if _normalised(p["url"]) in kept]
        message.save(
            update_fields=["body", "edited_at", "mentions", "mentions_room", "search_text", "previews"]
        )
        Mention.objects.filter(message=message).delete()
        rows = _mention_rows(message)
        if rows:
            store.insert_mentions(rows)
        message.reaction_list = []  # frames carry none: clients keep applying `reaction` events
        _append(
            room_id=message.room_id,
            kind=RoomEvent.Kind.UPDATED,
            message_id=message.pk,
            frame_for=lambda seq: protocol.message_updated(
                room=message.room_id, seq=seq, message=_as_locked(message, t.held)
            ),
            now=now,
            held=t.held,
        )
        if added and settings.LINK_PREVIEWS:  # no statement: the job reads the room's setting
            linkpreview.schedule_after_commit([message.pk])
    if reactions:
        message.reaction_list = selectors.reactions_for(viewer=actor, message_ids=[message.pk]).get(
            message.pk, []
        )
    return message


def _rewrite_frames(message_ids: list[int], change: Callable[[dict[str, Any]], None]) -> None:
    """Rewrite the stored `message` and `message.updated` frames of these messages in place."""
    events = list(
        RoomEvent.objects.filter(
            message_id__in=message_ids, kind__in=[RoomEvent.Kind.MESSAGE, RoomEvent.Kind.UPDATED]
        ).only("id", "frame")
    )
    for event in events:
        frame = json.loads(event.frame)
        change(frame["message"])
        event.frame = protocol.encode(frame)
    if events:
        RoomEvent.objects.bulk_update(events, ["frame"])


def message_delete(*, actor: User, message_id: int, erasure: bool = False) -> bool:
    """Delete a message (its author, the room's owner, or staff); False if it already was.

    The message stays as a tombstone at its seq: empty body, no reactions, no mentions. Its
    text must stay nowhere a member can read, and the log replays frame text, so in the same
    transaction its logged `message`/`message.updated` frames are rewritten to the tombstone
    and the replies quoting it lose their excerpt (in their rows and frames too). Staff keep
    the text in MessageEdit. Its uploads go too: the rows now, the stored files once the
    transaction commits."""
    with transaction.atomic():
        t = _target(actor=actor, message_id=message_id, staff_may=True, erasure=erasure)
        message = t.message
        if not (message.sender_id == actor.pk or t.room.owner_id == actor.pk or actor.is_staff):
            raise Forbidden(_("Only the author, the room's owner or staff can delete a message."))
        if message.deleted:
            return False
        now = timezone.now()
        MessageEdit.objects.create(
            message=message,
            action=MessageEdit.Action.DELETE,
            body_before=message.body,
            edited_at=now,
            editor=actor,
        )
        message.body, message.deleted_at, message.mentions, message.mentions_room = "", now, [], False
        message.search_text = None  # out of the search index
        message.attachments = []
        message.previews, message.previews_removed = [], []
        message.save(
            update_fields=[
                "body", "deleted_at", "mentions", "mentions_room", "search_text", "attachments",
                "previews", "previews_removed",
            ]
        )  # fmt: skip
        _delete_uploads(message.pk)
        Pin.objects.filter(message=message).delete()  # off the room's pins (clients: on message.deleted)
        Reaction.objects.filter(message=message).delete()
        Mention.objects.filter(message=message).delete()
        message.reaction_list = []
        tombstone = _as_locked(message, t.held, fresh=False)
        _rewrite_frames(
            [message.pk],
            lambda m: m.update(
                {
                    **tombstone,
                    "seq": m["seq"],
                    "edited_at": m["edited_at"],
                    "thread_summary": m.get("thread_summary"),  # each frame keeps the count it had
                }
            ),
        )
        replies = list(Message.objects.filter(reply_to=message).values_list("pk", flat=True))
        if replies:
            Message.objects.filter(pk__in=replies).update(reply_excerpt="")

            def blank(m: dict[str, Any]) -> None:
                if m.get("reply_to"):
                    m["reply_to"] = {**m["reply_to"], "excerpt": "", "deleted": True}

            _rewrite_frames(replies, blank)
        _append(
            room_id=message.room_id,
            kind=RoomEvent.Kind.DELETED,
            message_id=message.pk,
            frame_for=lambda seq: protocol.message_deleted(room=message.room_id, seq=seq, id=message.pk),
            now=now,
            closed_ok=erasure,
            held=t.held,
        )
    return True


def _delete_uploads(message_id: int) -> None:
    files = list(Upload.objects.filter(message_id=message_id).values_list("storage_name", "thumbnail_name"))
    if files:
        Upload.objects.filter(message_id=message_id).delete()
        upload_storage.delete_files_on_commit(name for pair in files for name in pair)


def message_attachments_refresh(*, message_id: int) -> bool:
    """Copy the message's uploads into its `attachments` again (a thumbnail was made) and
    publish `message.updated` so clients show it; False when nothing changed or the message
    was deleted. Takes the room lock, like every write that takes a seq."""
    with transaction.atomic():
        found = store.lock_message(message_id)
        if found is None or found[1] is None:
            return False
        room_id = found[0]
        held = None if store.late_room_lock() else found[1]
        message = Message.objects.select_related("sender", "reply_to__sender", "summary").get(pk=message_id)
        fresh = {u.pk: attachment_data(u) for u in Upload.objects.filter(message_id=message_id)}
        attachments = [fresh[a["id"]] for a in message.attachments if a["id"] in fresh]
        if message.deleted or attachments == message.attachments:
            return False
        message.attachments = attachments
        message.save(update_fields=["attachments"])
        message.reaction_list = []  # frames carry none: clients keep applying `reaction` events
        try:
            _append(
                room_id=room_id,
                kind=RoomEvent.Kind.UPDATED,
                message_id=message.pk,
                frame_for=lambda seq: protocol.message_updated(
                    room=room_id, seq=seq, message=_as_locked(message, held)
                ),
                now=timezone.now(),
                held=held,
            )
        except (NotFound, Conflict):  # the room went or closed meanwhile: the thumbnail waits
            transaction.set_rollback(True)
            return False
    return True


def _links_added(*, before: str, after: str, removed: list[str]) -> bool:
    """Whether an edit brings a link that may get a card: one among the new body's first links
    that was not among the old body's (whose cards, or their absence, stand) and whose card
    the author has not removed. Pure text work: the edit spends no statement on it."""
    if not linkpreview.maybe_has_links(after):
        return False
    had = {_normalised(link) for link in linkpreview.links(before)} | set(removed)
    return any(_normalised(link) not in had for link in linkpreview.links(after))


def _normalised(url: str) -> str:
    try:
        return linkpreview.normalise(url)
    except ValueError:
        return url


PREVIEW_URL_PREFIX = "/api/v1/link-previews"


def preview_image_url(row: LinkPreview) -> str | None:
    """The address Parley serves a preview's picture at; the file's name is in it, so a
    picture fetched again after LINK_PREVIEW_TTL is a new address (no stale cache)."""
    if not row.image_name:
        return None
    return f"{PREVIEW_URL_PREFIX}/{row.pk}/{row.image_name.rsplit('/', 1)[-1]}"


def link_preview_get(*, url: str) -> LinkPreview | None:
    """The preview of one URL: the stored one while younger than LINK_PREVIEW_TTL, else
    fetched now (network time outside any transaction) and stored for every room. A page
    with nothing to show is stored too (`found` false), so it is not fetched again either."""
    key = linkpreview.url_key(url)
    row = LinkPreview.objects.filter(url_key=key).first()
    now = timezone.now()
    if row is not None and now - row.fetched_at < settings.LINK_PREVIEW_TTL:
        return row if row.found else None
    try:
        page = linkpreview.fetch_page(url)
    except linkpreview.Skipped as exc:
        page = linkpreview.Page("", "", "", "")
        log_reason = exc.reason
    else:
        log_reason = ""
    if log_reason:
        linkpreview.log.info("no link preview for %s: %s", url, log_reason)
    old_image = row.image_name if row is not None else ""
    fields = {
        "url": linkpreview.normalise(url),
        "found": page.found,
        "title": page.title,
        "description": page.description,
        "site_name": page.site_name,
        "image_name": page.image,
        "fetched_at": now,
    }
    try:
        with transaction.atomic():
            row, _created = LinkPreview.objects.update_or_create(url_key=key, defaults=fields)
            if old_image and old_image != page.image:
                upload_storage.delete_files_on_commit([old_image])
    except IntegrityError:
        # Another job stored the same new page a moment ago: keep theirs, drop our picture.
        if page.image:
            upload_storage.delete_files([page.image])
        row = LinkPreview.objects.get(url_key=key)
    return row if row.found else None


def _wanted(message: Message) -> list[str]:
    """The message's first links that have no card yet and whose card the author has not
    removed, in the body's order."""
    have = {_normalised(str(p["url"])) for p in message.previews} | set(message.previews_removed)
    return [link for link in linkpreview.links(message.body) if _normalised(link) not in have]


def message_previews_make(*, message_id: int) -> bool:
    """The job after a send or an edit that adds links: fetch (or find cached) the previews of
    the message's first links that have no card yet, and publish the message again with them
    (`message.updated`); True if it did. Cards already there stay as they are (no refetch).

    Nothing happens when previews are off (LINK_PREVIEWS, the room's `link_previews`), the
    message is gone or deleted, every link has its card (or its card was removed by the
    author), or no new link has anything to show."""
    if not settings.LINK_PREVIEWS:
        return False
    message = Message.objects.select_related("room").filter(pk=message_id).first()
    if message is None or message.deleted or not message.room.link_previews:
        return False
    cards = []
    for link in _wanted(message):
        row = link_preview_get(url=link)
        if row is not None:
            cards.append(
                {
                    "url": link,
                    "title": row.title,
                    "description": row.description,
                    "image_url": preview_image_url(row),
                    "site_name": row.site_name,
                }
            )
    if not cards:
        return False
    with transaction.atomic():
        found = store.lock_message(message_id)
        if found is None or found[1] is None:
            return False
        room_id = found[0]
        held = None if store.late_room_lock() else found[1]
        message = Message.objects.select_related("sender", "reply_to__sender", "summary").get(pk=message_id)
        # Edited, removed by hand or filled by another run meanwhile: only what is still wanted.
        wanted = {_normalised(link) for link in _wanted(message)}
        cards = [c for c in cards if _normalised(str(c["url"])) in wanted]
        if message.deleted or not cards:
            return False
        by_url = {_normalised(str(c["url"])): c for c in [*message.previews, *cards]}
        order = [_normalised(link) for link in linkpreview.links(message.body)]
        message.previews = [by_url[key] for key in order if key in by_url]  # the body's order
        message.save(update_fields=["previews"])
        return _publish_updated(message, room_id=room_id, held=held)


def _publish_updated(message: Message, *, room_id: int, held: store.LockedRoom | None) -> bool:
    """Log and publish `message.updated` for a change made by the server; a room that closed
    meanwhile rolls the change back (False)."""
    message.reaction_list = []  # frames carry none: clients keep applying `reaction` events
    data = message_data(message)
    try:
        _append(
            room_id=room_id,
            kind=RoomEvent.Kind.UPDATED,
            message_id=message.pk,
            frame_for=lambda seq: protocol.message_updated(room=room_id, seq=seq, message=data),
            now=timezone.now(),
            held=held,
        )
    except (NotFound, Conflict):
        transaction.set_rollback(True)
        return False
    return True


def message_preview_remove(*, actor: User, message_id: int, index: int) -> Message:
    """The author removes one of their message's previews (`message.updated` to everyone).
    The link stays in the body; the card does not come back."""
    with transaction.atomic():
        t = _target(actor=actor, message_id=message_id)
        message = t.message
        if message.sender_id != actor.pk:
            raise Forbidden(_("Only the author can remove a link preview."), code="not_author")
        if message.deleted:
            raise Conflict(_("The message was deleted."), code="message_deleted")
        if not 0 <= index < len(message.previews):
            raise NotFound(_("No such link preview."), code="no_preview")
        gone = _normalised(str(message.previews[index]["url"]))
        message.previews = [p for i, p in enumerate(message.previews) if i != index]
        if gone not in message.previews_removed:  # a later edit must not bring it back
            message.previews_removed = [*message.previews_removed, gone]
        message.save(update_fields=["previews", "previews_removed"])
        message.reaction_list = []
        data = message_data(message)
        _append(
            room_id=message.room_id,
            kind=RoomEvent.Kind.UPDATED,
            message_id=message.pk,
            frame_for=lambda seq: protocol.message_updated(room=message.room_id, seq=seq, message=data),
            now=timezone.now(),
            held=t.held,
        )
    message.reaction_list = selectors.reactions_for(viewer=actor, message_ids=[message.pk]).get(
        message.pk, []
    )
    return message


def attached_upload_changed(sender: object, *, message_id: int, **kwargs: object) -> None:
    """An upload this message carries changed (uploads.signals): publish its new copy."""
    message_attachments_refresh(message_id=message_id)


def clean_emoji(value: str) -> str:
    """One emoji of the Unicode set (skin tones and ZWJ sequences included), nothing else.

    Pickers (the web client's emojibase data among them) spell some emoji with a variation
    selector their default presentation does not need (`👍` + U+FE0F): such a spelling is
    stored as the plain one, so both count as the same reaction.

    Or `:name:` of a custom emoji that exists now (a name nobody added is refused, so a
    reaction always names a picture when it is made)."""
    custom = _CUSTOM.fullmatch(value)
    if custom is not None:
        if not upload_selectors.emoji_exists(custom.group(1)):
            raise Invalid(
                interpolate(_("There is no custom emoji %(name)s."), {"name": value}),
                code="unknown_emoji",
                fields={"emoji": [_("Use a Unicode emoji or the :name: of a custom one.")]},
            )
        return value
    if len(value) <= 32 and not emoji_data.is_emoji(value) and _VS16 in value:
        value = value.replace(_VS16, "")
    if len(value) > 32 or not emoji_data.is_emoji(value):
        raise Invalid(_("That is not an emoji."), fields={"emoji": [_("Use a single Unicode emoji.")]})
    return value


# Different emoji one message can carry (each by any number of people): a cap, so that a
# message cannot be buried under every emoji there is. Published in docs/protocol.md.
REACTIONS_MAX_DISTINCT = 20
_VS16 = "\ufe0f"  # VARIATION SELECTOR-16: "show as emoji"
_CUSTOM = re.compile(r":([a-z0-9_-]{2,32}):")


def reaction_toggle(
    *, actor: User, message_id: int, emoji: str, op: Literal["add", "remove"]
) -> list[dict[str, object]]:
    """Add or remove the actor's emoji on a message; the message's reactions as the actor sees them."""
    reaction_change(actor=actor, message_id=message_id, emoji=emoji, op=op)
    return selectors.reactions_for(viewer=actor, message_ids=[message_id]).get(message_id, [])


def reaction_change(*, actor: User, message_id: int, emoji: str, op: Literal["add", "remove"]) -> bool:
    """Add or remove the actor's emoji on a message; True if that changed anything.

    Idempotent: adding a reaction the actor already has, or removing one they do not,
    changes nothing, takes no seq and publishes nothing. Otherwise one statement changes
    the reaction and one event is logged."""
    emoji = clean_emoji(emoji)
    with transaction.atomic():
        t = _target(actor=actor, message_id=message_id)
        t.check_not_muted(actor)
        message = t.message
        if message.deleted:
            raise Conflict(_("The message was deleted."), code="message_deleted")
        now = timezone.now()
        if op == "add":
            changed = store.reaction_add(message.pk, actor.pk, emoji, now, REACTIONS_MAX_DISTINCT)
            if not changed and not Reaction.objects.filter(message=message, user=actor, emoji=emoji).exists():
                raise Conflict(
                    interpolate(
                        _("A message takes at most %(count)s different reactions."),
                        {"count": REACTIONS_MAX_DISTINCT},
                    ),
                    code="too_many_reactions",
                )
        else:
            changed = store.reaction_remove(message.pk, actor.pk, emoji)
        if changed:
            who = user_data(actor)
            _append(
                room_id=message.room_id,
                kind=RoomEvent.Kind.REACTION,
                message_id=message.pk,
                frame_for=lambda seq: protocol.reaction(
                    room=message.room_id, seq=seq, message_id=message.pk, emoji=emoji, user=who, op=op
                ),
                now=now,
                held=t.held,
            )
    return changed
