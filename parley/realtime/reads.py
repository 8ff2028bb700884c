"""Read receipts on the wire: `read.updated` frames, coalesced (issue 30).

A reader's client may move its marker once per message it sees; its room's members need
the newest position, not each step. The first advance of a (room, reader) goes out at
once; later ones within `window` seconds are folded into one trailing frame with the
newest seq. Each frame goes to the sockets of the members who may see it (one user frame
each: the room is small by then, at most READ_RECEIPTS_LIVE_MAX members, and a member
who does not share receipts must not receive one, so a room-wide frame will not do).
Nothing here touches the database; services hand the recipients over after commit.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from parley.realtime import protocol
from parley.realtime.clock import Clock
from parley.realtime.publisher import Publisher

Key = tuple[int, int]  # (room, reader)


class ReadCoalescer:
    def __init__(self, *, publisher: Publisher, window: float, clock: Clock | None = None):
        self.publisher = publisher
        self.window = window
        self.clock = clock or Clock()
        self._lock = threading.Lock()
        self._sent: dict[Key, float] = {}  # when a frame last went out (monotonic)
        self._pending: dict[Key, tuple[int, list[int]]] = {}  # the newest seq waiting, and to whom

    def note(self, *, room_id: int, user_id: int, seq: int, recipients: Sequence[int]) -> None:
        """The reader's position advanced to `seq` (any thread; never raises)."""
        if not recipients:
            return
        key = (room_id, user_id)
        now = self.clock.monotonic()
        with self._lock:
            if key in self._pending:
                old, _ = self._pending[key]
                self._pending[key] = (max(old, seq), list(recipients))
                return
            last = self._sent.get(key)
            if last is None or now - last >= self.window:
                self._sent[key] = now
                send_now = True
            else:
                self._pending[key] = (seq, list(recipients))
                send_now = False
            if len(self._sent) > 10_000:
                self._sent = {k: t for k, t in self._sent.items() if now - t < self.window}
        if send_now:
            self._send(key, seq, recipients)
        else:
            timer = threading.Timer(self.window - (now - (last or now)), self._flush, args=(key,))
            timer.daemon = True
            timer.start()

    def _flush(self, key: Key) -> None:
        with self._lock:
            pending = self._pending.pop(key, None)
            self._sent[key] = self.clock.monotonic()
        if pending is not None:
            self._send(key, *pending)

    def _send(self, key: Key, seq: int, recipients: Sequence[int]) -> None:
        room_id, user_id = key
        frame = protocol.read_updated(room=room_id, user_id=user_id, last_read_seq=seq)
        for recipient in recipients:
            self.publisher.publish("u", recipient, 0, frame)
