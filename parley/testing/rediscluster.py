"""A private Redis Cluster for tests: masters with a replica each, on loopback ports.

Every node is a `redis-server --cluster-enabled yes` in a temporary folder, without
persistence; `redis-cli --cluster create` joins them. A master can be killed with SIGKILL,
and its replica is promoted by the cluster itself after `node_timeout` milliseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import websockets
from websockets.typing import Origin

from parley.testing.live import unavailable
from parley.testing.waits import wait_until


def cluster_port() -> int:
    """A port free for a cluster node: its own and the cluster bus port 10000 above it, both
    under 65536 (redis-server refuses a port over 55535 for that reason)."""
    for _ in range(200):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            port = int(a.getsockname()[1])
            if port > 55535:
                continue
            try:
                with socket.socket() as b:
                    b.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
            return port
    raise RuntimeError("no free pair of ports for a cluster node")


def require_redis_tools() -> None:
    """Skip visibly (fail under PARLEY_REQUIRE_SERVICES=1) without redis-server and redis-cli."""
    missing = [tool for tool in ("redis-server", "redis-cli") if shutil.which(tool) is None]
    if missing:
        unavailable(f"a Redis Cluster test needs {' and '.join(missing)} on PATH")


class ClusterNode:
    def __init__(self, folder: Path, port: int, node_timeout: int):
        self.port = port
        self.folder = folder / str(port)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.node_timeout = node_timeout
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--cluster-enabled", "yes",
                "--cluster-config-file", str(self.folder / "nodes.conf"),
                "--cluster-node-timeout", str(self.node_timeout),
                "--appendonly", "no",
                "--save", "",
                "--dir", str(self.folder),
                "--loglevel", "warning",
                # Test subscribers read as fast as they can; never drop one under a burst.
                "--client-output-buffer-limit", "pubsub 0 0 0",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def client(self) -> Any:
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2, socket_connect_timeout=1)

    def ping(self) -> bool:
        try:
            return bool(self.client().ping())
        except Exception:
            return False

    def info(self, section: str) -> dict[str, Any]:
        return dict(self.client().info(section))

    def role(self) -> str:
        return str(self.info("replication")["role"])

    def master_port(self) -> int | None:
        """The port of this replica's master (None for a master)."""
        info = self.info("replication")
        return int(info["master_port"]) if info["role"] == "slave" else None

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

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class RedisCluster:
    """`masters` masters with `replicas` replicas each, created and torn down by the test."""

    def __init__(self, masters: int = 3, replicas: int = 1, node_timeout: int = 1000):
        self.folder = Path(tempfile.mkdtemp(prefix="parley-cluster-"))
        self.nodes = [
            ClusterNode(self.folder, cluster_port(), node_timeout) for _ in range(masters * (1 + replicas))
        ]
        self.replicas = replicas

    @property
    def url(self) -> str:
        """A seed node's URL (any node serves: clients read the slot map from it)."""
        return f"redis://127.0.0.1:{self.nodes[0].port}"

    def start(self, timeout: float = 30) -> RedisCluster:
        try:
            return self._start(timeout)
        except BaseException:
            self.stop()
            raise

    def _start(self, timeout: float) -> RedisCluster:
        for node in self.nodes:
            node.start()
        for node in self.nodes:
            wait_until(node.ping, timeout=timeout, what=f"cluster node {node.port} to answer PING")
        create = subprocess.run(
            [
                "redis-cli", "--cluster", "create",
                *(node.address for node in self.nodes),
                "--cluster-replicas", str(self.replicas),
                "--cluster-yes",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )  # fmt: skip
        if create.returncode != 0:
            raise RuntimeError(
                f"redis-cli --cluster create failed: {create.stdout[-2000:]} {create.stderr[-2000:]}"
            )
        wait_until(self.ok, timeout=timeout, what="cluster_state:ok on every node")
        wait_until(self._replicas_synced, timeout=timeout, what="every replica in sync with its master")
        return self

    def ok(self) -> bool:
        for node in self.nodes:
            if not node.alive:
                continue
            try:
                info = node.client().execute_command("CLUSTER", "INFO")
            except Exception:
                return False
            text = info.decode() if isinstance(info, bytes) else str(info)
            if "cluster_state:ok" not in text:
                return False
        return True

    def _replicas_synced(self) -> bool:
        for node in self.nodes:
            try:
                info = node.info("replication")
            except Exception:
                return False
            if info["role"] == "slave" and info.get("master_link_status") != "up":
                return False
        return True

    def masters(self) -> list[ClusterNode]:
        """The live nodes that are masters now."""
        out = []
        for node in self.nodes:
            if node.alive:
                try:
                    if node.role() == "master":
                        out.append(node)
                except Exception:
                    continue
        return out

    def node(self, port: int) -> ClusterNode:
        return next(node for node in self.nodes if node.port == port)

    def master_of(self, key: str) -> ClusterNode:
        from redis.crc import key_slot

        slot = key_slot(key.encode())
        for node in self.masters():
            for start, end, master, *_replicas in node.client().execute_command("CLUSTER", "SLOTS"):
                if start <= slot <= end:
                    return self.node(int(master[1]))
            break
        raise LookupError(f"no master serves slot {slot}")

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class RoomsClient:
    """One socket of a user in many rooms, following the contract (docs/protocol.md): it keeps
    the last seq of each room, and after a dropped socket reconnects (rotating through `urls`),
    sends `resume` with every room's seq, and re-sends each unacknowledged message with its
    `client_id`. It records when each message frame arrived and each ack came back, and counts
    what the contract forbids on one socket: a seq twice, a seq lower than one already shown,
    a seq past a hole."""

    def __init__(self, token: str, urls: list[str], rooms: list[int], name: str):
        self.token = token
        self.urls = urls
        self.url_index = 0
        self.rooms = rooms
        self.name = name
        self.last: dict[int, int] = dict.fromkeys(rooms, 0)
        self.timeline: dict[int, dict[int, str]] = {room: {} for room in rooms}  # room -> seq -> client_id
        self.received_at: dict[str, float] = {}  # client_id -> first arrival (monotonic)
        self.pending: dict[str, tuple[int, str]] = {}  # client_id -> (room, body)
        self.acks: dict[str, tuple[int, int]] = {}  # client_id -> (room, seq)
        self.acked_at: dict[str, float] = {}
        self.dupes = self.disorder = self.holes = 0
        self.drops = 0
        self.ws: Any = None
        self._task: Any = None
        self._stopping = False

    async def start(self) -> RoomsClient:
        await self._connect()

        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def _connect(self, attempts: int = 60) -> None:

        for attempt in range(attempts):
            base = self.urls[self.url_index % len(self.urls)]
            try:
                ws = await websockets.connect(
                    base.replace("http://", "ws://") + f"/ws/?token={self.token}",
                    origin=Origin(base),
                    compression=None,
                    open_timeout=5,
                    max_size=None,
                )
                hello = json.loads(await asyncio.wait_for(ws.recv(), 10))
                assert hello["type"] == "hello", hello
            except (OSError, TimeoutError, websockets.WebSocketException):
                self.url_index += 1
                await asyncio.sleep(min(0.1 * (attempt + 1), 1.0))  # a client's back-off
                continue
            self.ws = ws
            await ws.send(json.dumps({"type": "resume", "rooms": {str(r): s for r, s in self.last.items()}}))
            for client_id, (room, body) in list(self.pending.items()):
                await ws.send(
                    json.dumps({"type": "send", "room": room, "body": body, "client_id": client_id})
                )
            return
        raise RuntimeError(f"{self.name} could not connect to any of {self.urls}")

    async def _run(self) -> None:

        while not self._stopping:
            high: dict[int, int] = {}
            seen: set[tuple[int, int]] = set()
            try:
                async for raw in self.ws:
                    self._on_frame(json.loads(raw), high, seen)
            except (websockets.ConnectionClosed, OSError):
                pass
            if self._stopping:
                return
            self.drops += 1
            self.url_index += 1
            await self._connect()

    def _on_frame(self, frame: dict[str, Any], high: dict[int, int], seen: set[tuple[int, int]]) -> None:

        kind = frame["type"]
        if kind == "message" and frame["room"] in self.timeline:
            room, seq = frame["room"], frame["seq"]
            if (room, seq) in seen:
                self.dupes += 1
            elif seq < high.get(room, 0):
                self.disorder += 1
            elif seq > self.last[room] + 1 and self.last[room] > 0:
                self.holes += 1
            seen.add((room, seq))
            high[room] = max(high.get(room, 0), seq)
            client_id = frame["message"]["client_id"]
            self.timeline[room].setdefault(seq, client_id)
            self.received_at.setdefault(client_id, time.monotonic())
            self.last[room] = max(self.last[room], seq)
        elif kind == "ack":
            client_id = frame["client_id"]
            if client_id in self.pending:
                self.acked_at.setdefault(client_id, time.monotonic())
            self.pending.pop(client_id, None)
            self.acks.setdefault(client_id, (frame["room"], frame["seq"]))
        elif kind == "gap":
            self.holes += 1

    async def send(self, room: int, body: str, client_id: str) -> None:

        self.pending[client_id] = (room, body)
        with contextlib.suppress(websockets.ConnectionClosed, OSError):
            await self.ws.send(
                json.dumps({"type": "send", "room": room, "body": body, "client_id": client_id})
            )

    async def retry_pending(self) -> None:

        for client_id, (room, body) in list(self.pending.items()):
            with contextlib.suppress(websockets.ConnectionClosed, OSError):
                await self.ws.send(
                    json.dumps({"type": "send", "room": room, "body": body, "client_id": client_id})
                )

    async def stop(self) -> None:

        self._stopping = True
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
