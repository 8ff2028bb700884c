from __future__ import annotations

from typing import Any

from django.core import signing
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from parley.accounts.serializers import user_data
from parley.common.schema import ShapeField, shape_list
from parley.messaging.models import (
    ATTACHMENTS_MAX,
    BODY_MAX,
    Message,
    Report,
    ScheduledMessage,
    ThreadSummary,
)
from parley.realtime.shapes import MessageOut, ReactionOut, UserOut, timestamp


def reply_data(message: Message) -> dict[str, Any] | None:
    """`reply_to` of a message as `ReplyOut`; the replied-to message (with its sender) must be loaded."""
    if message.reply_to_id is None:
        return None
    target = message.reply_to
    assert target is not None
    return {
        "id": target.pk,
        "seq": target.seq,
        "sender": user_data(target.sender),
        "excerpt": "" if target.deleted_at else message.reply_excerpt,
        "deleted": target.deleted_at is not None,
    }


def summary_data(summary: ThreadSummary | None, following: bool | None) -> dict[str, Any] | None:
    """A root's `thread_summary` as `ThreadSummaryOut` (None: nobody replied in a thread yet)."""
    if summary is None or summary.reply_count == 0:
        return None
    return {
        "reply_count": summary.reply_count,
        "last_reply_at": timestamp(summary.last_reply_at),
        "last_reply_seq": summary.last_reply_seq,
        "participants": list(summary.participants),
        "following": following,
    }


def _thread_summary(message: Message) -> dict[str, Any] | None:
    """The root's summary: loaded with the message (`select_related("summary")`) wherever
    messages are read, and set to none on a message just sent, so this reads nothing
    on the hot path; a message loaded another way costs one query here."""
    if message.thread_id is not None:
        return None  # a reply is never a root
    try:
        summary = message.summary
    except ThreadSummary.DoesNotExist:
        return None
    return summary_data(summary, message.viewer_following)


def message_data(message: Message) -> dict[str, Any]:
    """A message as `MessageOut`: the one function REST answers and frames use (hot path:
    once per send, so a plain dict, no per-call validation).

    `reactions` are what the selectors attached for the viewer; in frames (encoded once for
    everyone) they are `[]` and clients apply `reaction` events themselves."""
    return {
        "id": message.pk,
        "room": message.room_id,
        "seq": message.seq,
        "sender": user_data(message.sender),
        "body": message.body,
        "created_at": timestamp(message.created_at),
        "edited_at": timestamp(message.edited_at),
        "client_id": message.client_id,
        "deleted": message.deleted_at is not None,
        "reply_to": reply_data(message),
        "mentions": list(message.mentions),
        "mentions_room": message.mentions_room,
        "reactions": list(message.reaction_list),
        "attachments": list(message.attachments),
        "previews": list(message.previews),
        "thread": message.thread_id,
        "also_to_room": message.also_to_room,
        "thread_summary": _thread_summary(message),
        "scheduled_for": timestamp(message.scheduled_for),
    }


class MessagePageOut(serializers.Serializer[Any]):
    messages = shape_list(MessageOut, message_data)
    has_more = serializers.BooleanField(
        help_text="Older messages exist (newer ones with after_seq). With around_seq: older ones."
    )
    has_more_before = serializers.BooleanField(required=False, help_text="Only with around_seq.")
    has_more_after = serializers.BooleanField(required=False, help_text="Only with around_seq.")


class HistoryIn(serializers.Serializer[Any]):
    before_seq = serializers.IntegerField(required=False, min_value=1, max_value=2**62)
    after_seq = serializers.IntegerField(required=False, min_value=0, max_value=2**62)
    around_seq = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=2**62,
        help_text="The page centred on this seq (alone: not with before_seq or after_seq).",
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=50)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "around_seq" in attrs and ("before_seq" in attrs or "after_seq" in attrs):
            raise serializers.ValidationError(
                {"around_seq": [_("Use around_seq alone, without before/after.")]}
            )
        return attrs


class EditIn(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=BODY_MAX * 4, trim_whitespace=False, allow_blank=True)


class ReactionsOut(serializers.Serializer[Any]):
    reactions = shape_list(ReactionOut)


class EventsIn(serializers.Serializer[Any]):
    after_seq = serializers.IntegerField(min_value=0, max_value=2**62)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=500, default=100)


class EventsOut(serializers.Serializer[Any]):
    events = serializers.ListField(child=serializers.DictField(), help_text="WebSocket frames, in seq order.")
    has_more = serializers.BooleanField()
    last_seq = serializers.IntegerField()


class SendIn(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=BODY_MAX * 4, trim_whitespace=False, allow_blank=True)
    client_id = serializers.RegexField(r"^[A-Za-z0-9_.:-]{1,64}$", required=False, max_length=64)
    reply_to = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**62, help_text="A message of this room."
    )
    attachments = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**62),
        required=False,
        max_length=ATTACHMENTS_MAX,
        help_text="Upload ids (POST rooms/{id}/uploads): your own, in this room, not yet attached. "
        "With attachments the body may be empty.",
    )
    thread = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**62,
        help_text="Protocol 3: reply in this thread (its root's id, in this room; a reply's id "
        "joins that reply's thread).",
    )
    also_to_room = serializers.BooleanField(
        required=False,
        help_text="Protocol 3: show the thread reply in the room as well (false when left out).",
    )


class ReadIn(serializers.Serializer[Any]):
    seq = serializers.IntegerField(min_value=0, max_value=2**62)


class SenderChoicesIn(serializers.Serializer[Any]):
    q = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default="", help_text="Part of a name."
    )
    room = serializers.IntegerField(
        required=False, min_value=1, max_value=2**62, help_text="Only the people of this room."
    )
    limit = serializers.IntegerField(min_value=1, max_value=50, default=20)


class SearchIn(serializers.Serializer[Any]):
    q = serializers.CharField(
        min_length=1, max_length=200, help_text="Words or characters; every term must match (AND)."
    )
    room = serializers.IntegerField(required=False, min_value=1, max_value=2**62, help_text="Only this room.")
    sender = serializers.IntegerField(
        required=False, min_value=1, max_value=2**62, help_text="Only messages by this user id."
    )
    before = serializers.DateTimeField(
        required=False, help_text="Sent before this moment (ISO 8601; a date alone means its midnight UTC)."
    )
    after = serializers.DateTimeField(required=False, help_text="Sent at or after this moment (ISO 8601).")
    cursor = serializers.CharField(
        required=False, max_length=200, help_text="`next_cursor` of the previous page, as given."
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=50, default=20)

    def validate_cursor(self, value: str) -> int:
        try:
            return int(signing.Signer(salt=CURSOR_SALT).unsign(value))
        except (signing.BadSignature, ValueError):
            raise serializers.ValidationError(
                _("Not a cursor this server gave; start again without it.")
            ) from None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "before" in attrs and "after" in attrs and attrs["after"] >= attrs["before"]:
            raise serializers.ValidationError({"after": [_("`after` must be earlier than `before`.")]})
        return attrs


CURSOR_SALT = "parley.search.cursor"


def search_cursor(message_id: int | None) -> str | None:
    """The opaque `next_cursor`: the last result's id, signed so a forged one is refused."""
    return None if message_id is None else signing.Signer(salt=CURSOR_SALT).sign(str(message_id))


class HighlightSegment(serializers.Serializer[Any]):
    text = serializers.CharField()
    match = serializers.BooleanField()


class RoomNameOut(serializers.Serializer[Any]):
    """A room named where a message is shown out of it (a search hit, a report)."""

    id = serializers.IntegerField()
    name = serializers.CharField()


class SearchResult(serializers.Serializer[Any]):
    message = ShapeField(MessageOut, message_data)
    room = RoomNameOut()
    highlight = HighlightSegment(
        many=True,
        help_text="The whole body cut into plain-text segments; `match` marks the words that matched.",
    )


class SearchOut(serializers.Serializer[Any]):
    results = SearchResult(many=True, help_text="Newest first.")
    next_cursor = serializers.CharField(
        allow_null=True, help_text="Pass as `cursor` for the next page; null on the last page."
    )


class ReportIn(serializers.Serializer[Any]):
    category = serializers.ChoiceField(choices=Report.Category.choices)
    text = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReportOut(serializers.Serializer[Any]):
    """A report as its reporter sees it: their own, nothing of anyone else's."""

    id = serializers.IntegerField()
    message_id = serializers.IntegerField()
    category = serializers.CharField()
    text = serializers.CharField()
    created_at = serializers.DateTimeField()


class ReportedMessageOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    room = serializers.IntegerField(source="room_id")
    seq = serializers.IntegerField(help_text="`around_seq` loads the history around it.")
    sender = ShapeField(UserOut, user_data)
    excerpt = serializers.SerializerMethodField()
    deleted = serializers.BooleanField()
    created_at = serializers.DateTimeField()

    def get_excerpt(self, message: Message) -> str:
        return message.body[:280]


class ReportStaffOut(serializers.Serializer[Any]):
    """A report in the staff queue."""

    id = serializers.IntegerField()
    category = serializers.CharField()
    text = serializers.CharField()
    created_at = serializers.DateTimeField()
    status = serializers.CharField()
    action = serializers.CharField(help_text="What staff did; empty while open.")
    resolved_at = serializers.DateTimeField(allow_null=True)
    resolved_by = ShapeField(UserOut, user_data, allow_null=True)
    reporter = ShapeField(UserOut, user_data)
    message = ReportedMessageOut()
    room = RoomNameOut(source="message.room")


class ReportQueueIn(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=Report.Status.choices, default=Report.Status.OPEN)
    cursor = serializers.IntegerField(
        required=False, min_value=1, max_value=2**62, allow_null=True, default=None
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=50)


class ReportContextOut(serializers.Serializer[Any]):
    """A reported message among its neighbours, for staff (read-only, member or not)."""

    report_id = serializers.IntegerField()
    message_id = serializers.IntegerField()
    room = RoomNameOut()
    messages = shape_list(MessageOut, message_data)
    has_more_before = serializers.BooleanField()
    has_more_after = serializers.BooleanField()


class ReportQueueOut(serializers.Serializer[Any]):
    results = ReportStaffOut(many=True)
    next_cursor = serializers.CharField(allow_null=True, help_text="Pass as `cursor` for the next page.")


class ReportResolveIn(serializers.Serializer[Any]):
    action = serializers.ChoiceField(choices=Report.Action.choices)
    duration = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=366 * 86400,
        help_text="For mute_author: seconds; leave out to mute until lifted.",
    )


class ReadAllOut(serializers.Serializer[Any]):
    rooms = serializers.ListField(
        child=serializers.IntegerField(), help_text="The rooms whose read marker moved"
    )


# --- pins and saved messages (parley/messaging/pins.py) ----------------------------------------


class PinnedOut(serializers.Serializer[Any]):
    pinned = serializers.BooleanField(help_text="The message is pinned now.")


class PinsOut(serializers.Serializer[Any]):
    pins = shape_list(MessageOut, message_data)


class SavedOut(serializers.Serializer[Any]):
    saved = serializers.BooleanField(help_text="The message is on your Saved list now.")


SAVED_CURSOR_SALT = "parley.saved.cursor"


def saved_cursor(row_id: int | None) -> str | None:
    """The opaque `next_cursor` of `GET saved`, signed so a forged one is refused (as search's)."""
    return None if row_id is None else signing.Signer(salt=SAVED_CURSOR_SALT).sign(str(row_id))


class SavedListIn(serializers.Serializer[Any]):
    cursor = serializers.CharField(
        required=False, max_length=200, help_text="`next_cursor` of the previous page, as given."
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=50, default=20)

    def validate_cursor(self, value: str) -> int:
        try:
            return int(signing.Signer(salt=SAVED_CURSOR_SALT).unsign(value))
        except (signing.BadSignature, ValueError):
            raise serializers.ValidationError(
                _("Not a cursor this server gave; start again without it.")
            ) from None


class SavedItemOut(serializers.Serializer[Any]):
    message = ShapeField(MessageOut, message_data)
    room = RoomNameOut(source="message.room")


class SavedListOut(serializers.Serializer[Any]):
    results = SavedItemOut(
        many=True,
        help_text="Newest saved first; only messages you can still see (not deleted, in your rooms).",
    )
    next_cursor = serializers.CharField(
        allow_null=True, help_text="Pass as `cursor` for the next page; null on the last page."
    )


class ScheduledIn(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=BODY_MAX * 4, trim_whitespace=False)
    send_at = serializers.DateTimeField(help_text="When to post it: in the future, with its UTC offset.")
    thread = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**62,
        help_text="The thread to post it in (its first message, in this room).",
    )


class ScheduledPatchIn(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=BODY_MAX * 4, trim_whitespace=False, required=False)
    send_at = serializers.DateTimeField(required=False)


class ScheduledRoomOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()


def scheduled_data(item: ScheduledMessage) -> dict[str, Any]:
    """A scheduled message or reminder as its author sees it (`ScheduledOut`)."""
    room = item.room
    return {
        "id": item.pk,
        "kind": item.kind,
        "room": None if room is None else {"id": room.pk, "name": room.name, "kind": room.kind},
        "body": item.body,
        "thread": item.thread,
        "send_at": timestamp(item.send_at),
        "state": item.state,
        "reason": item.reason,
        "message_id": item.message_id,
        "created_at": timestamp(item.created_at),
        "sent_at": timestamp(item.sent_at),
    }


class ScheduledOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(
        choices=ScheduledMessage.Kind.values, help_text='"reminder": from /remind me, sent to you in a DM.'
    )
    room = ScheduledRoomOut(allow_null=True, help_text="Null for a reminder.")
    body = serializers.CharField()
    thread = serializers.IntegerField(allow_null=True)
    send_at = serializers.DateTimeField()
    state = serializers.ChoiceField(choices=ScheduledMessage.State.values)
    reason = serializers.CharField(help_text="Why a failed one failed: the send's error code.")
    message_id = serializers.IntegerField(allow_null=True, help_text="The message it became, once sent.")
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)


class ScheduledListOut(serializers.Serializer[Any]):
    results = ScheduledOut(many=True, help_text="Pending first (soonest first), then the others.")


# --- protocol 3: threads ------------------------------------------------------------------


class ThreadPageIn(serializers.Serializer[Any]):
    after_seq = serializers.IntegerField(
        required=False, min_value=0, max_value=2**62, default=0, help_text="Replies after this seq."
    )
    before_seq = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**62,
        help_text="The replies just before this seq (not with after_seq). Any seq past the newest"
        " reply (2^53-1, 2^62) gives the newest page.",
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=50)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # after_seq has a default (existing clients rely on it), so ask what the query named.
        if "before_seq" in attrs and "after_seq" in self.initial_data:
            raise serializers.ValidationError({"before_seq": [_("Use before_seq or after_seq, not both.")]})
        if "before_seq" in attrs:
            del attrs["after_seq"]
        return attrs


class ThreadPageOut(serializers.Serializer[Any]):
    # `root` shadows Field.root only on the class body: DRF moves declared fields off the class.
    root = ShapeField(MessageOut, message_data)  # type: ignore[assignment]
    replies = shape_list(MessageOut, message_data)
    has_more = serializers.BooleanField(
        help_text="Newer replies exist: ask again with the last one's seq. With before_seq: older"
        " replies exist (ask again with the first one's seq)."
    )
    last_read_seq = serializers.IntegerField(help_text="Your read marker in the thread (0: none read).")
    unread_count = serializers.IntegerField(help_text="Replies by others after your read marker.")


class FollowOut(serializers.Serializer[Any]):
    following = serializers.BooleanField()


class ThreadReadOut(serializers.Serializer[Any]):
    last_read_seq = serializers.IntegerField()
    unread_count = serializers.IntegerField()


class ThreadItemOut(serializers.Serializer[Any]):
    root = ShapeField(MessageOut, message_data)  # type: ignore[assignment]
    room = serializers.IntegerField(help_text="The room's id.")
    unread_count = serializers.IntegerField(help_text="Replies by others after your read marker.")
    last_reply_at = serializers.DateTimeField()
    last_read_seq = serializers.IntegerField()


class ThreadsIn(serializers.Serializer[Any]):
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=50)


class ThreadsOut(serializers.Serializer[Any]):
    threads = ThreadItemOut(many=True, help_text="The threads you follow, newest reply first.")
