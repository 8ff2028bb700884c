"""The raw frame path: byte-exact frames, and a real uvicorn that takes the fast path.

The server runs in this process, on the test's event loop, with the protocol
options `parley.serve` gives uvicorn; no subprocess, so it belongs to `make test-fast`.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import uvicorn
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedOK
from websockets.frames import Frame, Opcode

from parley.realtime.internals import RawWriter
from parley.realtime.outgoing import Outgoing
from parley.serve import PROTOCOL_OPTIONS
from parley.testing.waits import wait_until_async


def text_of(size: int) -> str:
    """A string whose UTF-8 encoding is exactly `size` bytes, non-ASCII when it can be."""
    if size < 3:
        return "a" * size
    rest = size - 3
    text = "✓" + "é" * (rest // 2) + "a" * (rest % 2)
    assert len(text.encode()) == size
    return text


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_frame_bytes_equal_websockets_serialization(size: int) -> None:
    payload = text_of(size)
    expected = Frame(Opcode.TEXT, payload.encode()).serialize(mask=False, extensions=[])
    assert Outgoing(payload).raw == expected


def test_a_concatenation_of_frames_is_sent_as_it_is() -> None:
    raw = Outgoing("a").raw + Outgoing("b").raw
    assert Outgoing.from_raw(raw).raw == raw


SIZES = [0, 125, 126, 65535, 65536]


def writing_app(report: dict[str, Any]) -> Any:
    """Accepts, writes SIZES' texts through RawWriter when it can, then closes."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "websocket"
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        writer = RawWriter.for_send(scope["parley.raw_send"])
        report["writer"] = writer
        report["ready"] = writer is not None and writer.ready()
        if writer is not None:
            report["reason"] = None
        else:
            report["reason"] = RawWriter.unusable_because(scope["parley.raw_send"].__self__)
        if report["ready"]:
            assert writer is not None
            for size in SIZES:
                writer.write(Outgoing(text_of(size)).raw)
        await send({"type": "websocket.close", "code": 1000})

    return app


def keeping_the_server_send(app: Any) -> Any:
    """Outermost, as ParleyApplication is: keeps the server's own `send` in the scope."""

    async def outer(scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket":
            scope = {**scope, "parley.raw_send": send}
        return await app(scope, receive, send)

    return outer


@asynccontextmanager
async def uvicorn_serving(app: Any, *, keep_send: bool = True, **overrides: Any) -> AsyncIterator[int]:
    """A uvicorn server on this event loop and a free loopback port; yields the port.
    `keep_send`: the server's `send` is put in the scope outermost (else `app` is served as is)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    options = {**PROTOCOL_OPTIONS, **overrides}
    config = uvicorn.Config(
        keeping_the_server_send(app) if keep_send else app,
        lifespan="off",
        log_level="warning",
        access_log=False,
        **options,
    )
    server = uvicorn.Server(config)
    task = asyncio.ensure_future(server.serve(sockets=[sock]))
    try:

        def started() -> bool:
            assert not task.done(), "uvicorn stopped while starting"
            return bool(server.started)

        await wait_until_async(started, timeout=10, what="uvicorn to start")
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()


async def receive_all(port: int) -> tuple[list[str | bytes], int | None]:
    received: list[str | bytes] = []
    async with connect(f"ws://127.0.0.1:{port}/", max_size=None, compression=None) as ws:
        try:
            async with asyncio.timeout(10):
                while True:
                    received.append(await ws.recv())
        except ConnectionClosedOK:
            pass
        return received, ws.close_code


async def test_uvicorn_as_parley_serves_it_takes_the_fast_path() -> None:
    report: dict[str, Any] = {}
    async with uvicorn_serving(writing_app(report)) as port:
        received, close_code = await receive_all(port)
    assert report["writer"] is not None, f"RawWriter fell back to the ASGI send: {report['reason']}"
    assert report["ready"], "RawWriter.ready() is False on a freshly accepted socket"
    assert received == [text_of(size) for size in SIZES]
    assert close_code == 1000


@pytest.mark.filterwarnings(
    "ignore::DeprecationWarning", "ignore:The `websockets` implementation is deprecated"
)
async def test_another_uvicorn_websocket_protocol_falls_back_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The legacy `websockets` implementation has no sans-I/O connection to write to.

    The warning is logged once per process and reason; no other test uses this protocol.
    """
    report: dict[str, Any] = {}
    with caplog.at_level(logging.WARNING, logger="parley.realtime.internals"):
        async with uvicorn_serving(writing_app(report), ws="websockets") as port:
            received, close_code = await receive_all(port)
    assert report["writer"] is None
    assert received == []
    assert close_code == 1000
    warnings = [r.getMessage() for r in caplog.records if r.name == "parley.realtime.internals"]
    assert warnings == [f"WebSocket frames go through the slower ASGI send: {report['reason']}"]
    assert "WebSocketProtocol, not WebSocketsSansIOProtocol" in report["reason"]
