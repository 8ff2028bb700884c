"""One socket's delivery state: its rooms, the last seq it was given, its queue.

The hub calls `push`/`push_seq` synchronously on the event loop. A frame goes
straight to the transport when the socket can take it in order; otherwise it
waits in a bounded queue that a writer task drains, a task that exists only
while there is something to drain (an idle socket costs no task). A client
that stops reading fills its queue and is closed with 4008 (it resumes on
reconnect), so it can never hold a room up or grow the server's memory.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

from django.utils import translation
from django.utils.translation import gettext

from parley.realtime import protocol
from parley.realtime.compact import compact_text
from parley.realtime.config import RealtimeConfig
from parley.realtime.internals import RawWriter
from parley.realtime.outgoing import Outgoing

log = logging.getLogger(__name__)

CLOSE_SIGNED_OUT = 4003
CLOSE_TOO_SLOW = 4008
CLOSE_TOO_MANY = 4029


class ConnectionHub(Protocol):
    """What a connection asks of its process's hub (`hub.Hub`), named by what it does so
    that this module and the hub do not import each other."""

    config: RealtimeConfig
    corked: set[Connection] | None
    # (room, after seq, limit) -> the logged events after it, and the room's head
    fetch_events: Callable[[int, int, int], Awaitable[tuple[list[tuple[int, str]], int]]]

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None: ...

    async def detach(self, conn: Connection) -> None: ...

    async def room_add(self, conn: Connection, room_id: int) -> None: ...

    async def room_remove(self, conn: Connection, room_id: int) -> None: ...

    def note_head(self, room_id: int, seq: int) -> None: ...

    def catch_up_joined(self, room_id: int) -> None: ...


class Connection:
    # One per open socket, so its size is multiplied by every idle connection: slots
    # (no per-instance dict), and the queue and the lock exist only while in use.
    __slots__ = (
        "__weakref__",
        "_close",
        "_lock",
        "_send",
        "_writer",
        "auth_id",
        "close_code",
        "closed",
        "compact",
        "cork",
        "hub",
        "inflight",
        "language",
        "last",
        "queue",
        "queue_max",
        "quiet",
        "raw",
        "rooms",
        "started",
        "syncing",
        "user_id",
    )

    def __init__(
        self,
        *,
        hub: ConnectionHub,
        user_id: int,
        auth_id: str,
        rooms: set[int],
        send: Callable[[str], Awaitable[None]],
        close: Callable[[int, str], Coroutine[Any, Any, None]],
        raw: RawWriter | None = None,
        queue_max: int | None = None,
        language: str = "en",
        compact: bool = False,
    ):
        self.hub = hub
        # Asked for the compact form (`?wire=compact`): logged events go out as
        # `Outgoing.compact`, the shared compact encoding of each event.
        self.compact = compact
        # The socket's language (a code of settings.LANGUAGES): the texts of the error
        # frames this connection writes itself; the consumer writes the others.
        self.language = language
        self.user_id = user_id
        self.auth_id = auth_id
        self.rooms = set(rooms)
        self.last: dict[int, int] = {}
        # Rooms whose live events are held back while the database is read.
        self.syncing: dict[int, list[tuple[int, Outgoing]]] = {room: [] for room in rooms}
        self._send = send
        self._close = close
        self.raw = raw
        # Frames waiting for the writer task; None while nothing waits (the usual case:
        # an empty deque costs 600+ bytes, and an idle socket never needs one).
        self.queue: deque[Outgoing] | None = None
        self.queue_max = queue_max or hub.config.queue_max
        self.started = False  # nothing bypasses the queue before the hello frame is out
        self.inflight = False  # the writer holds a frame it has not written yet
        self.cork: list[bytes] = []
        self.closed = False
        self.close_code: int | None = None
        # Keepalive rounds (pings) since the peer last sent a frame: the hub's ping loop counts
        # up, every frame received resets it (`heard`).
        self.quiet = 0
        self._lock: asyncio.Lock | None = None  # serialises catch-ups; made by the first
        self._writer: asyncio.Task[None] | None = None

    def __hash__(self) -> int:
        return id(self)

    def heard(self) -> None:
        """The peer sent a frame (any frame): it is alive."""
        self.quiet = 0

    # --- outgoing ----------------------------------------------------------------
    def start_writer(self) -> None:
        """The hello frame is out: from now on frames may flow."""
        self.started = True
        if self.queue:
            self._drain_soon()

    def _drain_soon(self) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        queue, raw = self.queue, self.raw
        if queue is None:
            return
        while queue and not self.closed:
            item = queue.popleft()
            self.inflight = True
            try:
                if raw is not None:
                    await raw.wait_writable()
                    if not raw.ready():
                        self.closed = True
                        return
                    raw.write(item.raw)
                else:
                    await self._send(item.text)
            except Exception:  # the peer is gone; the consumer's disconnect cleans up
                self.closed = True
                return
            finally:
                self.inflight = False
        if self.queue is queue and not queue:
            self.queue = None  # drained: give the deque back until the next backlog

    def push(self, out: Outgoing) -> None:
        """Send now if the socket can take it in order, else queue; a full queue closes the socket."""
        if self.closed:
            return
        raw = self.raw
        queue = self.queue
        if raw is not None and self.started and not self.inflight and not queue and raw.ready():
            corked = self.hub.corked
            if corked is None:
                raw.write(out.raw)
            else:
                self.cork.append(out.raw)
                corked.add(self)
            return
        if queue is None:
            queue = self.queue = deque()
        if len(queue) >= self.queue_max:
            log.info("socket of user %s fell %d frames behind; closing it", self.user_id, len(queue))
            self.terminate(CLOSE_TOO_SLOW, "too slow")
            return
        queue.append(out)
        if self.started:
            self._drain_soon()

    def uncork(self) -> None:
        """Write the frames collected during a batch in one write."""
        chunks, self.cork = self.cork, []
        if not chunks or self.closed:
            return
        data = b"".join(chunks)
        if self.raw is not None and not self.queue and not self.inflight and self.raw.ready():
            self.raw.write(data)
        else:  # the transport paused meanwhile: the writer task takes the bytes as one item
            if self.queue is None:
                self.queue = deque()
            self.queue.append(Outgoing.from_raw(data))
            self._drain_soon()

    def push_text(self, text: str) -> None:
        self.push(Outgoing(text))

    def push_seq(self, room: int, seq: int, out: Outgoing) -> None:
        """Deliver a logged event exactly once and in order, or repair the hole first."""
        held = self.syncing.get(room)
        if held is not None:
            held.append((seq, out))
            return
        last = self.last.get(room, 0)
        if seq <= last:
            return
        if seq == last + 1:
            self.last[room] = seq
            self.push(out.compact if self.compact else out)
            return
        self.syncing[room] = [(seq, out)]
        self.hub.spawn(self.catch_up(room, hold=False))

    def stop(self) -> None:
        """Stop delivering: drop what is queued (the client resumes from its own last seq)."""
        if self.closed:
            return
        self.closed = True
        self.queue = None

    def terminate(self, code: int, reason: str) -> None:
        """Stop delivering now and close the socket with `code` and `reason` (the close frame's
        reason: a code such as `password_changed` when the account ended the login)."""
        if self.closed:
            return
        self.stop()
        self.close_code = code
        self.hub.spawn(self.hub.detach(self))
        self.hub.spawn(self._close(code, reason))

    # --- repair --------------------------------------------------------------------
    async def catch_up(self, room: int, after: int | None = None, *, hold: bool = True) -> None:
        """Send the room's events after `after` (default: what this socket last got) from the log.

        Live events arriving meanwhile are held and released afterwards, so
        nothing is sent twice or out of order; beyond WS_RESUME_LIMIT the
        client gets a `gap` and pages the hole over REST.
        """
        if hold:
            self.syncing.setdefault(room, [])
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self.closed or room not in self.rooms:
                self.syncing.pop(room, None)
                return
            start = self.last.get(room, 0) if after is None else after
            limit = self.hub.config.resume_limit
            try:
                events, latest = await self.hub.fetch_events(room, start, limit + 1)
            except Exception as exc:
                log.warning("catch-up for user %s room %s failed: %s", self.user_id, room, exc)
                with translation.override(self.language):
                    text = protocol.error("unavailable", gettext("Could not replay missed events; retrying."))
                self.push_text(text)
                self.syncing.pop(room, None)
                return
            first = events[0][0] if events else latest + 1
            if len(events) > limit:
                self.push_text(protocol.gap(room=room, after_seq=start, until_seq=latest))
                self.last[room] = latest
            else:
                if first > start + 1 and latest > start:
                    # The log is contiguous, so a later start means a purge removed the
                    # events the client asked for: say so rather than skip them silently.
                    self.push_text(protocol.gap(room=room, after_seq=start, until_seq=min(first - 1, latest)))
                for _seq, text in events:
                    # Replays too: through compact_text's cache, once per event per process.
                    self.push_text(compact_text(text) if self.compact else text)
                self.last[room] = events[-1][0] if events else max(latest, 0)
            self.release(room)

    def release(self, room: int) -> None:
        """Stop holding `room` and deliver what was held, in seq order."""
        held = self.syncing.pop(room, None) or []
        for seq, out in sorted(held, key=lambda item: item[0]):
            self.push_seq(room, seq, out)

    async def join_room(self, room: int, last_seq: int, frame: str | None) -> None:
        if self.closed:
            return
        if room not in self.rooms:
            self.rooms.add(room)
            self.last[room] = last_seq
            await self.hub.room_add(self, room)
            self.hub.note_head(room, last_seq)
            self.hub.catch_up_joined(room)
        if frame:
            self.push_text(frame)

    async def leave_room(self, room: int, frame: str | None) -> None:
        if frame:
            self.push_text(frame)
        if room in self.rooms:
            self.rooms.discard(room)
            self.last.pop(room, None)
            self.syncing.pop(room, None)
            await self.hub.room_remove(self, room)
