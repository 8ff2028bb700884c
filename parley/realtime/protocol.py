"""Every WebSocket frame of protocol 3, in one place: the models and the builders.

Client frames are parsed strictly (types are not coerced) but undeclared fields
are ignored, so a client cannot smuggle a `sender`: the server never reads one.
Server frames are declared with `extra="forbid"`; the test suite checks every
frame a socket receives against them (an undeclared field is a schema bug).
`docs/protocol.md` documents each one with an example. Server frames are made
only by the builders at the end of this module (services, the hub and the
consumer call them), and the client's TypeScript types are generated from
these models.

This module sits in the realtime layer, below the services, because services
build the frames they publish; it imports nothing of Parley's.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, ClassVar, Literal

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from parley.realtime.shapes import (
    MessageOut,
    PresenceState,
    ReactionOut,
    RoomPublicOut,
    Shape,
    StatusOut,
    Timestamp,
    UserOut,
)

PROTOCOL_VERSION = 3

RoomId = Annotated[int, Field(strict=True, ge=1, le=2**62)]
Seq = Annotated[int, Field(strict=True, ge=0, le=2**62)]
ClientId = Annotated[
    str, StringConstraints(strict=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
]


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)


class ResumeIn(_In):
    type: Literal["resume"]
    rooms: dict[Annotated[str, StringConstraints(pattern=r"^[0-9]{1,18}$")], Seq] = Field(max_length=1000)


class SendIn(_In):
    type: Literal["send"]
    room: RoomId
    body: str
    client_id: ClientId
    # Protocol 2: the id of a message of the same room this one answers.
    reply_to: RoomId | None = None
    # Protocol 2: upload ids (POST rooms/{id}/uploads); with any, the body may be empty.
    attachments: Annotated[list[RoomId], Field(max_length=10)] = []
    # Protocol 3: the thread root's id (same room; a reply's id joins that reply's thread),
    # and whether the reply also shows in the room's flow (only with `thread`).
    thread: RoomId | None = None
    also_to_room: bool = False


class ReadIn(_In):
    type: Literal["read"]
    room: RoomId
    seq: Seq


class TypingIn(_In):
    type: Literal["typing"]
    room: RoomId
    # Protocol 3: typing in this thread (its root's id), not in the room's composer.
    thread: RoomId | None = None


class EditIn(_In):
    """Protocol 2, added later: `PATCH messages/{id}` over the socket (answered by `done` or `error`)."""

    type: Literal["edit"]
    message: RoomId
    body: str
    client_id: ClientId


class DeleteIn(_In):
    """Protocol 2, added later: `DELETE messages/{id}` over the socket."""

    type: Literal["delete"]
    message: RoomId
    client_id: ClientId


class ReactIn(_In):
    """Protocol 2, added later: `POST`/`DELETE messages/{id}/reactions/{emoji}` over the socket."""

    type: Literal["react"]
    message: RoomId
    emoji: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=40)]
    op: Literal["add", "remove"]
    client_id: ClientId


class PingIn(_In):
    type: Literal["ping"]


class PongIn(_In):
    type: Literal["pong"]


AnyClientFrame = ResumeIn | SendIn | ReadIn | TypingIn | EditIn | DeleteIn | ReactIn | PingIn | PongIn
ClientFrame = Annotated[AnyClientFrame, Field(discriminator="type")]
CLIENT_TYPES = ("resume", "send", "read", "typing", "edit", "delete", "react", "ping", "pong")
_client_adapter: TypeAdapter[Any] = TypeAdapter(ClientFrame)


class FrameError(Exception):
    """A client frame we refuse; `code` is the error frame's code. `message` is lazy: the
    consumer renders it in the socket's language."""

    def __init__(self, code: str, message: str | Promise, ref: str | int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.ref = ref


def parse_client_frame(text: str) -> AnyClientFrame:
    try:
        # Deep nesting ends in RecursionError inside the C scanner; frames are ≤ 64 KiB.
        raw = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise FrameError("bad_json", _("The frame is not valid JSON.")) from exc
    if not isinstance(raw, dict):
        raise FrameError("bad_json", _("A frame is a JSON object with a 'type'."))
    kind = raw.get("type")
    cid = raw.get("client_id")  # echoed as `ref`: a short string or an int, never a bool or a blob
    ref = cid if (isinstance(cid, str) and len(cid) <= 64) or type(cid) is int else None
    if kind not in CLIENT_TYPES:
        raise FrameError(
            "unknown_type", format_lazy(_("Unknown frame type: {kind}."), kind=repr(str(kind)[:40])), ref
        )
    try:
        frame = _client_adapter.validate_python(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or "frame"
        # Pydantic's own explanation stays as it wrote it (a client's bug, read by its developer).
        problem = first["msg"]
        raise FrameError(
            "invalid", format_lazy(_("{where} is not valid: {problem}"), where=where, problem=problem), ref
        ) from exc
    return frame  # type: ignore[no-any-return]


# --- server frames ----------------------------------------------------------------


class _Out(Shape):
    """A server frame, or a part of one that only frames carry (the shapes REST answers
    share are in `shapes.py`)."""


class HelloRoom(_Out):
    id: int
    kind: Literal["room", "direct"]
    last_seq: int
    last_read_seq: int
    unread_count: int
    mention_count: int


class HelloOut(_Out):
    type: Literal["hello"]
    protocol: Literal[3]
    user: UserOut
    rooms: list[HelloRoom]


class MessageFrame(_Out):
    type: Literal["message"]
    room: int
    seq: int
    message: MessageOut


class MessageUpdatedOut(_Out):
    type: Literal["message.updated"]
    room: int
    seq: int
    message: MessageOut


class MessageDeletedOut(_Out):
    type: Literal["message.deleted"]
    room: int
    seq: int
    id: int


class ReactionFrame(_Out):
    type: Literal["reaction"]
    room: int
    seq: int
    message_id: int
    emoji: str
    user: UserOut
    op: Literal["add", "remove"]


class MessagePinnedOut(_Out):
    """Protocol 3 (issue 32): a message was pinned in its room or unpinned. A logged event
    (it takes a seq; `resume` and gap repair replay it). A deleted message leaves the
    room's pins without one: clients drop it on `message.deleted`."""

    type: Literal["message.pinned"]
    room: int
    seq: int
    message_id: int
    pinned: bool
    by: UserOut = Field(description="Who pinned or unpinned it.")


class SavedUpdatedOut(_Out):
    """Protocol 3 (issue 32): you saved a message for later, or took it off your list.
    Sent to your own sockets only (your other devices), never stored or replayed; a
    socket that missed it reads `GET saved` again."""

    type: Literal["saved.updated"]
    message_id: int
    saved: bool


class AckOut(_Out):
    type: Literal["ack"]
    client_id: str
    room: int
    id: int
    seq: int
    duplicate: bool


class DoneOut(_Out):
    """Protocol 2, added later: an `edit`, `delete` or `react` frame was carried out (or changed nothing:
    the same text, a reaction already there). `client_id` is the frame's. What changed
    reaches every member, this socket included, as the usual event with its seq."""

    type: Literal["done"]
    client_id: str
    message_id: int


class GapOut(_Out):
    type: Literal["gap"]
    room: int
    after_seq: int
    until_seq: int


class TypingOut(_Out):
    type: Literal["typing"]
    room: int
    user: UserOut
    thread: int | None = Field(
        description="Protocol 3: typing in this thread (the root's id); null: in the room."
    )


class PresenceOut(_Out):
    """Two forms under one type (old clients ignore what they do not know): a room's online
    count (`room`, `online`), and, protocol 3, a person's presence (`user_id`, `state`,
    `status`), sent to every socket when it changes."""

    type: Literal["presence"]
    room: int | None = None
    online: int | None = None
    user_id: int | None = None
    state: PresenceState | None = None
    status: StatusOut | None = None


class ReadUpdatedOut(_Out):
    """Protocol 3: a member's read position in a room advanced. Ephemeral (no seq, never
    replayed); only between members who share read receipts, in rooms of at most
    READ_RECEIPTS_LIVE_MAX members."""

    type: Literal["read.updated"]
    room: int
    user_id: int
    last_read_seq: int


class UnreadOut(_Out):
    type: Literal["unread"]
    room: int
    count: int
    last_read_seq: int
    mention_count: int


class RoomFrame(_Out):
    type: Literal["room.created", "room.updated", "room.closed"]
    room: RoomPublicOut


class MemberFrame(_Out):
    type: Literal["member.joined", "member.left"]
    room: int
    user: UserOut
    member_count: int


class MemberUpdatedOut(_Out):
    """A member's standing in the room changed: muted (until `muted_until`, or until lifted
    when it is null) or unmuted. Sent to the room's members; no seq (like member.joined)."""

    type: Literal["member.updated"]
    room: int
    user: UserOut
    muted: bool
    muted_until: str | None


class NoticeOut(_Out):
    """An answer for one person only (a slash command's result, an unknown command): sent to
    the sender's sockets, never stored or replayed. `ref` is the `send`'s client_id."""

    type: Literal["notice"]
    room: int
    text: str
    level: Literal["info", "error"]
    ref: str | int | None


class UserUpdatedOut(_Out):
    """Protocol 2 (issue 17): someone changed their name or picture, or deleted their account."""

    type: Literal["user.updated"]
    user: UserOut


class ThreadStateOut(_Out):
    """Protocol 3: the viewer's own standing in a thread changed: followed or unfollowed (by the
    follow endpoints, or automatically by replying, being mentioned, or a first reply to
    one's message), or read (its read marker moved). Sent to that user's sockets only, no seq
    (like `unread`); a reconnecting client reads GET threads again instead."""

    type: Literal["thread.state"]
    room: int
    root: int = Field(description="The thread's root message id.")
    following: bool
    last_read_seq: int = Field(description="The viewer's read marker in the thread (0: none read).")
    unread_count: int = Field(description="Replies by others after the marker.")


class PongOut(_Out):
    type: Literal["pong"]


class PingOut(_Out):
    type: Literal["ping"]


class ErrorOut(_Out):
    type: Literal["error"]
    code: str
    message: str
    ref: str | int | None


ServerFrame = Annotated[
    HelloOut
    | MessageFrame
    | MessageUpdatedOut
    | MessageDeletedOut
    | ReactionFrame
    | MessagePinnedOut
    | SavedUpdatedOut
    | AckOut
    | DoneOut
    | GapOut
    | TypingOut
    | PresenceOut
    | ReadUpdatedOut
    | UnreadOut
    | RoomFrame
    | MemberFrame
    | MemberUpdatedOut
    | NoticeOut
    | UserUpdatedOut
    | ThreadStateOut
    | PongOut
    | PingOut
    | ErrorOut,
    Field(discriminator="type"),
]
server_frame_adapter: TypeAdapter[Any] = TypeAdapter(ServerFrame)


def encode(frame: dict[str, Any]) -> str:
    """The one place frames become text: compact separators, UTF-8 kept as is."""
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


def error(code: str, message: str, ref: str | int | None = None) -> str:
    # ASCII-escaped: `message` and `ref` may quote client input, lone surrogates included.
    return json.dumps({"type": "error", "code": code, "message": message, "ref": ref}, separators=(",", ":"))


PONG = encode({"type": "pong"})
PING = encode({"type": "ping"})

# --- builders: the only code that makes server frames ------------------------------------
# `user`, `message` and `room` are the dicts of UserOut, MessageOut and RoomPublicOut.


def hello(*, user: dict[str, Any], rooms: list[dict[str, Any]]) -> str:
    return encode({"type": "hello", "protocol": PROTOCOL_VERSION, "user": user, "rooms": rooms})


def message(*, room: int, seq: int, message: dict[str, Any]) -> str:
    return encode({"type": "message", "room": room, "seq": seq, "message": message})


def message_updated(*, room: int, seq: int, message: dict[str, Any]) -> str:
    return encode({"type": "message.updated", "room": room, "seq": seq, "message": message})


def message_deleted(*, room: int, seq: int, id: int) -> str:
    return encode({"type": "message.deleted", "room": room, "seq": seq, "id": id})


def reaction(
    *, room: int, seq: int, message_id: int, emoji: str, user: dict[str, Any], op: Literal["add", "remove"]
) -> str:
    return encode(
        {
            "type": "reaction",
            "room": room,
            "seq": seq,
            "message_id": message_id,
            "emoji": emoji,
            "user": user,
            "op": op,
        }
    )


def message_pinned(*, room: int, seq: int, message_id: int, pinned: bool, by: dict[str, Any]) -> str:
    return encode(
        {
            "type": "message.pinned",
            "room": room,
            "seq": seq,
            "message_id": message_id,
            "pinned": pinned,
            "by": by,
        }
    )


def saved_updated(*, message_id: int, saved: bool) -> str:
    return encode({"type": "saved.updated", "message_id": message_id, "saved": saved})


def ack(*, client_id: str, room: int, id: int, seq: int, duplicate: bool) -> str:
    return encode(
        {"type": "ack", "client_id": client_id, "room": room, "id": id, "seq": seq, "duplicate": duplicate}
    )


def done(*, client_id: str, message_id: int) -> str:
    return encode({"type": "done", "client_id": client_id, "message_id": message_id})


def gap(*, room: int, after_seq: int, until_seq: int) -> str:
    return encode({"type": "gap", "room": room, "after_seq": after_seq, "until_seq": until_seq})


def typing(*, room: int, user: dict[str, Any], thread: int | None = None) -> str:
    return encode({"type": "typing", "room": room, "user": user, "thread": thread})


def presence(*, room: int, online: int) -> str:
    return encode({"type": "presence", "room": room, "online": online})


def person_presence(*, presence: dict[str, Any]) -> str:
    """A `presence` frame of one person; `presence` is a `UserPresenceOut` dict."""
    return encode({"type": "presence", **presence})


def read_updated(*, room: int, user_id: int, last_read_seq: int) -> str:
    return encode({"type": "read.updated", "room": room, "user_id": user_id, "last_read_seq": last_read_seq})


def unread(*, room: int, count: int, last_read_seq: int, mention_count: int) -> str:
    return encode(
        {
            "type": "unread",
            "room": room,
            "count": count,
            "last_read_seq": last_read_seq,
            "mention_count": mention_count,
        }
    )


def room_changed(
    kind: Literal["room.created", "room.updated", "room.closed"], *, room: dict[str, Any]
) -> str:
    return encode({"type": kind, "room": room})


def member_changed(
    kind: Literal["member.joined", "member.left"], *, room: int, user: dict[str, Any], member_count: int
) -> str:
    return encode({"type": kind, "room": room, "user": user, "member_count": member_count})


def member_updated(*, room: int, user: dict[str, Any], muted: bool, muted_until: str | None) -> str:
    return encode(
        {"type": "member.updated", "room": room, "user": user, "muted": muted, "muted_until": muted_until}
    )


def notice(*, room: int, text: str, level: Literal["info", "error"], ref: str | int | None) -> str:
    return encode({"type": "notice", "room": room, "text": text, "level": level, "ref": ref})


def user_updated(*, user: dict[str, Any]) -> str:
    return encode({"type": "user.updated", "user": user})


def thread_state(*, room: int, root: int, following: bool, last_read_seq: int, unread_count: int) -> str:
    return encode(
        {
            "type": "thread.state",
            "room": room,
            "root": root,
            "following": following,
            "last_read_seq": last_read_seq,
            "unread_count": unread_count,
        }
    )


# --- the compact form (issue 34) ---------------------------------------------------------
# A socket opened with `?wire=compact` gets its `message` and `message.updated` frames in
# these shapes (`parley.realtime.compact` makes them from the full frames): a field that is
# not `required` and absent holds its `default`, or, where it has none, what its description
# says. Each model names the full shape it abbreviates (`x-compact-of`); expanded, a compact
# frame is exactly the full one (docs/protocol.md, "Compact frames").

COMPACT_OF = "x-compact-of"


def _compact_schema(schema: dict[str, Any], cls: type[BaseModel]) -> None:
    for field in schema.get("properties", {}).values():
        field.pop("title", None)
    schema[COMPACT_OF] = f"#/$defs/{cls.compact_of}"  # type: ignore[attr-defined]


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _absent(meaning: str) -> Any:
    """A field a compact frame may leave out without a constant default: absent, it means
    `meaning` (the field's JSON Schema has no `default`, only this description)."""
    return Field(default=None, description=f"Absent: {meaning}.", json_schema_extra=_no_default)


class _Compact(_Out):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_compact_schema)
    compact_of: ClassVar[str]


class UserCompactOut(_Compact):
    """A `UserOut`; a user named earlier in the same frame (the sender, then the reply's
    sender, then the thread's participants in order) and equal to it is `{id}` alone."""

    compact_of = "UserOut"
    id: int
    username: str = _absent("only in a repeat: the user named earlier in this frame with this `id`")
    display_name: str = _absent("the `username` (in a repeat: the earlier one's)")
    avatar: str = _absent("only in a repeat: the user named earlier in this frame with this `id`")
    is_guest: bool = False
    is_bot: bool = False


class ReplyCompactOut(_Compact):
    compact_of = "ReplyOut"
    id: int
    seq: int
    sender: UserCompactOut
    excerpt: str
    deleted: bool = False


class AttachmentCompactOut(_Compact):
    compact_of = "AttachmentOut"
    id: int
    url: str
    name: str
    size: int
    content_type: str
    width: int | None = None
    height: int | None = None
    thumbnail_url: str | None = None


class PreviewCompactOut(_Compact):
    compact_of = "PreviewOut"
    url: str
    title: str
    description: str = ""
    image_url: str | None = None
    site_name: str


class ThreadSummaryCompactOut(_Compact):
    compact_of = "ThreadSummaryOut"
    reply_count: int
    last_reply_at: Timestamp
    last_reply_seq: int
    participants: list[UserCompactOut]
    following: bool | None = None


class MessageCompactOut(_Compact):
    compact_of = "MessageOut"
    id: int
    room: int = _absent("the frame's `room`")
    seq: int = _absent("the frame's `seq`")
    sender: UserCompactOut
    body: str = ""
    created_at: Timestamp
    edited_at: Timestamp | None = None
    client_id: str = ""
    deleted: bool = False
    reply_to: ReplyCompactOut | None = None
    mentions: list[int] = []
    mentions_room: bool = False
    reactions: list[ReactionOut] = []
    attachments: list[AttachmentCompactOut] = []
    previews: list[PreviewCompactOut] = []
    thread: int | None = None
    also_to_room: bool = False
    thread_summary: ThreadSummaryCompactOut | None = None
    scheduled_for: Timestamp | None = None


class MessageCompactFrame(_Compact):
    compact_of = "MessageFrame"
    type: Literal["message"]
    room: int
    seq: int
    message: MessageCompactOut


class MessageUpdatedCompactOut(_Compact):
    compact_of = "MessageUpdatedOut"
    type: Literal["message.updated"]
    room: int
    seq: int
    message: MessageCompactOut


CompactServerFrame = Annotated[MessageCompactFrame | MessageUpdatedCompactOut, Field(discriminator="type")]
compact_frame_adapter: TypeAdapter[Any] = TypeAdapter(CompactServerFrame)
COMPACT_TYPES = frozenset(("message", "message.updated"))


def validate_server_frame(frame: dict[str, Any], *, compact: bool = False) -> None:
    """Check a received frame against the protocol (tests): a compact socket's message
    frames against their compact models, every other frame against `ServerFrame`."""
    if compact and frame.get("type") in COMPACT_TYPES:
        compact_frame_adapter.validate_python(frame)
    else:
        server_frame_adapter.validate_python(frame)
