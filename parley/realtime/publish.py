"""What services call to tell sockets that something happened.

Every function defers to `transaction.on_commit`, so an event never reaches a
socket before the row it describes is visible to a catch-up query, and a
rolled-back write publishes nothing. Only services call these; they pass frame
text made by the builders in `protocol`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.db import transaction

from parley.realtime import runtime


def _send(kind: str, target: int, arg: str | int, payload: str) -> None:
    transaction.on_commit(lambda: runtime.current().publisher.publish(kind, target, arg, payload))


def room_event(*, room_id: int, seq: int, frame: str) -> None:
    """A logged event (it has a seq): delivered in seq order, replayable from the database."""
    _send("r", room_id, seq, frame)


def room_frame(*, room_id: int, frame: str) -> None:
    """An unlogged frame for the room's members (member changes, private rooms' updates)."""
    _send("e", room_id, 0, frame)


def lobby_frame(*, frame: str) -> None:
    """A frame for every connected socket (public rooms' lobby events)."""
    _send("l", 0, 0, frame)


def user_frame(*, user_id: int, frame: str) -> None:
    _send("u", user_id, 0, frame)


def user_joined_room(*, user_id: int, room_id: int, last_seq: int, frame: str | None) -> None:
    """Start delivering a room to the user's open sockets, from `last_seq` on."""
    _send("j", user_id, f"{room_id}:{last_seq}", frame or "")


def user_left_room(*, user_id: int, room_id: int, frame: str | None) -> None:
    """Stop delivering a room to the user's sockets at once (after telling them why)."""
    _send("x", user_id, room_id, frame or "")


def user_close(*, user_id: int, auth_ids: Iterable[str] | None, reason: str, code: int = 4003) -> None:
    """Close the user's sockets: those opened with `auth_ids`, or all when None. `code` 4003 says
    "signed out"; 4001 says "your logins changed: reconnect", and only a login that still holds
    gets back in (a password change keeps the login that made it)."""
    payload = json.dumps(
        {"auth_ids": list(auth_ids) if auth_ids is not None else None, "reason": reason, "code": code}
    )
    _send("c", user_id, 0, payload)
