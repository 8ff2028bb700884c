"""The receive queue parley.serve gives uvicorn's WebSocket protocol (parley.realtime.internals)."""

from __future__ import annotations

import asyncio

from parley.realtime.internals import LeanQueue, LeanWebSocketProtocol


async def test_items_come_out_in_the_order_they_went_in() -> None:
    q = LeanQueue()
    assert q.empty()
    for n in range(5):
        q.put_nowait(n)
    assert q.qsize() == 5
    assert [await q.get() for _ in range(5)] == [0, 1, 2, 3, 4]
    assert q.empty()


async def test_a_waiting_reader_is_woken_by_the_next_put() -> None:
    q = LeanQueue()
    reader = asyncio.ensure_future(q.get())
    await asyncio.sleep(0)  # one turn of the loop (no time passes): the reader is now waiting
    assert not reader.done()
    q.put_nowait({"type": "websocket.receive", "text": "hi"})
    q.put_nowait({"type": "websocket.disconnect", "code": 1000})
    assert await asyncio.wait_for(reader, 1) == {"type": "websocket.receive", "text": "hi"}
    assert await asyncio.wait_for(q.get(), 1) == {"type": "websocket.disconnect", "code": 1000}


async def test_a_cancelled_read_loses_nothing() -> None:
    q = LeanQueue()
    reader = asyncio.ensure_future(q.get())
    await asyncio.sleep(0)  # one turn of the loop (no time passes): the reader is now waiting
    reader.cancel()
    await asyncio.gather(reader, return_exceptions=True)
    q.put_nowait("kept")
    assert await asyncio.wait_for(q.get(), 1) == "kept"


async def test_the_handshake_is_let_go_once_accepted_and_the_socket_works_on() -> None:
    """A real uvicorn with this protocol (as `parley.serve` starts it): the app reads the
    request headers while connecting, as Parley's layers do; after the accept the protocol
    keeps no request or response, the scope every layer shares is left as it was (its
    headers still readable, the protocol's marker in its extensions), and frames flow."""
    import socket

    import uvicorn
    from websockets.asyncio.client import connect

    seen: dict[str, object] = {}

    async def app(scope: dict, receive: object, send: object) -> None:
        assert scope["type"] == "websocket"
        await receive()  # type: ignore[operator]
        seen["before"] = dict(scope["headers"]).get(b"x-probe")
        await send({"type": "websocket.accept"})  # type: ignore[operator]
        while True:
            message = await receive()  # type: ignore[operator]
            if message["type"] != "websocket.receive":
                return
            seen["after"] = dict(scope["headers"]).get(b"x-probe")
            seen["marked"] = "parley.leanws" in scope["extensions"]
            await send({"type": "websocket.send", "text": message["text"].upper()})  # type: ignore[operator]

    # Bound and listening before uvicorn starts: the port is ours (no pick-then-bind race)
    # and a connection made before the server is serving waits in the backlog.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", ws=LeanWebSocketProtocol)
    server = uvicorn.Server(config)
    serving = asyncio.ensure_future(server.serve(sockets=[listener]))
    try:
        async with connect(
            f"ws://127.0.0.1:{port}/", additional_headers={"X-Probe": "kept until accepted"}
        ) as ws:
            await ws.send("hello")
            assert await asyncio.wait_for(ws.recv(), 5) == "HELLO"
            (protocol,) = server.server_state.connections
            assert isinstance(protocol, LeanWebSocketProtocol)
            assert protocol.request is None and protocol.response is None
            await ws.send("again")
            assert await asyncio.wait_for(ws.recv(), 5) == "AGAIN"
        assert seen == {"before": b"kept until accepted", "after": b"kept until accepted", "marked": True}
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 10)
        listener.close()
