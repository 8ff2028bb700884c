"""The compact wire form (issue 34): message frames without the fields that hold their default.

A socket opened with `?wire=compact` receives its `message` and `message.updated` frames
with every field left out whose value the client can restore: null, an empty list, false,
an empty string, the frame's own `room` and `seq` repeated inside the message, a user's
`display_name` equal to the username, and a user named twice in one frame. docs/protocol.md
("Compact frames") states each rule as "absent means <default>"; `expand` is the exact
inverse, and the web client's `expandFrame` (frontend/src/realtime/compact.ts) is the same
function in TypeScript (a shared fixture keeps the two equal).

Why derived from the full text rather than built by the services: frames are published and
logged once, in the full form every existing client reads; a process makes the compact text
of an event at most once, on first use by a compact socket (`Outgoing.compact`), and replays
read through the same bounded cache, so a resume storm of compact sockets compacts each
logged event once per process, not once per socket. Any other frame, or one that does not
parse, is sent as it is: a compact client reads a full frame just as well.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from parley.realtime.protocol import encode

# The query parameter value a client asks for the compact form with (`/ws/?wire=compact`).
WIRE_COMPACT = "compact"

# The frames that carry a message; only these have a compact form.
MESSAGE_TYPES = ("message", "message.updated")
# A cheap test before any parsing: the builders write `type` first (`protocol.message`).
_PREFIXES = tuple(f'{{"type":"{kind}",' for kind in MESSAGE_TYPES)

# A message's fields left out when they hold this value (and restored from it).
MESSAGE_DEFAULTS: dict[str, Any] = {
    "body": "",
    "edited_at": None,
    "client_id": "",
    "deleted": False,
    "reply_to": None,
    "mentions": [],
    "mentions_room": False,
    "reactions": [],
    "attachments": [],
    "previews": [],
    "thread": None,
    "also_to_room": False,
    "thread_summary": None,
    "scheduled_for": None,
}
USER_DEFAULTS: dict[str, Any] = {"is_guest": False, "is_bot": False}
REPLY_DEFAULTS: dict[str, Any] = {"deleted": False}
SUMMARY_DEFAULTS: dict[str, Any] = {"following": None}
ATTACHMENT_DEFAULTS: dict[str, Any] = {"width": None, "height": None, "thumbnail_url": None}
PREVIEW_DEFAULTS: dict[str, Any] = {"description": "", "image_url": None}

# How many compact texts a process keeps for replays (each ~0.2-1 KB beside its full text).
CACHE_SIZE = 2048


def _drop(obj: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """`obj` without the fields that hold their default (type-exact: 0 is not false)."""
    return {
        key: value
        for key, value in obj.items()
        if not (key in defaults and value == defaults[key] and type(value) is type(defaults[key]))
    }


def _fill(obj: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    out = dict(obj)
    for key, value in defaults.items():
        if key not in out:
            out[key] = [] if value == [] else value
    return out


class _Users:
    """The users of one frame, in the order both directions read them (sender, the reply's
    sender, the thread's participants): a user equal to one named before is written `{id}`."""

    def __init__(self) -> None:
        self.seen: dict[int, dict[str, Any]] = {}

    def compact(self, user: Any) -> Any:
        if not isinstance(user, dict) or not isinstance(user.get("id"), int):
            return user
        before = self.seen.get(user["id"])
        if before == user:
            return {"id": user["id"]}
        self.seen.setdefault(user["id"], user)
        out = _drop(user, USER_DEFAULTS)
        if out.get("display_name") == out.get("username") and "username" in out:
            del out["display_name"]
        return out

    def expand(self, user: Any) -> Any:
        if not isinstance(user, dict) or not isinstance(user.get("id"), int):
            return user
        if len(user) == 1 and user["id"] in self.seen:
            return dict(self.seen[user["id"]])
        out = _fill(user, USER_DEFAULTS)
        if "display_name" not in out and "username" in out:
            out["display_name"] = out["username"]
        self.seen.setdefault(out["id"], out)
        return out


def compact_message(message: dict[str, Any], room: Any, seq: Any) -> dict[str, Any]:
    """A message (`MessageOut` dict) in its compact form, for a frame of `room` and `seq`."""
    users = _Users()
    out = _drop(message, MESSAGE_DEFAULTS)
    for key, value in (("room", room), ("seq", seq)):
        if key in out and out[key] == value and type(out[key]) is type(value):
            del out[key]
    if "sender" in out:
        out["sender"] = users.compact(out["sender"])
    reply = out.get("reply_to")
    if isinstance(reply, dict):
        reply = _drop(reply, REPLY_DEFAULTS)
        if "sender" in reply:
            reply["sender"] = users.compact(reply["sender"])
        out["reply_to"] = reply
    summary = out.get("thread_summary")
    if isinstance(summary, dict):
        summary = _drop(summary, SUMMARY_DEFAULTS)
        if isinstance(summary.get("participants"), list):
            summary["participants"] = [users.compact(user) for user in summary["participants"]]
        out["thread_summary"] = summary
    if isinstance(out.get("attachments"), list):
        out["attachments"] = [
            _drop(a, ATTACHMENT_DEFAULTS) if isinstance(a, dict) else a for a in out["attachments"]
        ]
    if isinstance(out.get("previews"), list):
        out["previews"] = [_drop(p, PREVIEW_DEFAULTS) if isinstance(p, dict) else p for p in out["previews"]]
    return out


def expand_message(message: dict[str, Any], room: Any, seq: Any) -> dict[str, Any]:
    """The inverse of `compact_message`: the full `MessageOut` dict (field order aside)."""
    users = _Users()
    out = _fill(message, MESSAGE_DEFAULTS)
    out.setdefault("room", room)
    out.setdefault("seq", seq)
    if "sender" in out:
        out["sender"] = users.expand(out["sender"])
    reply = out.get("reply_to")
    if isinstance(reply, dict):
        reply = _fill(reply, REPLY_DEFAULTS)
        if "sender" in reply:
            reply["sender"] = users.expand(reply["sender"])
        out["reply_to"] = reply
    summary = out.get("thread_summary")
    if isinstance(summary, dict):
        summary = _fill(summary, SUMMARY_DEFAULTS)
        if isinstance(summary.get("participants"), list):
            summary["participants"] = [users.expand(user) for user in summary["participants"]]
        out["thread_summary"] = summary
    out["attachments"] = [
        _fill(a, ATTACHMENT_DEFAULTS) if isinstance(a, dict) else a for a in out["attachments"]
    ]
    out["previews"] = [_fill(p, PREVIEW_DEFAULTS) if isinstance(p, dict) else p for p in out["previews"]]
    return out


def compact_text(text: str) -> str:
    """The compact text of a frame: a message frame compacted, any other frame as it is
    (the very same string object: callers test `is`)."""
    if not text.startswith(_PREFIXES):
        return text
    return _compact_message_text(text)


@lru_cache(maxsize=CACHE_SIZE)
def _compact_message_text(text: str) -> str:
    """Cached by the frame's text: a replayed event (a new string read from the log) finds the
    compact text made for the live delivery, or for another socket's replay, of the same event."""
    try:
        frame = json.loads(text)
        message = frame["message"]
        if not isinstance(message, dict):
            return text
        frame["message"] = compact_message(message, frame.get("room"), frame.get("seq"))
    except (ValueError, KeyError, TypeError):
        return text
    return encode(frame)


def expand(frame: dict[str, Any]) -> dict[str, Any]:
    """A received frame in its full form: what a compact client restores (tests, the bench)."""
    if frame.get("type") not in MESSAGE_TYPES or not isinstance(frame.get("message"), dict):
        return frame
    return {**frame, "message": expand_message(frame["message"], frame.get("room"), frame.get("seq"))}
