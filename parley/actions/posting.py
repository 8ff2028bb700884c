"""Posting to a room: a message, or a slash command (or a webhook's trigger) when the body
starts with `/` or `!` (docs/bots.md). The one route both the REST send and the
WebSocket `send` take.

`post` checks the request and chooses; the transport says how each kind runs, because
the two differ in how, not in what: a REST request stores a message and runs a command
now (`store_now`, `command_now`); a socket hands a message to its process's send batcher
and a command to a database thread (parley/ws/consumer.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from django.utils.translation import gettext_lazy as _

from parley.accounts.models import User
from parley.bots import services as bots
from parley.common.errors import Invalid
from parley.messaging import services as messaging

COMMAND_PREFIXES = ("/", "!")

T = TypeVar("T")


@dataclass(frozen=True)
class Command:
    """A body for the bots: a command, its escape (`//`), or a webhook's trigger."""

    user: User
    room_id: int
    body: str
    client_id: str | None
    reply_to: int | None
    thread: int | None = None  # protocol 3: the thread it was called in (bots answer there)

    def run(self) -> bots.CommandOutcome:
        return bots.command_run(
            user=self.user,
            room_id=self.room_id,
            body=self.body,
            client_id=self.client_id,
            reply_to=self.reply_to,
            thread=self.thread,
        )


def post(
    *,
    sender: User,
    room_id: int,
    body: str,
    client_id: str | None = None,
    reply_to: int | None = None,
    attachments: Sequence[int] | None = None,
    thread: int | None = None,
    also_to_room: bool = False,
    scheduled_for: datetime | None = None,
    store: Callable[[int, messaging.SendRequest], T],
    command: Callable[[Command], T],
) -> T:
    """Route one post: a command goes to `command` (it carries no files); a message is
    checked (body, attachments, thread) and goes to `store` as a send request. A refusal
    found here is raised before either runs. `thread` (protocol 3) names the thread the
    message replies in; the store checks it, as it checks `reply_to`. `scheduled_for` is a
    scheduled message's intended time (parley.actions.scheduling), kept on the message."""
    messaging.check_thread(thread, also_to_room)
    if body[:1] in COMMAND_PREFIXES:
        messaging.check_command_attachments(attachments)
        return command(Command(sender, room_id, body, client_id, reply_to, thread))
    ids = messaging.clean_attachments(attachments)
    body = messaging.clean_body(body, attachments=ids)
    request = messaging.SendRequest(
        sender,
        body,
        client_id or uuid.uuid4().hex,
        reply_to,
        ids,
        thread,
        also_to_room,
        scheduled_for=scheduled_for,
    )
    return store(room_id, request)


Posted = messaging.SendResult | bots.CommandOutcome


def store_now(room_id: int, request: messaging.SendRequest) -> Posted:
    return messaging.message_store(room_id=room_id, request=request)


def command_now(command: Command) -> Posted:
    return command.run()


def no_command(command: Command) -> Posted:
    """For a scheduled message, which is stored as text and never runs a command (its body
    was refused at scheduling if it started with / or !)."""
    raise Invalid(_("Commands cannot be scheduled."), code="scheduled_command")
