"""Outgoing frames, encoded once, and a direct path to uvicorn's transport.

Server-to-client WebSocket frames are not masked and Parley does not compress
them, so the bytes of a frame are the same for every socket. An event is
encoded to JSON once (by the service that published it) and to a WebSocket
frame once per process (`Outgoing.raw`); under uvicorn's sans-I/O protocol
those bytes are written straight to each socket's transport while it is
writable. Elsewhere (tests, other servers) frames go through the ASGI `send`.
"""

from __future__ import annotations

import struct
from typing import Any

try:  # the sans-I/O protocol uvicorn uses for WebSockets
    from websockets.protocol import State

    OPEN: Any = State.OPEN
except ImportError:  # pragma: no cover - websockets is a dependency of uvicorn[standard]
    OPEN = object()


class Outgoing:
    """One frame's text and, computed on first use, its WebSocket encoding."""

    __slots__ = ("_raw", "text")

    def __init__(self, text: str):
        self.text = text
        self._raw: bytes | None = None

    @classmethod
    def from_raw(cls, raw: bytes) -> Outgoing:
        """Already-encoded frames (several, concatenated); only a raw writer sends these."""
        out = cls("")
        out._raw = raw
        return out

    @property
    def raw(self) -> bytes:
        raw = self._raw
        if raw is None:
            payload = self.text.encode()
            n = len(payload)
            if n < 126:
                header = bytes((0x81, n))
            elif n < 65536:
                header = struct.pack("!BBH", 0x81, 126, n)
            else:
                header = struct.pack("!BBQ", 0x81, 127, n)
            raw = self._raw = header + payload
        return raw


class RawWriter:
    """Writes finished frames to a uvicorn sans-I/O WebSocket connection's transport."""

    __slots__ = ("proto",)

    def __init__(self, proto: Any):
        self.proto = proto

    @classmethod
    def for_send(cls, send: Any) -> RawWriter | None:
        """The writer behind an ASGI `send`, when it is uvicorn's sans-I/O protocol."""
        proto = getattr(send, "__self__", None)
        needed = ("conn", "transport", "writable", "close_sent", "disconnected", "handshake_complete")
        if proto is None or not all(hasattr(proto, name) for name in needed):
            return None
        if type(proto).__name__ != "WebSocketsSansIOProtocol":
            return None
        return cls(proto)

    def ready(self) -> bool:
        """True when a frame written now goes out in order and without blocking."""
        p = self.proto
        return (
            p.handshake_complete
            and not p.close_sent
            and not p.disconnected
            and p.writable.is_set()
            and p.conn.state is OPEN
        )

    async def wait_writable(self) -> None:
        await self.proto.writable.wait()

    def write(self, data: bytes) -> None:
        self.proto.transport.write(data)


class RawSendMiddleware:
    """Outermost ASGI wrapper: keeps the server's own `send` in the scope for RawWriter."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope.get("type") == "websocket":
            scope = {**scope, "parley.raw_send": send}
        return await self.app(scope, receive, send)
