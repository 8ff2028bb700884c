"""A minimal RFC 6455 client on an asyncio Protocol (runs on uvloop).

Why not the `websockets` client for the receivers: measured on this machine it
costs ~45 µs of generator CPU per received frame (frame objects, a message
queue and a task wake-up per frame), so at 50,000 deliveries/s the generator,
not the server, would be the bottleneck on a 2-core box. Here every frame is
parsed inline in `data_received` and handed to a callback as bytes (~3 µs).
Server frames are never masked, so parsing is a header and a slice. Client
frames are masked as the RFC requires. No extensions (compression off).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import struct
from urllib.parse import urlsplit

try:
    from websockets.speedups import apply_mask as _c_mask  # C helper shipped with websockets
except ImportError:  # pragma: no cover
    _c_mask = None

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# Parley's keepalive: the server's JSON ping, which a client must answer (docs/protocol.md,
# "Keepalive"), or the server closes a socket that stays silent for two pings.
PARLEY_PING = b'{"type":"ping"}'
PARLEY_PONG = b'{"type":"pong"}'


def _mask(data: bytes, key: bytes) -> bytes:
    if _c_mask is not None:
        return _c_mask(data, key)
    n = len(data)
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


def encode_frame(opcode: int, payload: bytes) -> bytes:
    key = os.urandom(4)
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    return head + key + _mask(payload, key)


class HandshakeError(Exception):
    pass


class FastWS(asyncio.Protocol):
    """on_message(payload: bytes) is called for every text/binary message."""

    def __init__(
        self, on_message, host_header: str, path: str, origin: str | None, answer_pings: bool = False
    ):
        self.on_message = on_message
        # Parley's JSON pings are answered here, not handed to on_message.
        self.answer_pings = answer_pings
        self.req_key = base64.b64encode(os.urandom(16))
        self.host_header = host_header
        self.path = path
        self.origin = origin
        self.transport = None
        self.buf = bytearray()
        self.open = False
        self.handshake: asyncio.Future = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future = asyncio.get_running_loop().create_future()
        self.frag: bytearray | None = None
        self.server_closed = False

    # ------------------------------------------------------------- asyncio
    def connection_made(self, transport) -> None:
        self.transport = transport
        lines = [
            f"GET {self.path} HTTP/1.1",
            f"Host: {self.host_header}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {self.req_key.decode()}",
            "Sec-WebSocket-Version: 13",
        ]
        if self.origin:
            lines.append(f"Origin: {self.origin}")
        transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())

    def connection_lost(self, exc) -> None:
        self.open = False
        if not self.handshake.done():
            self.handshake.set_exception(HandshakeError(f"connection lost: {exc}"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        # fast path: exactly one small complete unfragmented text frame, nothing buffered
        if self.open and not self.buf and len(data) >= 2 and data[0] == 0x81:
            ln = data[1]
            if ln < 126 and len(data) == ln + 2:
                if self.answer_pings and data[2:] == PARLEY_PING:  # else the server closes it, 4009
                    self.transport.write(encode_frame(1, PARLEY_PONG))
                else:
                    self.on_message(data[2:])
                return
            if ln == 126 and len(data) >= 4 and len(data) == ((data[2] << 8) | data[3]) + 4:
                self.on_message(data[4:])
                return
        buf = self.buf
        buf += data
        if not self.open:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buf[:end]).decode("latin-1")
            del buf[: end + 4]
            status = head.split("\r\n", 1)[0]
            if " 101 " not in status + " ":
                self.handshake.set_exception(HandshakeError(status))
                self.transport.close()
                return
            want = base64.b64encode(hashlib.sha1(self.req_key + GUID).digest()).decode()
            if want not in head:
                self.handshake.set_exception(HandshakeError("bad Sec-WebSocket-Accept"))
                self.transport.close()
                return
            self.open = True
            self.handshake.set_result(None)
        # parse as many complete frames as the buffer holds
        pos = 0
        n = len(buf)
        on_message = self.on_message
        while n - pos >= 2:
            b0 = buf[pos]
            ln = buf[pos + 1] & 0x7F
            hl = 2
            if ln == 126:
                if n - pos < 4:
                    break
                ln = (buf[pos + 2] << 8) | buf[pos + 3]
                hl = 4
            elif ln == 127:
                if n - pos < 10:
                    break
                ln = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                hl = 10
            if n - pos < hl + ln:
                break
            payload = bytes(buf[pos + hl : pos + hl + ln])
            pos += hl + ln
            op = b0 & 0x0F
            fin = b0 & 0x80
            if op in (1, 2):
                if fin:
                    if self.answer_pings and payload == PARLEY_PING:
                        self.transport.write(encode_frame(1, PARLEY_PONG))
                    else:
                        on_message(payload)
                else:
                    self.frag = bytearray(payload)
            elif op == 0:
                if self.frag is not None:
                    self.frag += payload
                    if fin:
                        msg, self.frag = bytes(self.frag), None
                        on_message(msg)
            elif op == 9:  # ping -> pong
                self.transport.write(encode_frame(10, payload))
            elif op == 8:  # close -> echo close, then drop
                self.server_closed = True
                if self.open:
                    self.open = False
                    self.transport.write(encode_frame(8, payload[:2]))
                self.transport.close()
                break
        if pos:
            del buf[:pos]

    # ------------------------------------------------------------- API
    def send_text(self, text: str) -> bool:
        if not self.open:
            return False
        self.transport.write(encode_frame(1, text.encode()))
        return True

    def write_buffer_size(self) -> int:
        return self.transport.get_write_buffer_size() if self.transport else 0

    def pause_reading(self) -> None:
        self.transport.pause_reading()

    def close(self) -> None:
        if self.transport and not self.transport.is_closing():
            if self.open:
                self.open = False
                self.transport.write(encode_frame(8, struct.pack("!H", 1000)))
            self.transport.close()

    def abort(self) -> None:
        if self.transport:
            self.transport.abort()


class EngineIO:
    """Engine.IO v4 / Socket.IO v5 over a FastWS socket, the little of it the Socket.IO peer
    needs: the open packet `0{...}` is answered with a connect to the default namespace
    (`40`), the server's `40{...}` says the socket has joined (`ready`), pings (`2`) get a
    pong (`3`) or the server drops the socket after pingInterval + pingTimeout, and event
    packets (`42[...]`) go to `on_message` as they are: the generator finds the body marker
    in the raw text, as for the other servers."""

    __slots__ = ("on_message", "ready", "ws")

    def __init__(self, on_message):
        self.on_message = on_message
        self.ready: asyncio.Future = asyncio.get_running_loop().create_future()
        self.ws: FastWS | None = None

    def __call__(self, data: bytes) -> None:
        if data[:2] == b"42":
            self.on_message(data)
        elif data[:1] == b"2":  # ping
            self.ws.send_text("3")
        elif data[:2] == b"40":  # connected to the namespace (the room is joined by then)
            if not self.ready.done():
                self.ready.set_result(None)
        elif data[:1] == b"0":  # Engine.IO open: connect to the default namespace
            self.ws.send_text("40")
        elif data[:2] == b"44" and not self.ready.done():  # connect refused
            self.ready.set_exception(HandshakeError(data[:200].decode("utf-8", "replace")))
        elif data[:1] == b"1":  # Engine.IO close
            self.ws.close()


async def fast_connect(
    url: str,
    on_message,
    origin: str | None = None,
    timeout: float = 30.0,
    engineio: bool = False,
    answer_pings: bool = False,
) -> FastWS:
    """Open a WebSocket (with `engineio`, a Socket.IO session on it, returned once joined;
    with `answer_pings`, Parley's JSON pings answered with pong)."""
    eio = EngineIO(on_message) if engineio else None
    if eio is not None:
        on_message = eio
    u = urlsplit(url)
    host, port = u.hostname, u.port or 80
    path = (u.path or "/") + (f"?{u.query}" if u.query else "")
    loop = asyncio.get_running_loop()

    def factory() -> FastWS:
        ws = FastWS(on_message, f"{host}:{port}", path, origin, answer_pings)
        if eio is not None:
            eio.ws = ws  # before any byte arrives: the open packet may come with the 101
        return ws

    _, proto = await asyncio.wait_for(loop.create_connection(factory, host, port), timeout)
    try:
        await asyncio.wait_for(asyncio.shield(proto.handshake), timeout)
        if eio is not None:
            await asyncio.wait_for(asyncio.shield(eio.ready), timeout)
    except BaseException:
        proto.abort()
        raise
    return proto
