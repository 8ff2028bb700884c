"""The one WebSocket endpoint. Thin: parse a frame, authorize, call a service, answer."""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from parley.accounts import twofactor
from parley.accounts.serializers import user_data
from parley.actions import posting
from parley.bots.services import CommandOutcome
from parley.common import replica
from parley.common.errors import ServiceError
from parley.common.i18n import Text, interpolate, socket_language
from parley.messaging import services as messaging
from parley.messaging import unread
from parley.messaging.services import SendResult
from parley.realtime import protocol
from parley.realtime.compact import WIRE_COMPACT
from parley.realtime.connection import CLOSE_TOO_MANY, Connection
from parley.realtime.internals import LeanConsumerLoop, RawWriter
from parley.realtime.limits import SendRefused
from parley.realtime.runtime import Runtime
from parley.rooms import selectors as rooms

log = logging.getLogger(__name__)


def _db(func: Any) -> Any:
    # Not thread-sensitive: sockets' database work runs on the loop's pool in parallel.
    return database_sync_to_async(func, thread_sensitive=False)


member_room_ids = _db(rooms.member_room_ids)
hello_rooms = _db(unread.hello_rooms)
mark_read = _db(messaging.room_mark_read)
note_write = _db(replica.note_write)
_enrolment_missing = _db(twofactor.enrolment_missing)


async def wrote(user_id: int) -> None:
    """A write of this person committed: before it is acknowledged, their replica reads are
    told to wait for it (parley/common/replica.py; nothing without DATABASE_REPLICA_URL)."""
    if replica.enabled():
        await note_write(user_id)


def _allowed_then(limits: Any, user_id: int, call: Any, /, *args: Any, **kwargs: Any) -> Any:
    """The send allowance's shared check (the batcher makes it for plain sends; every other
    write that takes a seq shares it, as over REST), then `call`, in a database thread."""
    if not limits.confirm_sends_sync([user_id])[0]:
        raise SendRefused()
    return call(*args, **kwargs)


def _ack(result: SendResult) -> str:
    """The `ack` of a stored message (new, or the one a retry finds): built here only."""
    msg = result.message
    return protocol.ack(
        client_id=msg.client_id, room=msg.room_id, id=msg.pk, seq=msg.seq, duplicate=not result.created
    )


allowed_then = _db(_allowed_then)

ABUSE_WINDOW = 60.0
ABUSE_LIMIT = 50


class ChatConsumer(LeanConsumerLoop, AsyncWebsocketConsumer):
    """One socket. Everything per process (hub, limits, presence, the send batcher) comes
    from the runtime the application put in the scope. Its loop is `LeanConsumerLoop`
    (parley.realtime.internals): no task per socket, no thread hop per frame."""

    conn: Connection | None = None
    counted = False  # this socket holds one of the user's socket slots
    # Made on first use: most sockets never send a bad frame or type (an idle socket's
    # bytes are multiplied by every open connection).
    errors: list[float] | None = None
    typing_at: dict[tuple[int, int | None], float] | None = None

    async def connect(self) -> None:
        """Called when a WebSocket connection is opened: authenticate, register, say hello."""
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close()  # before accept: the handshake is refused (HTTP 403)
            return
        if twofactor.required_for(user) and await _enrolment_missing(user):
            await self.close()  # REQUIRE_2FA and no second factor yet: REST says why (403)
            return
        self.user = user
        self.user_json = user_data(user)
        headers = dict(self.scope.get("headers") or [])
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.language = socket_language(
            query,
            user,
            headers.get(b"accept-language", b"").decode("latin-1"),
        )
        self.runtime: Runtime = self.scope["parley.runtime"]
        hub = self.runtime.hub
        if not await self.runtime.limits.socket_acquire(user.pk):
            await self.accept()
            await self.close(CLOSE_TOO_MANY)
            return
        self.counted = True
        conn = Connection(
            hub=hub,
            user_id=user.pk,
            auth_id=self.scope.get("auth_id", ""),
            rooms=set(await member_room_ids(user_id=user.pk)),
            send=self._send_text,
            close=self._close_with,
            raw=RawWriter.for_send(self.scope.get("parley.raw_send"), self.scope),
            language=self.language,
            # Chosen once, at connect: every frame of the socket is read the same way.
            compact=query.get("wire", [""])[-1] == WIRE_COMPACT,
        )
        await hub.attach(conn)
        self.conn = conn
        snapshot = await hello_rooms(user_id=user.pk)
        await self.accept()
        await self.send(text_data=protocol.hello(user=self.user_json, rooms=snapshot))
        heads = {room["id"]: room["last_seq"] for room in snapshot}
        for room in list(conn.rooms):
            if room not in heads:  # left between the two reads
                await conn.leave_room(room, None)
        for room, head in heads.items():
            if room not in conn.rooms:  # joined between the two reads
                await conn.join_room(room, head, None)
            conn.last[room] = head
            hub.note_head(room, head)
            conn.release(room)
        conn.start_writer()
        await self.runtime.presence.connected(user.pk, set(conn.rooms))

    async def disconnect(self, code: int) -> None:
        """Called when the socket closes, whoever closed it."""
        if self.counted:
            self.counted = False
            await self.runtime.limits.socket_release(self.user.pk)
        conn = self.conn
        if conn is None:
            return
        self.conn = None
        conn.stop()
        await conn.hub.detach(conn)
        await self.runtime.presence.disconnected(conn.user_id, set(conn.rooms))

    def _error(self, code: str, message: Text, ref: str | int | None = None) -> str:
        """An error frame in the socket's language. Only refusals pay for the switch (a
        context-local activation, so other sockets on this loop are not affected); the
        frames that deliver messages are never translated."""
        with translation.override(self.language):
            return protocol.error(code, str(message), ref)

    def _service_error(self, exc: ServiceError | SendRefused, ref: str | int | None) -> str:
        return self._error(exc.code, exc.message, ref)

    async def _send_text(self, text: str) -> None:
        await self.send(text_data=text)

    async def _close_with(self, code: int, reason: str = "") -> None:
        try:
            await self.close(code, reason=reason[:120] or None)
        except Exception:
            log.debug("close after disconnect", exc_info=True)

    # --- incoming frames ------------------------------------------------------------
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Called for every frame the client sends."""
        conn = self.conn
        if conn is None or conn.closed:
            return
        conn.heard()  # any frame, even a bad one, answers the keepalive
        if text_data is None:
            await self._refuse(
                conn, "invalid", _("Binary frames are not part of the protocol; send JSON text.")
            )
            return
        limit = self.runtime.config.max_frame
        # The limit is in bytes; only frames that could exceed it are encoded to check.
        if len(text_data) > limit or (
            len(text_data) * 4 > limit and len(text_data.encode("utf-8", "surrogatepass")) > limit
        ):
            await self._refuse(
                conn, "too_large", interpolate(_("Frames are limited to %(count)s bytes."), {"count": limit})
            )
            return
        try:
            frame = protocol.parse_client_frame(text_data)
        except protocol.FrameError as exc:
            await self._refuse(conn, exc.code, exc.message, exc.ref)
            return
        handler = getattr(self, "on_" + frame.type)
        await handler(conn, frame)

    async def _refuse(self, conn: Connection, code: str, message: Text, ref: str | int | None = None) -> None:
        """Answer a bad frame; a peer that keeps sending them is disconnected."""
        conn.push_text(self._error(code, message, ref))
        now = time.monotonic()
        self.errors = [t for t in self.errors or () if now - t < ABUSE_WINDOW]
        self.errors.append(now)
        if len(self.errors) > ABUSE_LIMIT:
            conn.terminate(1008, "too many bad frames")

    async def on_ping(self, conn: Connection, frame: protocol.PingIn) -> None:
        """Clients before the one keepalive pinged the server themselves: still answered."""
        conn.push_text(protocol.PONG)

    async def on_pong(self, conn: Connection, frame: protocol.PongIn) -> None:
        """The answer to the server's `ping`; `receive` has already noted the peer alive."""
        return None

    async def on_send(self, conn: Connection, frame: protocol.SendIn) -> None:
        await self.runtime.presence.activity(conn.user_id)
        if not self.runtime.limits.admit_send(conn.user_id):
            conn.push_text(self._error(SendRefused.code, SendRefused.message, frame.client_id))
            return
        try:
            posted = await posting.post(
                sender=self.user,
                room_id=frame.room,
                body=frame.body,
                client_id=frame.client_id,
                reply_to=frame.reply_to,
                attachments=frame.attachments,
                thread=frame.thread,
                also_to_room=frame.also_to_room,
                store=lambda room, request: self.runtime.sends.send(room, request, user_id=conn.user_id),
                command=lambda command: self._command(conn, command),
            )
        except (ServiceError, SendRefused) as exc:
            conn.push_text(self._service_error(exc, frame.client_id))
            return
        except Exception:
            log.exception("send failed")
            conn.push_text(
                self._error("server_error", _("The message was not stored; try again."), frame.client_id)
            )
            return
        await wrote(conn.user_id)
        if isinstance(posted, SendResult):
            conn.push_text(_ack(posted))
            return
        if posted is None:  # the command failed; this socket was told
            return
        if posted.result is not None:
            conn.push_text(_ack(posted.result))
        if posted.notice:
            conn.push_text(
                protocol.notice(room=frame.room, text=posted.notice, level=posted.level, ref=frame.client_id)
            )

    async def _command(self, conn: Connection, command: posting.Command) -> CommandOutcome | None:
        """A slash command (or a webhook trigger): off the send batcher, on a database thread
        after the send allowance's check. None when it failed unexpectedly (this socket is
        told here, with the command's own wording)."""
        try:
            # Commands answer with notices built where they run: in the socket's language
            # (the thread the command runs on gets a copy of this context).
            with translation.override(self.language):
                outcome: CommandOutcome = await allowed_then(
                    self.runtime.limits, conn.user_id, posting.Command.run, command
                )
        except (ServiceError, SendRefused):
            raise
        except Exception:
            log.exception("command failed")
            conn.push_text(
                self._error("server_error", _("The command failed; try again."), command.client_id)
            )
            return None
        return outcome

    # Edits, deletions and reactions: REST's, without an HTTP request per change. What changed
    # reaches the room (this socket too) as the logged event; this socket also gets `done`.

    async def on_edit(self, conn: Connection, frame: protocol.EditIn) -> None:
        await self._change(conn, frame, messaging.message_edit, body=frame.body, reactions=False)

    async def on_delete(self, conn: Connection, frame: protocol.DeleteIn) -> None:
        await self._change(conn, frame, messaging.message_delete)

    async def on_react(self, conn: Connection, frame: protocol.ReactIn) -> None:
        await self._change(conn, frame, messaging.reaction_change, emoji=frame.emoji, op=frame.op)

    async def _change(
        self,
        conn: Connection,
        frame: protocol.EditIn | protocol.DeleteIn | protocol.ReactIn,
        change: Any,
        **kwargs: Any,
    ) -> None:
        await self.runtime.presence.activity(conn.user_id)
        if not self.runtime.limits.admit_send(conn.user_id):
            conn.push_text(self._error(SendRefused.code, SendRefused.message, frame.client_id))
            return
        try:
            await allowed_then(
                self.runtime.limits, conn.user_id, change, actor=self.user, message_id=frame.message, **kwargs
            )
        except (ServiceError, SendRefused) as exc:
            conn.push_text(self._service_error(exc, frame.client_id))
            return
        except Exception:
            log.exception("%s failed", frame.type)
            conn.push_text(
                self._error("server_error", _("The change was not saved; try again."), frame.client_id)
            )
            return
        await wrote(conn.user_id)
        conn.push_text(protocol.done(client_id=frame.client_id, message_id=frame.message))

    async def on_resume(self, conn: Connection, frame: protocol.ResumeIn) -> None:
        """Replay each named room the user is in. Rooms they are not in get ONE error for the
        whole frame (ref = the lowest such id), counted as a bad frame: one small frame
        naming a thousand strangers' rooms must not buy a thousand answers."""
        unknown: list[int] = []
        for key, last in frame.rooms.items():
            room = int(key)
            if room not in conn.rooms:
                unknown.append(room)
                continue
            await conn.catch_up(room, after=last)
        if unknown:
            message = ngettext_lazy(
                "You named %(count)s room you are not a member of.",
                "You named %(count)s rooms you are not a member of.",
                "count",
            )
            text = interpolate(message, {"count": len(unknown)})
            await self._refuse(conn, "not_member", text, min(unknown))

    async def on_read(self, conn: Connection, frame: protocol.ReadIn) -> None:
        await self.runtime.presence.activity(conn.user_id)
        try:
            await mark_read(user=self.user, room_id=frame.room, seq=frame.seq)
        except ServiceError as exc:
            conn.push_text(self._service_error(exc, frame.room))
            return
        await wrote(conn.user_id)

    async def on_typing(self, conn: Connection, frame: protocol.TypingIn) -> None:
        if frame.room not in conn.rooms:
            conn.push_text(self._error("not_member", _("You are not a member of this room."), frame.room))
            return
        await self.runtime.presence.activity(conn.user_id)
        now = time.monotonic()
        typing_at = self.typing_at
        if typing_at is None:
            typing_at = self.typing_at = {}
        where = (frame.room, frame.thread)  # the room's composer and each thread's are apart
        if now - typing_at.get(where, 0.0) < 2.0:
            return
        typing_at[where] = now
        await self.runtime.publisher.room_frame(
            frame.room, protocol.typing(room=frame.room, user=self.user_json, thread=frame.thread)
        )
