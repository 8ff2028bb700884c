"""Outgoing frames, encoded once.

Server-to-client WebSocket frames are not masked and Parley does not compress
them, so the bytes of a frame are the same for every socket. An event is
encoded to JSON once (by the service that published it) and to a WebSocket
frame once per process (`Outgoing.raw`); under uvicorn's sans-I/O protocol
those bytes are written straight to each socket's transport while it is
writable (`parley.realtime.internals.RawWriter`, which holds every use of
uvicorn's private attributes). Elsewhere (tests, other servers, an ASGI
middleware around the application) frames go through the ASGI `send`.

A socket that asked for the compact form (`?wire=compact`, `parley.realtime.compact`)
gets `Outgoing.compact`: the same event's compact frame, made on first use and then
shared by every compact socket of the process, so the fan-out does no JSON work per
socket in either form.
"""

from __future__ import annotations

import struct

from parley.realtime.compact import compact_text


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

    __slots__ = ("_compact", "_raw", "text")

    def __init__(self, text: str):
        self.text = text
        self._raw: bytes | None = None
        self._compact: Outgoing | None = None

    @classmethod
    def from_raw(cls, raw: bytes) -> Outgoing:
        """Already-encoded frames (several, concatenated); only a raw writer sends these."""
        out = cls("")
        out._raw = raw
        return out

    @property
    def compact(self) -> Outgoing:
        """This frame in the compact form (itself when it has none): made once, on first use."""
        out = self._compact
        if out is None:
            text = compact_text(self.text)
            if text is self.text:  # no compact form (a prefix test, not cached: no cycle to self)
                return self
            out = self._compact = Outgoing(text)
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
