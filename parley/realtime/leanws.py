"""uvicorn's sans-I/O WebSocket protocol with a lighter receive queue (issue 18).

Every open socket holds one uvicorn protocol object, and that object holds an
`asyncio.Queue` for the ASGI `receive()`: three deques and an `Event` with a
fourth, about 3 KiB of an idle socket's memory (tracemalloc, docs/performance.md,
"Issue 18: memory per idle socket"). The queue has one reader (the application's
`receive()`, never two at once) and uvicorn uses only `put_nowait`, `get` and
`empty`, so a list and one future do the same job: items in arrival order, the
reader woken by the next put, nothing dropped. Everything else is uvicorn's code.

One more departure: a text message that is not UTF-8 closes the socket with 1007 as
uvicorn does, but is logged as the peer's doing (INFO, one line), not as a server ERROR
with a traceback: any client could otherwise fill the error log at will (issue 27).

`parley.serve` starts uvicorn with `ws="parley.realtime.leanws:LeanWebSocketProtocol"`;
the raw frame writer (`outgoing.RawWriter`) accepts this subclass like its parent.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


class LeanQueue:
    """`asyncio.Queue`'s put_nowait / get / empty / qsize for a single reader."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[Any] | None = None
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        items = self._items
        if items is None:
            self._items = [item]
        else:
            items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> Any:
        while not self._items:
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        items = self._items
        item = items.pop(0)
        if not items:
            self._items = None
        return item

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items or ())


def _utf8(frames: list[Any]) -> bool:
    """Whether the message's frames are valid UTF-8 (decoded again by uvicorn: frames are at
    most 64 KiB, and a client's sends are rate-limited, so the second pass costs little)."""
    try:
        (frames[0] if len(frames) == 1 else b"".join(frames)).decode()
    except UnicodeDecodeError:
        return False
    return True


class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's WebSocketsSansIOProtocol, its receive queue a `LeanQueue`, and the
    handshake let go of once it is answered."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = LeanQueue()  # type: ignore[assignment]

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.accept" and self.handshake_complete:
            self._forget_handshake()

    def send_receive_event_to_app(self) -> None:
        """Hand a complete message to the app; invalid UTF-8 in a text message closes with 1007."""
        if self.curr_msg_data_type == "text" and not self.close_sent and not _utf8(self.frames):
            self.frames = []
            prefix = f"{self.client[0]}:{self.client[1]} - " if self.client else ""
            self.logger.info("%sWebSocket closed (1007): the client sent invalid UTF-8", prefix)
            self.conn.send_close(1007)
            self.handle_parser_exception()
            return
        super().send_receive_event_to_app()

    def _forget_handshake(self) -> None:
        """Drop what only the handshake needed, about 4 KiB a socket kept for its whole life.

        uvicorn keeps the websockets `Request` and `Response` (with their `Headers`) after
        the 101 is sent, and websockets' parser keeps the request as a local of the
        generator that then parses every frame; the scope's header list is shared by every
        ASGI layer's scope copy. Parley reads request headers only while connecting (the
        auth middleware, the origin check, the consumer's `connect`), so once the socket
        is accepted the header collections are emptied in place, which frees their strings
        wherever they are referenced. Path and query string stay for uvicorn's logs."""
        request = getattr(self, "request", None)
        if request is not None:
            request.headers.clear()
            self.request = None  # type: ignore[assignment]
        self.response = None  # type: ignore[assignment]
        headers = self.scope.get("headers")
        if isinstance(headers, list):
            headers.clear()
