"""The shapes the server sends, each declared once: REST answers and WebSocket frames alike.

A message, a user, an attachment... is named here and nowhere else. The frames in
`protocol.py` nest these models; the REST views answer with the same JSON (built by the
same function the frames use) and the OpenAPI schema refers to these models by name
(`parley.common.schema.ShapeField`, drf-spectacular's pydantic support), so
`docs/api/openapi.yaml`'s component and `protocol.schema.json`'s definition of a shape
are one JSON Schema and the web client gets one type for each.

The JSON itself is built by one plain function per shape in its app (`user_data`,
`attachment_data`, `message_data`, ...): once per event, encoded once for every
recipient, so no validation runs on the hot path. The test suite validates every frame
a socket receives, and every REST answer it checks, against these models
(`extra="forbid"`: an undeclared field is a schema bug).

Nothing of Parley is imported here (the realtime layer is below the apps).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


def _untitled(schema: dict[str, Any]) -> None:
    """Drop pydantic's per-field titles ("Client Id"): they name nothing, and a type
    generator would make a type of each."""
    for field in schema.get("properties", {}).values():
        field.pop("title", None)


class Shape(BaseModel):
    """A JSON object the server sends: every field declared, none coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_untitled)


# A moment, as DRF writes it: ISO 8601, "Z" for UTC (`timestamp` writes it).
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


def timestamp(value: datetime | None) -> str | None:
    """A `Timestamp` from an aware datetime, exactly as DRF's DateTimeField writes it."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class AttachmentOut(Shape):
    """An uploaded file: the upload answer (`POST rooms/{id}/uploads`) and each of a
    message's `attachments`."""

    id: int
    url: str = Field(description="Served only to members of the room (404 to anyone else).")
    name: str
    size: int = Field(description="Bytes.")
    content_type: str = Field(description="Sniffed from the content, not from the name.")
    width: int | None = Field(description="Images shown inline only; else null.")
    height: int | None
    thumbnail_url: str | None = Field(
        description="Null until the thumbnail is made (a `message.updated` follows) and for non-images."
    )


class PreviewOut(Shape):
    """A card for a link in a message (protocol 3), filled after the send by `message.updated`."""

    url: str = Field(description="The link as written in the body.")
    title: str
    description: str = Field(description="May be empty.")
    image_url: str | None = Field(
        description="The page's picture as Parley stored and serves it (never the remote address); "
        "null when it has none."
    )
    site_name: str = Field(description="og:site_name, else the host.")


class UserOut(Shape):
    """A user's public face: in every REST answer and frame that names someone."""

    id: int
    username: str
    display_name: str = Field(description="What clients show: the display name, else the username.")
    avatar: str = Field(description="The picture's address.")
    is_guest: bool
    is_bot: bool


PresenceState = Literal["online", "away", "dnd", "offline"]


class StatusOut(Shape):
    """A person's status (issue 30): one emoji and a short text, until `expires_at`. An expired
    status is never sent (null instead)."""

    emoji: str = Field(description="One emoji, or empty.")
    text: str = Field(description="At most 100 characters, or empty.")
    expires_at: Timestamp | None = Field(description="When it clears itself; null: until cleared.")


class UserPresenceOut(Shape):
    """Where a person is: in member lists, DM lists and the `presence` frame."""

    user_id: int
    state: PresenceState = Field(
        description='"offline": no socket; "dnd": do not disturb now; "away": set by hand, or no '
        "activity for AWAY_AFTER seconds; else online."
    )
    status: StatusOut | None


class SelfUserOut(UserOut):
    """The signed-in user's own record (`me`, sign-in answers): the public face plus what the
    client needs of its own account. REST only: frames reach everyone in a room."""

    is_staff: bool
    language: str
    time_zone: str
    status: StatusOut | None
    dnd_until: Timestamp | None = Field(description="Do not disturb until then (null: off).")
    away: bool = Field(description="Away set by hand (stays until cleared).")
    share_read_receipts: bool = Field(
        description="Off: others do not see your read position, and you do not see theirs."
    )
    push_hide_text: bool = Field(
        description="Push notifications say only 'New message': no sender, no text on the lock screen."
    )


class ReactionUserOut(Shape):
    id: int
    display_name: str


class ReactionOut(Shape):
    """One emoji's reactions on a message, from the viewer's side. Frames carry
    `reactions: []` (encoded once for everyone) and clients apply `reaction` events;
    the shape is REST's, so the client has one type for a message whichever way it came."""

    emoji: str
    count: int
    me: bool = Field(description="The viewer reacted with this emoji.")
    users: list[ReactionUserOut] = Field(
        description="Who reacted (the first 20, oldest first; `count` has them all)."
    )


class ReplyOut(Shape):
    """The message a reply answers."""

    id: int
    seq: int = Field(description="Its seq: `around_seq` loads the history around it.")
    sender: UserOut
    excerpt: str = Field(
        description="The start of its body when the reply was sent (empty once it is deleted)."
    )
    deleted: bool


class ThreadSummaryOut(Shape):
    """Protocol 3: a thread root's replies at a glance (null on a message nobody answered in
    a thread). Each reply updates it through the root's `message.updated`, coalesced per root
    (THREAD_SUMMARY_WINDOW: the first at once, the rest at the window's end); meanwhile
    clients count reply frames into the root they hold, by `last_reply_seq`."""

    reply_count: int = Field(description="Replies in the thread, deleted ones (tombstones) included.")
    last_reply_at: Timestamp
    last_reply_seq: int = Field(description="The seq of the newest reply (the thread's unread bound).")
    participants: list[UserOut] = Field(
        description="Up to 5 people who replied, the latest replier first (as they were named "
        "then: clients apply `user.updated` by id)."
    )
    following: bool | None = Field(
        description="The viewer follows the thread. REST answers say it for the viewer; frames go "
        "to everyone alike and carry null: keep the value you know (GET threads, the "
        "follow endpoints and the `thread.state` frame tell it)."
    )


class MessageOut(Shape):
    """A message: in REST answers (history, search, a send's answer) and in the `message`
    and `message.updated` frames alike."""

    id: int
    room: int
    seq: int = Field(description="Its place in the room's event log.")
    sender: UserOut
    body: str = Field(description="Plain text; empty once deleted (a tombstone).")
    created_at: Timestamp
    edited_at: Timestamp | None
    client_id: str = Field(
        description="The sender's id for it (a retry with the same one is the same message)."
    )
    deleted: bool
    reply_to: ReplyOut | None
    mentions: list[int] = Field(description="The ids of the users it mentions.")
    mentions_room: bool = Field(description="It mentions @room.")
    reactions: list[ReactionOut] = Field(description="From the viewer's side; always empty in frames.")
    # Frames logged before uploads existed lack it: clients read a missing list as empty.
    attachments: list[AttachmentOut]
    # Protocol 3; frames logged before it lack it: clients read a missing list as empty.
    previews: list[PreviewOut] = Field(
        description="Cards for the first links of the body, filled after the send through `message.updated`."
    )
    # Protocol 3 (threads). Frames logged before lack them: read a missing `thread` and
    # `thread_summary` as null and a missing `also_to_room` as false.
    thread: int | None = Field(
        description="The thread's root message id for a reply in a thread; null for anything "
        "else (a root included)."
    )
    also_to_room: bool = Field(
        description='A thread reply also shown in the room\'s flow ("also send to room"); '
        "false for anything else. Thread replies without it are not in the room's history."
    )
    thread_summary: ThreadSummaryOut | None = Field(
        description="On a thread root: its replies at a glance; null without replies."
    )
    # Frames logged before scheduled messages existed lack it: clients read it as null.
    scheduled_for: Timestamp | None = Field(
        default=None,
        description="When a scheduled message was meant to go out (null for one sent at once); "
        "clients show it when it went out late.",
    )


class RoomPublicOut(Shape):
    """A room as everyone who can see it sees it (no per-viewer fields): the `room.created`,
    `room.updated` and `room.closed` frames."""

    id: int
    name: str
    topic: str
    visibility: Literal["public", "private"]
    kind: Literal["room", "direct"] = Field(
        description='"direct" for a direct message (a private room of fixed people).'
    )
    owner: UserOut
    member_count: int
    online_count: int
    last_seq: int = Field(description="The head of the room's event log.")
    closed: bool
    created_at: Timestamp
    dm_members: list[UserOut] = Field(
        description="A direct message's members (its fixed set of people); empty for rooms. "
        "Clients name a DM by the other members' display names."
    )


class RetentionPolicyOut(Shape):
    """The server's retention: its default and the bounds a room's owner may choose within."""

    default_days: float | None = Field(
        description="Days the server keeps messages of rooms without their own setting; null = forever."
    )
    min_days: int
    max_days: int


class RoomOut(RoomPublicOut):
    """A room from one viewer's side (REST answers): adds membership, unread and mention counts."""

    is_member: bool
    unread_count: int
    mention_count: int = Field(
        description="Unread messages that mention you (or @room), counted like unread_count."
    )
    muted: bool = Field(description="You are muted in this room now.")
    muted_until: Timestamp | None = Field(
        description="When your mute ends; null when you are not muted or it lasts until lifted."
    )
    notify: Literal["all", "mentions", "nothing"] | None = Field(
        description="When you are notified of a new message here (null when not a member)."
    )
    hidden: bool = Field(description="A direct message you left: hidden until its next message.")
    last_read_seq: int | None = Field(
        description="Your read marker (null when not a member): the first unread message is the "
        "first after it; clients draw their 'New messages' line there."
    )
    members_can_invite: bool
    members_can_pin: bool = Field(
        description="Members (not only the owner and staff) may pin and unpin messages."
    )
    link_previews: bool = Field(
        description="Links in this room's new messages get preview cards (protocol 3; the owner sets it)."
    )
    dm_presence: list[UserPresenceOut] = Field(
        description="The presence of a direct message's members (`dm_members`); empty for rooms."
    )
    retention_days: int | None = Field(
        description="How many days the room keeps its messages (its owner's choice); null = the "
        "server's default (`retention_policy.default_days`)."
    )
    retention_policy: RetentionPolicyOut
