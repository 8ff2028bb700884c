"""Outgoing frames, encoded once, and a direct path to uvicorn's transport.

Server-to-client WebSocket frames are not masked and Parley does not compress
them, so the bytes of a frame are the same for every socket. An event is
encoded to JSON once (by the service that published it) and to a WebSocket
frame once per process (`Outgoing.raw`); under uvicorn's sans-I/O protocol
those bytes are written straight to each socket's transport while it is
writable. Elsewhere (tests, other servers) frames go through the ASGI `send`.

The direct path relies on uvicorn's private attributes and websockets' `State`
enum, so both are pinned exactly in pyproject.toml and
`parley/realtime/tests/test_outgoing.py` fails when a real uvicorn server does
not take it. If a different uvicorn is installed anyway, `RawWriter.for_send`
falls back to the ASGI `send` and logs a warning, once per process, that says why.
"""

from __future__ import annotations

import logging
import struct
from typing import Any

try:  # the sans-I/O protocol uvicorn uses for WebSockets
    from websockets.protocol import State

    OPEN: Any = State.OPEN
except ImportError:  # pragma: no cover - websockets is a dependency of uvicorn[standard]
    OPEN = None

log = logging.getLogger(__name__)

# What RawWriter uses of uvicorn's WebSocketsSansIOProtocol (uvicorn 0.54.0).
SANSIO_PROTOCOL = "WebSocketsSansIOProtocol"
SANSIO_ATTRIBUTES = ("conn", "transport", "writable", "close_sent", "disconnected", "handshake_complete")

_reported: set[str] = set()  # reasons already logged by this process


class Outgoing:
    """One frame's text and, computed on first use, its WebSocket encoding.

    The frame header (FIN + text opcode, unmasked, 7/16/64-bit length, RFC 6455
    section 5.2) is written by hand rather than with `websockets.frames.Frame.serialize`:
    it is three cases, it keeps this module independent of a second websockets
    API whose signature has changed between releases, and a byte-exact test
    against `Frame(...).serialize(mask=False, extensions=[])` pins it
    (`test_outgoing.py`). Cost was not the reason: measured here, encoding a
    2 KB frame took about 1.0 µs by hand and 2.2 µs with websockets, and it
    happens once per process per event.
    """

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
        """The writer behind an ASGI `send`, when it is uvicorn's sans-I/O protocol.

        None for any other server (the ASGI `send` is then the only path). Under
        uvicorn, None also when the protocol is not what this was built for; the
        reason is logged as a warning once per process.
        """
        proto = getattr(send, "__self__", None)
        if proto is None or not any(cls.__module__.startswith("uvicorn.") for cls in type(proto).__mro__):
            return None
        reason = cls.unusable_because(proto)
        if reason is not None:
            if reason not in _reported:
                _reported.add(reason)
                log.warning("WebSocket frames go through the slower ASGI send: %s", reason)
            return None
        return cls(proto)

    @staticmethod
    def unusable_because(proto: Any) -> str | None:
        """Why frames cannot be written to this uvicorn protocol directly, or None if they can."""
        import uvicorn

        name = type(proto).__name__
        # uvicorn's class or a subclass of it (parley.realtime.leanws: a lighter receive queue)
        if SANSIO_PROTOCOL not in {cls.__name__ for cls in type(proto).__mro__}:
            return (
                f"uvicorn {uvicorn.__version__} serves WebSockets with {name}, not {SANSIO_PROTOCOL} "
                "(start it through parley.serve, which sets ws to parley.realtime.leanws's subclass of it)"
            )
        missing = [attr for attr in SANSIO_ATTRIBUTES if not hasattr(proto, attr)]
        if missing:
            return (
                f"uvicorn {uvicorn.__version__}'s {SANSIO_PROTOCOL} has no {', '.join(missing)} "
                "(RawWriter was built for uvicorn 0.54.0; see the pin in pyproject.toml)"
            )
        if OPEN is None or not isinstance(proto.conn.state, type(OPEN)):
            return (
                f"the connection's state is {type(proto.conn.state).__name__}, "
                "not websockets.protocol.State (RawWriter was built for websockets 17.4)"
            )
        return None

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
