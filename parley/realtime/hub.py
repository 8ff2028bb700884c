"""The per-process hub: which local sockets want which rooms, and delivery to them.

Delivery model (docs/decisions.md, "Delivery"): an event arrives once per
process (Redis message or in-memory call) already encoded; the hub puts the
same string on every interested socket's queue. Per message that is O(1)
database statements, Redis commands and JSON encodes, and one cheap queue
append per local recipient.

Seq events are delivered in seq order. Publishes from different processes can
arrive out of order, so the hub holds an early event for a moment and, if the
hole does not fill, reads the missing events from the database once for the
whole process. In Redis mode a periodic sweep compares each room's head in the
database with what was delivered, so a signal lost to a Redis failure is
repaired within HUB_SWEEP_INTERVAL.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Collection, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from parley.realtime import metrics, protocol, wire
from parley.realtime.backends import Backend
from parley.realtime.clock import Clock
from parley.realtime.config import RealtimeConfig
from parley.realtime.outgoing import Outgoing

if TYPE_CHECKING:
    from parley.realtime.connection import Connection

log = logging.getLogger(__name__)

# Nothing heard from the peer since the last WS_PING_MISSES pings.
CLOSE_SILENT = 4009

# (room id, after seq, limit) -> ([(seq, frame text)], head); (room ids) -> {room id: head}
FetchEvents = Callable[[int, int, int], Awaitable[tuple[list[tuple[int, str]], int]]]
FetchHeads = Callable[[Sequence[int]], Awaitable[dict[int, int]]]


class RoomState:
    __slots__ = ("conns", "filling", "pending", "seen_head", "seq")

    def __init__(self) -> None:
        self.conns: set[Connection] = set()
        self.seq: int | None = None  # highest seq delivered in order
        self.pending: dict[int, Outgoing] = {}
        self.filling = False
        self.seen_head: int | None = None  # the database head at the previous sweep


class Hub:
    def __init__(
        self,
        *,
        backend: Backend,
        config: RealtimeConfig,
        fetch_events: FetchEvents,
        fetch_heads: FetchHeads,
        clock: Clock | None = None,
        timer: metrics.DeliveryTimer | None = None,
    ):
        self.backend = backend
        self.config = config
        self.fetch_events = fetch_events
        self.fetch_heads = fetch_heads
        self.clock = clock or Clock()
        self.timer = timer
        self.loop: asyncio.AbstractEventLoop | None = None
        self.rooms: dict[int, RoomState] = {}
        self.users: dict[int, set[Connection]] = {}
        self.conns: set[Connection] = set()
        # While a batch is routed, sockets collect their frames here instead of writing each.
        self.corked: set[Connection] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._started = False

    # --- lifecycle -------------------------------------------------------------
    async def start(self) -> None:
        if self._started:
            return
        self._started = True
        self.loop = asyncio.get_running_loop()
        await self.backend.start(self)
        self.spawn(self._ping_forever())
        if not self.backend.durable_signals:
            self.spawn(self._sweep_forever())

    async def stop(self) -> None:
        """Cancel the hub's own tasks and disconnect its backend (bounded in time)."""
        tasks = set(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2.0)
        await self.backend.stop()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task: asyncio.Task[Any] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- registration ----------------------------------------------------------
    def _topic(self, kind: str, target: int) -> str:
        return self.backend.topic(kind, target)

    async def attach(self, conn: Connection) -> None:
        if conn not in self.conns:
            metrics.OPEN_SOCKETS.inc()
        self.conns.add(conn)
        subs = []
        users = self.users.setdefault(conn.user_id, set())
        if not users:
            subs.append(self.backend.subscribe(self._topic("u", conn.user_id)))
        users.add(conn)
        for room_id in conn.rooms:
            state = self.rooms.get(room_id)
            if state is None:
                state = self.rooms[room_id] = RoomState()
                subs.append(self.backend.subscribe(self._topic("r", room_id)))
            state.conns.add(conn)
        if subs:
            await asyncio.gather(*subs)

    async def detach(self, conn: Connection) -> None:
        if conn not in self.conns:
            return
        self.conns.discard(conn)
        metrics.OPEN_SOCKETS.dec()
        users = self.users.get(conn.user_id)
        if users is not None:
            users.discard(conn)
            if not users:
                del self.users[conn.user_id]
                await self.backend.unsubscribe(self._topic("u", conn.user_id))
        for room_id in list(conn.rooms):
            await self.room_remove(conn, room_id)

    async def room_add(self, conn: Connection, room_id: int) -> None:
        state = self.rooms.get(room_id)
        if state is None:
            state = self.rooms[room_id] = RoomState()
            await self.backend.subscribe(self._topic("r", room_id))
        state.conns.add(conn)

    async def room_remove(self, conn: Connection, room_id: int) -> None:
        state = self.rooms.get(room_id)
        if state is None:
            return
        state.conns.discard(conn)
        if not state.conns:
            del self.rooms[room_id]
            await self.backend.unsubscribe(self._topic("r", room_id))

    def note_head(self, room_id: int, seq: int) -> None:
        """A socket learned the room's head from the database. Ordering starts there only if
        the hub has routed nothing of the room yet: otherwise events up to that head may be
        committed but still on their way, and the sockets already here need them (the new
        socket drops what its hello already counted)."""
        state = self.rooms.get(room_id)
        if state is not None and state.seq is None:
            state.seq = seq

    def catch_up_joined(self, room_id: int) -> None:
        """A socket just joined a room (a membership, not a resume). Its first events may have
        been committed, and published to a process not yet subscribed to the room, between the
        membership's commit and this subscription: a new DM's first message is sent right
        after the room is made. Read what is past the head from the database once; a join is
        rare, so this costs one query where a room is joined, none on the send path."""
        state = self.rooms.get(room_id)
        if state is not None and state.seq is not None:
            self.spawn(self._catch_up(room_id, state))

    def local_user_ids(self) -> set[int]:
        return set(self.users)

    # --- delivery --------------------------------------------------------------
    def receive_many(self, datas: list[str]) -> None:
        """Route a batch of events, writing each socket's frames in one go at the end."""
        if len(datas) == 1:
            self.receive(datas[0])
            return
        self.corked = set()
        try:
            for data in datas:
                self.receive(data)
        finally:
            corked, self.corked = self.corked, None
            for conn in corked:
                conn.uncork()

    def receive(self, data: str) -> None:
        """Route one wire event to local sockets. Runs on the event loop, never blocks."""
        try:
            env = wire.unpack(data)
        except ValueError:
            log.warning("dropping malformed hub event %.60r", data)
            return
        kind = env.kind
        if kind == "r":
            self._room_event(env.target, int(env.arg), Outgoing(env.payload))
        elif kind == "e":
            state = self.rooms.get(env.target)
            if state is not None:
                out = Outgoing(env.payload)
                for conn in tuple(state.conns):
                    conn.push(out)
        elif kind == "l":
            out = Outgoing(env.payload)
            for conn in tuple(self.conns):
                conn.push(out)
        else:
            self._user_event(env)

    def _user_event(self, env: wire.Envelope) -> None:
        conns = self.users.get(env.target)
        if not conns:
            return
        if env.kind == "u":
            out = Outgoing(env.payload)
            for conn in tuple(conns):
                conn.push(out)
        elif env.kind == "j":
            room_s, seq_s = env.arg.split(":")
            for conn in tuple(conns):
                self.spawn(conn.join_room(int(room_s), int(seq_s), env.payload or None))
        elif env.kind == "x":
            for conn in tuple(conns):
                self.spawn(conn.leave_room(int(env.arg), env.payload or None))
        elif env.kind == "c":
            spec = json.loads(env.payload)
            auth_ids = spec.get("auth_ids")
            for conn in tuple(conns):
                if auth_ids is None or conn.auth_id in auth_ids:
                    conn.terminate(int(spec.get("code", 4003)), spec.get("reason", "signed out"))

    def _room_event(self, room_id: int, seq: int, out: Outgoing) -> None:
        state = self.rooms.get(room_id)
        if state is None:
            return
        if state.seq is None or seq == state.seq + 1:
            self._deliver(state, room_id, seq, out)
            while state.pending and state.seq is not None and state.seq + 1 in state.pending:
                nxt = state.seq + 1
                self._deliver(state, room_id, nxt, state.pending.pop(nxt))
        elif seq > state.seq + 1:
            state.pending[seq] = out
            if not state.filling:
                state.filling = True
                self.spawn(self._fill(room_id))

    def _deliver(self, state: RoomState, room_id: int, seq: int, out: Outgoing) -> None:
        state.seq = seq
        for conn in tuple(state.conns):
            conn.push_seq(room_id, seq, out)
        if self.timer is not None:
            self.timer.delivered(room_id, seq)

    async def _fill(self, room_id: int) -> None:
        """Wait briefly for a late publish, then read the hole from the database once."""
        await self.clock.sleep(self.config.reorder_wait)
        state = self.rooms.get(room_id)
        try:
            if state is None or not state.pending or state.seq is None:
                return
            metrics.HUB_CATCHUPS.labels("reorder").inc()
            await self._catch_up(room_id, state)
        finally:
            if state is not None:
                state.filling = False

    async def _catch_up(self, room_id: int, state: RoomState, head: int | None = None) -> None:
        after = state.seq or 0
        try:
            events, _latest = await self.fetch_events(room_id, after, self.config.resume_limit)
        except Exception as exc:
            log.warning("catch-up of room %s failed: %s", room_id, exc)
            return
        for seq, text in events:
            if state.seq is None or seq > state.seq:
                state.pending.pop(seq, None)
                self._room_event(room_id, seq, Outgoing(text))
        if state.pending and state.seq is not None:
            # Whatever is still early has been committed after our read; deliver it in order.
            for seq in sorted(state.pending):
                if seq > state.seq:
                    self._deliver(state, room_id, seq, state.pending.pop(seq))
            state.pending.clear()

    # --- repair after lost signals (Redis mode) ---------------------------------
    def resync(self, room_ids: Collection[int] | None = None) -> None:
        """After a Redis reconnect: anything committed so far may have been missed (in every
        room, or in `room_ids` only: the rooms of a Redis Cluster shard that failed over)."""
        self.spawn(self.sweep(force=True, only=None if room_ids is None else set(room_ids)))

    async def sweep(self, *, force: bool = False, only: set[int] | None = None) -> None:
        """Deliver what a lost signal left undelivered.

        Under load the database head is always a little ahead of delivery, so
        the sweep acts only on events that were committed before the previous
        sweep and are still not delivered (or on everything after a reconnect):
        one query per process for the heads, one per room actually behind.
        """
        room_ids = list(self.rooms) if only is None else [room for room in self.rooms if room in only]
        if not room_ids:
            return
        metrics.HUB_SWEEPS.inc()
        try:
            heads = await self.fetch_heads(room_ids)
        except Exception as exc:
            log.warning("sweep failed: %s", exc)
            return
        for room_id, head in heads.items():
            state = self.rooms.get(room_id)
            if state is None:
                continue
            if state.seq is None:
                state.seq = min((conn.last.get(room_id, head) for conn in state.conns), default=head)
            overdue = head if force else state.seen_head
            state.seen_head = head
            if overdue is not None and state.seq < overdue:
                metrics.HUB_CATCHUPS.labels("sweep").inc()
                await self._catch_up(room_id, state)
            delivered = state.seq
            for conn in tuple(state.conns):
                # A socket behind what the hub already handed out missed it (it joined late).
                if room_id not in conn.syncing and conn.last.get(room_id, delivered) < delivered:
                    self.spawn(conn.catch_up(room_id))

    async def _sweep_forever(self) -> None:
        while True:
            await self.clock.sleep(self.config.sweep_interval)
            try:
                await self.sweep()
            except Exception:
                log.exception("hub sweep crashed")

    async def _ping_forever(self) -> None:
        """The one keepalive (docs/protocol.md, "Keepalive"): a JSON `ping` to every socket
        each interval, one encoded frame for all of them. Traffic both ways keeps idle proxies
        from closing the connection, the client learns the server is alive (a browser cannot
        see protocol-level pings), and the client's answer tells the server the peer is alive:
        a socket that sent nothing since the last `ping_misses` pings is closed, so a
        vanished peer's presence and socket slot do not linger until TCP gives up."""
        ping = Outgoing(protocol.PING)
        misses = max(1, self.config.ping_misses)
        while True:
            await self.clock.sleep(self.config.ping_interval)
            for conn in tuple(self.conns):
                if conn.quiet >= misses:
                    metrics.WS_SILENT_CLOSED.inc()
                    conn.terminate(CLOSE_SILENT, "no frame heard")
                    continue
                conn.quiet += 1
                conn.push(ping)
