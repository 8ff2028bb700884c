"""Fault injection for tests against live processes: a private Redis, a cuttable TCP
proxy in front of PostgreSQL, and WebSocket peers that keep a timeline, reconnect,
resume and retry exactly as a well-behaved client does.

Everything listens on loopback; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import signal
import sqlite3
import subprocess
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import websockets
from websockets.typing import Origin

from parley.realtime.protocol import server_frame_adapter
from parley.testing.live import free_port
from parley.testing.remote import RemoteUser
from parley.testing.waits import wait_until, wait_until_async


class RedisServer:
    """A private `redis-server` without persistence, so a restart comes back empty.

    Its port is chosen before it starts (free_port): redis-server must be told one, and
    its `--port 0` turns TCP off rather than asking the system for a free port."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10) -> RedisServer:
        args = "--bind 127.0.0.1 --appendonly no --daemonize no --protected-mode yes --loglevel warning"
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", *args.split()],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.ping, timeout=timeout, what=f"redis-server on {self.port} to answer PING")
        return self

    def client(self) -> Any:
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=1)

    def ping(self) -> bool:
        try:
            return bool(self.client().ping())
        except Exception:
            return False

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


class TcpProxy:
    """A loopback TCP proxy on its own thread that a test can cut and restore.

    `cut()` closes every proxied connection and stops listening (new connections
    are refused); `restore()` listens again on the same port. The first listen binds
    port 0 and keeps the port it got; restoring must reuse it, as the server under test
    was told that port.
    """

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="tcp-proxy", daemon=True)
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.connections = 0

    def __enter__(self) -> TcpProxy:
        self.thread.start()
        self.restore()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cut()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def restore(self) -> None:
        async def listen() -> None:
            if self.server is None:
                self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
                self.port = self.server.sockets[0].getsockname()[1]

        self._call(listen())

    def cut(self) -> None:
        async def cut() -> None:
            if self.server is not None:
                self.server.close()
                self.server = None
            for writer in list(self.writers):
                writer.transport.abort()
            self.writers.clear()

        self._call(cut())

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (OSError, ConnectionError):
                pass
            finally:
                dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.writers -= {writer, up_writer}


def db_messages(database_url: str, room_id: int) -> list[tuple[int, int, str, int]]:
    """(seq, id, client_id, sender_id) of the room's messages, read straight from the database."""
    sql = "SELECT seq, id, client_id, sender_id FROM messaging_message WHERE room_id = {p} ORDER BY seq, id"
    if database_url.startswith("sqlite"):
        path = urlparse(database_url).path
        with contextlib.closing(sqlite3.connect(Path(path), timeout=20)) as conn:
            return [tuple(r) for r in conn.execute(sql.format(p="?"), (room_id,))]  # type: ignore[misc]
    import psycopg

    with psycopg.connect(database_url) as conn:
        return [tuple(r) for r in conn.execute(sql.format(p="%s"), (room_id,))]  # type: ignore[misc]


_ids = itertools.count(1)


class Peer:
    """One client of one user: a socket to one of `urls`, a timeline, pending sends.

    Like a real client it keeps the last seq it holds, reconnects (rotating
    through `urls`) when its socket drops, sends `resume`, and re-sends every
    message that was not acknowledged with the same `client_id`.
    """

    def __init__(self, user: RemoteUser, urls: Sequence[str], room_id: int, name: str = ""):
        self.user = user
        self.urls = list(urls)
        self.room = room_id
        self.name = name or user.username
        self.url_index = 0
        self.timeline: dict[int, dict[str, Any]] = {}  # seq -> message, deduped by seq
        self.last = 0
        self.per_socket_dupes = 0  # a seq received twice on one socket
        self.per_socket_disorder = 0  # a seq lower than one already received on that socket
        self.pending: dict[str, str] = {}  # client_id -> body, not yet acknowledged
        self.acks: dict[str, tuple[int, int]] = {}  # client_id -> (id, seq)
        self.errors: dict[str, list[str]] = {}  # client_id -> error codes
        self.false_acks: list[str] = []
        self.connects = 0
        self.drops = 0
        self.closed_with: list[int | None] = []
        self.ws: Any = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._connected = asyncio.Event()

    @property
    def url(self) -> str:
        return self.urls[self.url_index % len(self.urls)]

    @property
    def connected(self) -> bool:
        """A socket is open and its resume and re-sends have gone out."""
        return self._connected.is_set()

    async def start(self) -> Peer:
        await self._connect()
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def _connect(self, attempts: int = 60) -> None:
        for attempt in range(attempts):
            url = self.url.replace("http://", "ws://") + f"/ws/?token={self.user.token}"
            try:
                ws = await websockets.connect(url, origin=Origin(self.url), compression=None, open_timeout=5)
                hello = json.loads(await asyncio.wait_for(ws.recv(), 10))
                assert hello["type"] == "hello", hello
            except (OSError, TimeoutError, websockets.WebSocketException):
                self.url_index += 1
                # A real client's back-off between reconnects (the behaviour under test),
                # not a wait for something: the next attempt is the check.
                await asyncio.sleep(min(0.1 * (attempt + 1), 1.0))
                continue
            self.ws = ws
            self.connects += 1
            await ws.send(json.dumps({"type": "resume", "rooms": {str(self.room): self.last}}))
            for client_id, body in list(self.pending.items()):
                await ws.send(json.dumps(self._send_frame(client_id, body)))
            self._connected.set()
            return
        raise RuntimeError(f"{self.name} could not reconnect to any of {self.urls}")

    def _send_frame(self, client_id: str, body: str) -> dict[str, Any]:
        return {"type": "send", "room": self.room, "body": body, "client_id": client_id}

    async def _run(self) -> None:
        while not self._stopping:
            seen: set[int] = set()
            high = 0
            try:
                async for raw in self.ws:
                    frame = json.loads(raw)
                    server_frame_adapter.validate_python(frame)
                    self._on_frame(frame, seen, high)
                    if frame["type"] == "message" and frame["room"] == self.room:
                        high = max(high, frame["seq"])
                        seen.add(frame["seq"])
            except websockets.ConnectionClosed:
                pass
            except OSError:
                pass
            if self._stopping:
                return
            self.closed_with.append(getattr(self.ws, "close_code", None))
            self.drops += 1
            self._connected.clear()
            self.url_index += 1
            await self._connect()

    def _on_frame(self, frame: dict[str, Any], seen: set[int], high: int) -> None:
        kind = frame["type"]
        if kind == "message" and frame["room"] == self.room:
            seq = frame["seq"]
            if seq in seen:
                self.per_socket_dupes += 1
            elif seq < high:
                self.per_socket_disorder += 1
            self.timeline.setdefault(seq, frame["message"])
            self.last = max(self.last, seq)
        elif kind == "ack":
            cid = frame["client_id"]
            if cid not in self.pending and cid not in self.acks:
                self.false_acks.append(cid)
            self.pending.pop(cid, None)
            previous = self.acks.setdefault(cid, (frame["id"], frame["seq"]))
            if previous != (frame["id"], frame["seq"]):
                self.false_acks.append(cid)
        elif kind == "error" and isinstance(frame.get("ref"), str):
            self.errors.setdefault(frame["ref"], []).append(frame["code"])
        elif kind == "gap":
            raise AssertionError(f"unexpected gap {frame}")

    def state(self) -> str:
        """For assertion messages: where this client is and what it is waiting for."""
        task = self._task
        failed = task.exception() if task is not None and task.done() and not task.cancelled() else None
        return (
            f"{self.name} url={self.url} connects={self.connects} drops={self.drops} "
            f"closed_with={self.closed_with} pending={len(self.pending)} acks={len(self.acks)} "
            f"errors={dict(list(self.errors.items())[:3])} last={self.last} task_failed={failed!r}"
        )

    async def send(self, body: str | None = None) -> str:
        client_id = f"{self.name}-{next(_ids)}-{uuid.uuid4().hex[:6]}"
        body = body or f"{self.name} says {client_id}"
        self.pending[client_id] = body
        if self._connected.is_set():
            with contextlib.suppress(websockets.ConnectionClosed, OSError):
                await self.ws.send(json.dumps(self._send_frame(client_id, body)))
        return client_id

    async def retry_pending(self) -> None:
        """Re-send every unacknowledged message (a client does this after an error)."""
        if not self._connected.is_set():
            return
        for client_id, body in list(self.pending.items()):
            with contextlib.suppress(websockets.ConnectionClosed, OSError):
                await self.ws.send(json.dumps(self._send_frame(client_id, body)))

    async def stop(self) -> None:
        self._stopping = True
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task


async def settle(peers: Sequence[Peer], expected: list[int], timeout: float) -> float:
    """Wait until every peer's deduped timeline holds exactly `expected` seqs; seconds taken
    (`timeout` when they never do: the caller's assertions then say which peer lacks what)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    with contextlib.suppress(AssertionError):
        await wait_until_async(lambda: all(sorted(p.timeline) == expected for p in peers), timeout=timeout)
    return loop.time() - start


async def acked_all(peers: Sequence[Peer], timeout: float, retry_every: float = 2.0) -> None:
    """Retry unacknowledged sends (same client_id) until each peer has none left."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last_retry = loop.time()
    while any(p.pending for p in peers) and loop.time() < deadline:
        if loop.time() - last_retry >= retry_every:
            for p in peers:
                await p.retry_pending()
            last_retry = loop.time()
        # Between polls of `pending` (the condition); retries go out every `retry_every`.
        await asyncio.sleep(0.1)


def guest(base_url: str, nickname: str | None = None) -> RemoteUser:
    """A signed-in guest: cheaper than registering (no password hashing) for crowds of users."""
    import httpx

    r = httpx.post(
        f"{base_url}/api/v1/auth/guest",
        json={"nickname": nickname or f"g{uuid.uuid4().hex[:10]}"},
        timeout=10,
    )
    r.raise_for_status()
    body = r.json()
    return RemoteUser(base_url, body["user"]["username"], body["token"], body["user"])
