"""The fallbacks of parley.realtime.internals, where Parley leans on other projects' private
internals: each one keeps the socket (or the request) working through the public path and
says so with one WARNING per process."""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.handlers.asgi import ASGIHandler
from websockets.asyncio.client import connect

from config.asgi import application  # imported here: its django.setup() reconfigures logging
from parley.realtime import internals
from parley.testing.api import make_user, token_for
from parley.testing.ws import WsClient
from parley.ws.tests.test_outgoing import uvicorn_serving

LOGGER = "parley.realtime.internals"


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(internals, "_warned", set())


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]


@database_sync_to_async
def tokens(*names: str) -> list[str]:
    return [token_for(make_user(name)) for name in names]


def wrapping_send(app: Any) -> Any:
    """An ASGI middleware as Sentry's or OpenTelemetry's: it wraps `send` to watch it."""
    seen: list[str] = []

    async def middleware(scope: dict[str, Any], receive: Any, send: Any) -> Any:
        async def watched_send(message: dict[str, Any]) -> None:
            seen.append(message["type"])
            await send(message)

        return await app(scope, receive, watched_send)

    middleware.seen = seen  # type: ignore[attr-defined]
    return middleware


@pytest.mark.django_db(transaction=True)
async def test_behind_an_asgi_middleware_the_socket_works_and_a_warning_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    wrapped = wrapping_send(application)
    first, second = await tokens("first", "second")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        async with uvicorn_serving(wrapped, keep_send=False) as port:
            for token in (first, second):
                url = f"ws://127.0.0.1:{port}/ws/?token={token}"
                async with connect(url, origin="http://127.0.0.1:8000") as ws:  # type: ignore[arg-type]
                    assert json.loads(await ws.recv())["type"] == "hello"
                    await ws.send(json.dumps({"type": "ping"}))
                    # Past the person's own `presence` (protocol 3), which may come first.
                    while (frame := json.loads(await ws.recv()))["type"] == "presence":
                        pass
                    assert frame == {"type": "pong"}
    # Every frame went through the middleware's send, which the raw path would have skipped.
    assert wrapped.seen.count("websocket.send") >= 4  # type: ignore[attr-defined]
    (warning,) = warnings_of(caplog)
    assert "an ASGI middleware" in warning and "wraps the application" in warning


def test_a_uvicorn_whose_protocol_changed_serves_with_its_own(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert internals.websocket_protocol() is internals.LeanWebSocketProtocol
    assert warnings_of(caplog) == []

    class Renamed:  # a uvicorn whose sans-I/O protocol lost a method the lean one overrides
        def send(self) -> None: ...

    monkeypatch.setattr(internals, "WebSocketsSansIOProtocol", Renamed)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert internals.websocket_protocol() == "websockets-sansio"
        assert internals.websocket_protocol() == "websockets-sansio"
    (warning,) = warnings_of(caplog)
    assert "uvicorn's own WebSocket protocol serves" in warning and "handle_connect" in warning


@pytest.mark.django_db(transaction=True)
async def test_another_channels_major_version_runs_channels_own_loop(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import channels

    monkeypatch.setattr(channels, "__version__", "5.0.0")
    (token,) = await tokens("looper")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        client = WsClient(token)
        await client.connect()
        await client.send({"type": "ping"})
        assert (await client.recv_type("pong")) == {"type": "pong"}
        await client.close()
    (warning,) = warnings_of(caplog)
    assert "Channels' own consumer loop runs" in warning and "5.0.0" in warning


def test_a_django_whose_handler_changed_keeps_its_own_methods(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    fitting = internals.django_asgi_handler(view_executor=lambda: None, spill_chunk=1)  # type: ignore[arg-type,return-value]
    assert {"read_body", "listen_for_disconnect", "__call__", "make_view_atomic"} <= set(vars(fitting))

    async def listen_for_disconnect(self: Any, receive: Any, scope: Any) -> None: ...

    with monkeypatch.context() as patched, caplog.at_level(logging.WARNING, logger=LOGGER):
        patched.setattr(ASGIHandler, "listen_for_disconnect", listen_for_disconnect)
        unstreamed = internals.django_asgi_handler(view_executor=lambda: None, spill_chunk=1)  # type: ignore[arg-type,return-value]
    assert "read_body" in vars(unstreamed) and "listen_for_disconnect" not in vars(unstreamed)
    (warning,) = warnings_of(caplog)
    assert "no listen_for_disconnect(self, receive)" in warning
    caplog.clear()

    async def read_body(self: Any, receive: Any, limit: int) -> Any: ...

    monkeypatch.setattr(ASGIHandler, "read_body", read_body)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        changed = internals.django_asgi_handler(view_executor=lambda: None, spill_chunk=1)  # type: ignore[arg-type,return-value]
    assert "read_body" not in vars(changed) and "make_view_atomic" in vars(changed)
    (warning,) = warnings_of(caplog)
    assert "no read_body(self, receive)" in warning


# --- Django: an upload's body read as it arrives (issue 34) --------------------------------


async def test_a_client_that_stalls_mid_body_lets_go_of_the_view_thread() -> None:
    loop = asyncio.get_running_loop()
    sent = [{"type": "http.request", "body": b"x" * 10, "more_body": True}]

    async def receive() -> dict[str, Any]:
        if sent:
            return sent.pop()
        await asyncio.Event().wait()  # the client sends nothing more
        raise AssertionError("unreachable")

    body = internals.StreamedBody(receive, loop, idle_timeout=0.2)
    assert await asyncio.to_thread(body.read, 10) == b"x" * 10
    with pytest.raises(internals.ClientGone):
        await asyncio.wait_for(asyncio.to_thread(body.read, 10), 5)
    with pytest.raises(RuntimeError):  # never on the event loop: it would wait for itself
        internals.StreamedBody(receive, loop).read(10)


async def test_at_most_max_streams_bodies_are_streamed_at_once_the_rest_spooled() -> None:
    handler_class = internals.django_asgi_handler(
        view_executor=lambda: None,  # type: ignore[arg-type,return-value]
        spill_chunk=1,
        streams_body=lambda scope: True,
        max_streams=lambda: 1,
    )
    handler = handler_class()
    scope = {"type": "http", "method": "POST", "path": "/x", "headers": [(b"content-length", b"9999999")]}
    small = {**scope, "headers": [(b"content-length", b"10")]}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"0123456789", "more_body": False}

    async def read(scope: dict[str, Any]) -> Any:
        internals._scope.set(scope)
        return await handler.read_body(receive)

    assert isinstance(await asyncio.create_task(read(small)), tempfile.SpooledTemporaryFile)
    assert isinstance(await asyncio.create_task(read(scope)), internals.StreamedBody)
    assert isinstance(await asyncio.create_task(read(scope)), tempfile.SpooledTemporaryFile)  # one at a time
