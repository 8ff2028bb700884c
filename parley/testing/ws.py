"""A WebSocket test client over Channels' communicator that checks every frame
the server sends against the protocol's declared server frames."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from channels.testing import WebsocketCommunicator

from parley.realtime.protocol import validate_server_frame

ORIGIN = (b"origin", b"http://127.0.0.1:8000")


class WsClient:
    def __init__(
        self,
        token: str | None = None,
        *,
        headers: list[tuple[bytes, bytes]] | None = None,
        compact: bool = False,
    ):
        from config.asgi import application

        path = f"/ws/?token={token}" if token else "/ws/"
        if compact:  # the compact wire form (issue 34): its frames are checked as such
            path += ("&" if token else "?") + "wire=compact"
        self.compact = compact
        self.texts: list[str] = []  # every frame's text as received
        self.comm = WebsocketCommunicator(
            application, path, headers=headers if headers is not None else [ORIGIN]
        )
        self.hello: dict[str, Any] | None = None
        self.seen: list[dict[str, Any]] = []
        self.skipped: list[dict[str, Any]] = []  # frames recv_type passed over, still to be read

    async def connect(self, *, expect_hello: bool = True) -> tuple[bool, int | str | None]:
        ok, code = await self.comm.connect(timeout=10)
        if ok and expect_hello:
            self.hello = await self.recv()
            assert self.hello["type"] == "hello", self.hello
        return ok, code

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self.comm.send_to(text_data=frame if isinstance(frame, str) else json.dumps(frame))

    async def send_bytes(self, data: bytes) -> None:
        await self.comm.send_to(bytes_data=data)

    async def recv(self, timeout: float = 5) -> dict[str, Any]:
        out = await self.comm.receive_output(timeout)
        if out["type"] == "websocket.close":
            raise ConnectionError(f"closed with {out.get('code')}")
        self.texts.append(out["text"])
        frame = json.loads(out["text"])
        validate_server_frame(frame, compact=self.compact)  # every emitted frame must be declared
        self.seen.append(frame)
        return frame  # type: ignore[no-any-return]

    async def recv_type(self, kind: str, timeout: float = 5) -> dict[str, Any]:
        """The next frame of `kind`; frames of other types are kept for later calls."""
        for i, frame in enumerate(self.skipped):
            if frame["type"] == kind:
                return self.skipped.pop(i)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise TimeoutError(f"no {kind} frame; got {[f['type'] for f in self.skipped]}")
            frame = await self.recv(left)
            if frame["type"] == kind:
                return frame
            if frame["type"] not in ("ping", "presence"):
                self.skipped.append(frame)

    async def messages(self, n: int, timeout: float = 10) -> list[dict[str, Any]]:
        return [await self.recv_type("message", timeout) for _ in range(n)]

    async def expect_close(self, timeout: float = 5) -> int | None:
        while True:
            out = await self.comm.receive_output(timeout)
            if out["type"] == "websocket.close":
                return out.get("code")  # type: ignore[no-any-return]

    async def nothing(self, timeout: float = 0.3, ignore: tuple[str, ...] = ("presence", "ping")) -> None:
        """Assert no frame (other than `ignore`d ones) arrives within `timeout`.

        Uses receive_nothing: a timed-out receive_output would cancel the consumer.
        """
        leftover = [f for f in self.skipped if f["type"] not in ignore]
        assert not leftover, leftover
        self.skipped.clear()
        while not await self.comm.receive_nothing(timeout):
            frame = await self.recv()
            assert frame["type"] in ignore, frame

    async def close(self) -> None:
        await self.comm.disconnect()
