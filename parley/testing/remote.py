"""Clients for live servers: REST with httpx, WebSocket with the websockets library."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import websockets
from websockets.typing import Origin

from parley.realtime.protocol import validate_server_frame

PASSWORD = "a-long enough passphrase 42"  # the same as testing.api, without importing Django models


class RemoteUser:
    def __init__(self, base_url: str, username: str, token: str, user: dict[str, Any]):
        self.base_url = base_url
        self.username = username
        self.token = token
        self.user = user
        self.http = httpx.Client(
            base_url=base_url + "/api/v1/", headers={"Authorization": f"Token {token}"}, timeout=10
        )

    @classmethod
    def register(cls, base_url: str, username: str | None = None) -> RemoteUser:
        username = username or f"u{uuid.uuid4().hex[:10]}"
        r = httpx.post(f"{base_url}/api/v1/auth/register", json={"username": username, "password": PASSWORD})
        r.raise_for_status()
        body = r.json()
        return cls(base_url, username, body["token"], body["user"])

    def create_room(self, name: str | None = None, **extra: Any) -> dict[str, Any]:
        r = self.http.post("rooms", json={"name": name or f"room-{uuid.uuid4().hex[:8]}", **extra})
        r.raise_for_status()
        return r.json()  # type: ignore[no-any-return]

    def join(self, room_id: int) -> None:
        self.http.post(f"rooms/{room_id}/join").raise_for_status()

    def history(self, room_id: int, **params: Any) -> list[dict[str, Any]]:
        r = self.http.get(f"rooms/{room_id}/messages", params=params)
        r.raise_for_status()
        return r.json()["messages"]  # type: ignore[no-any-return]

    async def socket(self, base_url: str | None = None, *, compact: bool = False) -> Socket:
        """A socket of this user; `compact`: opened with `?wire=compact` (issue 34)."""
        url = (base_url or self.base_url).replace("http://", "ws://") + f"/ws/?token={self.token}"
        if compact:
            url += "&wire=compact"
        ws = await websockets.connect(
            url, origin=Origin(base_url or self.base_url), compression=None, open_timeout=10
        )
        sock = Socket(ws, compact=compact)
        sock.hello = await sock.recv_type("hello")
        return sock


class Socket:
    def __init__(self, ws: Any, *, compact: bool = False):
        self.ws = ws
        self.compact = compact
        self.hello: dict[str, Any] = {}
        self.skipped: list[dict[str, Any]] = []
        self.texts: list[str] = []  # every frame's text as received (its bytes: the wire size)

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(frame))

    async def recv(self, timeout: float = 10) -> dict[str, Any]:
        text = await asyncio.wait_for(self.ws.recv(), timeout)
        self.texts.append(text)
        frame = json.loads(text)
        validate_server_frame(frame, compact=self.compact)
        return frame  # type: ignore[no-any-return]

    async def recv_type(self, kind: str, timeout: float = 10) -> dict[str, Any]:
        for i, frame in enumerate(self.skipped):
            if frame["type"] == kind:
                return self.skipped.pop(i)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = await self.recv(max(0.01, deadline - loop.time()))
            if frame["type"] == kind:
                return frame
            if frame["type"] not in ("ping", "presence"):
                self.skipped.append(frame)

    async def messages(self, n: int, timeout: float = 15) -> list[dict[str, Any]]:
        return [await self.recv_type("message", timeout) for _ in range(n)]

    async def quiet(self, timeout: float = 0.5) -> list[dict[str, Any]]:
        """Frames (other than pings/presence) that arrive within `timeout`."""
        out = [f for f in self.skipped if f["type"] not in ("ping", "presence")]
        self.skipped.clear()
        try:
            while True:
                frame = await self.recv(timeout)
                if frame["type"] not in ("ping", "presence"):
                    out.append(frame)
        except TimeoutError:
            return out

    async def close(self) -> None:
        await self.ws.close()
