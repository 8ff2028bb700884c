"""A Matrix client for the load generator (issue 34's Synapse peer), as Matrix clients are:
receiving on `/sync` long-polls (each answer carries everything since the last one's
`next_batch`), sending with `PUT /rooms/{id}/send/m.room.message/{txnId}`, one request at
a time per client, as Element does.

It stands in for a FastWS in the worker (`send_text`, `write_buffer_size`, `closed`,
`abort`), so the workloads and the checks (loss, duplicates, order, latency from the
body's mark) are the same as for every other server.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import deque
from collections.abc import Callable
from urllib.parse import quote, urlsplit

from bench.loadgen.http import Http

MARK = re.compile(rb'"p(\d+):(\d+):(\d+):(\d+):')
NEXT_BATCH = re.compile(rb'"next_batch"\s*:\s*"([^"]+)"')
# A lean filter as a good client sets it: members loaded lazily, a long timeline per answer
# (a `limited` timeline would drop events the client must then backfill).
FILTER = quote(
    json.dumps(
        {
            "room": {"timeline": {"limit": 200}, "state": {"lazy_load_members": True}},
            "account_data": {"types": []},
        },
        separators=(",", ":"),
    )
)
POLL_MS = 30000


class MatrixConn:
    def __init__(self, base: str, token: str, room_id: str, on_message: Callable[[bytes], None]):
        u = urlsplit(base)
        host, port = u.hostname or "127.0.0.1", u.port or 80
        self.sync_http = Http(host, port, token, scheme="Bearer")
        self.send_http = Http(host, port, token, scheme="Bearer")
        self.room = quote(room_id)
        self.on_message = on_message
        self.queue: deque[tuple[str, bytes]] = deque()
        self.wake = asyncio.Event()
        self.closed: asyncio.Future = asyncio.get_running_loop().create_future()
        self.tasks: list[asyncio.Task] = []
        self.since = ""
        self.errors = 0

    async def start(self) -> MatrixConn:
        """The initial sync (its `next_batch` is where live answers start), then the loops."""
        status, data = await self.sync_http.request(
            "GET", f"/_matrix/client/v3/sync?timeout=0&filter={FILTER}"
        )
        m = NEXT_BATCH.search(data) if status == 200 else None
        if m is None:
            self.abort()
            raise OSError(f"initial sync failed: {status} {data[:200]!r}")
        self.since = m.group(1).decode()
        self.tasks = [asyncio.create_task(self._syncing()), asyncio.create_task(self._sending())]
        return self

    async def _syncing(self) -> None:
        while not self.closed.done():
            path = f"/_matrix/client/v3/sync?since={quote(self.since)}&timeout={POLL_MS}&filter={FILTER}"
            status, data = await self.sync_http.request("GET", path)
            if self.closed.done():
                return
            if status != 200:
                self.errors += 1
                await asyncio.sleep(0.5)  # a client's back-off after a failed sync
                continue
            for m in MARK.finditer(data):
                self.on_message(m.group(0))
            nb = NEXT_BATCH.search(data)
            if nb is not None:
                self.since = nb.group(1).decode()

    async def _sending(self) -> None:
        while not self.closed.done():
            if not self.queue:
                self.wake.clear()
                await self.wake.wait()
                continue
            txn, body = self.queue[0]
            path = f"/_matrix/client/v3/rooms/{self.room}/send/m.room.message/{quote(txn)}"
            status, _ = await self.send_http.request("PUT", path, body)
            if status == 599 and not self.closed.done():
                await asyncio.sleep(0.2)  # the connection broke: the same txn id again
                continue
            if status != 200:
                self.errors += 1
            self.queue.popleft()

    # ---- what the worker calls on a FastWS
    def send_text(self, frame: str) -> bool:
        """`frame` as `protocols.send_frame("matrix", …)` makes it: the event's content and the
        transaction id it goes under."""
        if self.closed.done():
            return False
        msg = json.loads(frame)
        txn = msg.pop("txn")
        self.queue.append((txn, json.dumps(msg).encode()))
        self.wake.set()
        return True

    def write_buffer_size(self) -> int:
        return sum(len(b) for _t, b in self.queue)

    def pause_reading(self) -> None:
        pass

    def close(self) -> None:
        self.abort()

    def abort(self) -> None:
        for task in self.tasks:
            task.cancel()
        self.sync_http.close()
        self.send_http.close()
        if not self.closed.done():
            self.closed.set_result(None)
