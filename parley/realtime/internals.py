"""Every use Parley makes of other projects' private internals, in one module.

Four shortcuts, each measured (docs/performance.md) and each with a fallback to the public
path that keeps working, announced by a WARNING logged once per process and reason:

- **uvicorn + websockets, the raw frame writer** (`RawWriter`): finished frames written
  straight to uvicorn's transport, past the ASGI `send`. Fallback: the ASGI `send` (when
  the server is not uvicorn's sans-I/O protocol, when it lacks an attribute used here, and
  when an ASGI middleware such as Sentry's or OpenTelemetry's wraps the application, whose
  `send` must then see every frame).
- **uvicorn, the lean WebSocket protocol** (`LeanWebSocketProtocol`): uvicorn's sans-I/O
  protocol with a one-reader receive queue, letting go of the handshake once accepted.
  Fallback: uvicorn's own protocol (`websocket_protocol()` chooses; `parley.serve` asks it).
- **Channels, the consumer's loop** (`LeanConsumerLoop`): reads `receive()` and dispatches
  without Channels' per-socket task and its per-message thread hop. Fallback: Channels'
  own loop (another Channels major version, or a channel layer configured).
- **Django, the ASGI handler** (`django_asgi_handler`): the request body's disk writes and
  the sync views on fixed threads; an upload's body read by its view as it arrives.
  Fallback: Django's own `read_body` / `listen_for_disconnect` / `make_view_atomic`.

No shortcut changes what another layer sees: the ASGI scope given to the application is
never modified after the application has it (the lean protocol adds its marker while it
builds the scope, before any layer runs). `make test-upstream` runs the tests of these
paths against the newest uvicorn and websockets (docs/upstream.md). This module imports no
Parley app: it is part of the realtime layer.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import io
import logging
import tempfile
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from typing import Any

from django.core.files.uploadhandler import StopUpload

log = logging.getLogger(__name__)

_warned: set[str] = set()


def warn_once(message: str) -> None:
    """Log `message` as a WARNING the first time this process meets it."""
    if message not in _warned:
        _warned.add(message)
        log.warning("%s", message)


# --- uvicorn + websockets: the raw frame writer ------------------------------------------

try:  # the sans-I/O protocol uvicorn uses for WebSockets
    from websockets.protocol import State

    OPEN: Any = State.OPEN
except ImportError:  # pragma: no cover - websockets is a dependency of uvicorn[standard]
    OPEN = None

# What RawWriter uses of uvicorn's WebSocketsSansIOProtocol (built for uvicorn 0.54.0).
SANSIO_PROTOCOL = "WebSocketsSansIOProtocol"
SANSIO_ATTRIBUTES = ("conn", "transport", "writable", "close_sent", "disconnected", "handshake_complete")
# Put in the scope's `extensions` by LeanWebSocketProtocol while it builds the scope: the
# server is Parley's uvicorn protocol, so a `send` that is not its own means a middleware.
LEAN_EXTENSION = "parley.leanws"


def _is_uvicorn(obj: Any) -> bool:
    return any(cls.__module__.startswith("uvicorn.") for cls in type(obj).__mro__)


class RawWriter:
    """Writes finished frames to a uvicorn sans-I/O WebSocket connection's transport."""

    __slots__ = ("proto",)

    def __init__(self, proto: Any):
        self.proto = proto

    @classmethod
    def for_send(cls, send: Any, scope: dict[str, Any] | None = None) -> RawWriter | None:
        """The writer behind an ASGI `send`, when it is uvicorn's sans-I/O protocol's own.

        None for any other server (the ASGI `send` is then the only path). None, with a
        warning once per process and reason, when uvicorn's protocol is not what this was
        built for, or when `scope` shows Parley's protocol serving but `send` is not its own:
        an ASGI middleware wraps the application and its `send` must see every frame."""
        proto = getattr(send, "__self__", None)
        if proto is None or not _is_uvicorn(proto):
            if scope is not None and LEAN_EXTENSION in (scope.get("extensions") or {}):
                warn_once(
                    "WebSocket frames go through the slower ASGI send: an ASGI middleware "
                    f"({_describe(send)}) wraps the application, so its send must see every frame"
                )
            return None
        reason = cls.unusable_because(proto)
        if reason is not None:
            warn_once(f"WebSocket frames go through the slower ASGI send: {reason}")
            return None
        return cls(proto)

    @staticmethod
    def unusable_because(proto: Any) -> str | None:
        """Why frames cannot be written to this uvicorn protocol directly, or None if they can."""
        import uvicorn

        name = type(proto).__name__
        # uvicorn's class or a subclass of it (LeanWebSocketProtocol below)
        if SANSIO_PROTOCOL not in {cls.__name__ for cls in type(proto).__mro__}:
            return (
                f"uvicorn {uvicorn.__version__} serves WebSockets with {name}, not {SANSIO_PROTOCOL} "
                "(start it through parley.serve, which sets ws to parley.realtime.internals's subclass of it)"
            )
        missing = [attr for attr in SANSIO_ATTRIBUTES if not hasattr(proto, attr)]
        if missing:
            return (
                f"uvicorn {uvicorn.__version__}'s {SANSIO_PROTOCOL} has no {', '.join(missing)} "
                "(RawWriter was built for uvicorn 0.54.0; make test-upstream checks newer ones)"
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


def _describe(send: Any) -> str:
    owner = getattr(send, "__self__", None)
    if owner is not None:
        return f"{type(owner).__module__}.{type(owner).__qualname__}"
    return f"{getattr(send, '__module__', '?')}.{getattr(send, '__qualname__', type(send).__name__)}"


# --- uvicorn: the lean WebSocket protocol --------------------------------------------------


class LeanQueue:
    """`asyncio.Queue`'s put_nowait / get / empty / qsize for a single reader.

    Every open socket holds one uvicorn protocol object, and that object holds an
    `asyncio.Queue` for the ASGI `receive()`: three deques and an `Event` with a fourth,
    about 3 KiB of an idle socket's memory (docs/performance.md, "Issue 18: memory per
    idle socket"). The queue has one reader (the application's `receive()`, never two at
    once) and uvicorn uses only `put_nowait`, `get` and `empty`, so a list and one future
    do the same job: items in arrival order, the reader woken by the next put."""

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


try:
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
except ImportError:  # pragma: no cover - a uvicorn without the sans-I/O protocol
    WebSocketsSansIOProtocol = None  # type: ignore[assignment,misc]

# What LeanWebSocketProtocol overrides or reads of uvicorn's class.
LEAN_HOOKS = ("handle_connect", "send", "run_asgi", "send_receive_event_to_app", "connection_lost")


def lean_protocol_unusable_because() -> str | None:
    """Why uvicorn's sans-I/O protocol cannot be subclassed as below, or None."""
    import uvicorn

    if WebSocketsSansIOProtocol is None:
        return f"uvicorn {uvicorn.__version__} has no websockets_sansio_impl.{SANSIO_PROTOCOL}"
    missing = [name for name in LEAN_HOOKS if not callable(getattr(WebSocketsSansIOProtocol, name, None))]
    if missing:
        return f"uvicorn {uvicorn.__version__}'s {SANSIO_PROTOCOL} has no {', '.join(missing)}"
    return None


def _utf8(frames: list[Any]) -> bool:
    """Whether a text message's frames are valid UTF-8 (decoded again by uvicorn: frames are
    at most 64 KiB, and a client's sends are rate-limited, so the second pass costs little)."""
    try:
        (frames[0] if len(frames) == 1 else b"".join(frames)).decode()
    except UnicodeDecodeError:
        return False
    return True


if WebSocketsSansIOProtocol is not None:

    class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
        """uvicorn's WebSocketsSansIOProtocol with a `LeanQueue` for `receive()`, a marker in
        the scope's extensions (for RawWriter), and the handshake let go of once answered."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            if isinstance(getattr(self, "queue", None), asyncio.Queue):
                self.queue = LeanQueue()  # type: ignore[assignment]
            else:
                warn_once(
                    f"uvicorn's {SANSIO_PROTOCOL}.queue is not an asyncio.Queue: its own receive "
                    "queue is kept (about 3 KiB more per idle socket)"
                )

        def handle_connect(self, event: Any) -> None:
            super().handle_connect(event)
            scope = getattr(self, "scope", None)
            # The application task is created but has not run: the scope is still being built.
            if isinstance(scope, dict) and isinstance(scope.get("extensions"), dict):
                scope["extensions"] = {**scope["extensions"], LEAN_EXTENSION: {}}

        async def send(self, message: Any) -> None:
            await super().send(message)
            if message["type"] == "websocket.accept" and getattr(self, "handshake_complete", False):
                self._forget_handshake()

        def send_receive_event_to_app(self) -> None:
            """Hand a complete message to the app. A text message that is not UTF-8 closes the
            socket with 1007 as uvicorn does, but is logged as the peer's doing (INFO, one
            line), not as a server ERROR with a traceback: any client could otherwise fill the
            error log at will (issue 27)."""
            frames = getattr(self, "frames", None)
            if (
                getattr(self, "curr_msg_data_type", None) == "text"
                and not getattr(self, "close_sent", True)
                and isinstance(frames, list)
                and not _utf8(frames)
            ):
                self.frames = []
                client = getattr(self, "client", None)
                prefix = f"{client[0]}:{client[1]} - " if client else ""
                self.logger.info("%sWebSocket closed (1007): the client sent invalid UTF-8", prefix)
                self.conn.send_close(1007)
                self.handle_parser_exception()
                return
            super().send_receive_event_to_app()

        def _forget_handshake(self) -> None:
            """Drop the handshake's request and response (about 3 KiB a socket otherwise kept
            for its whole life). uvicorn keeps websockets' `Request` and `Response` after the
            101 is sent, and websockets' parser keeps the request as a local of the generator
            that then parses every frame, so the request's `Headers` are emptied too: those
            are websockets' objects, held by this protocol alone. The ASGI scope, which every
            layer shares, is left as it is (its header list is the application's to read)."""
            request = getattr(self, "request", None)
            if request is not None:
                clear = getattr(getattr(request, "headers", None), "clear", None)
                if callable(clear):
                    clear()
                else:
                    warn_once("websockets' Request.headers has no clear(): the handshake headers stay")
                self.request = None  # type: ignore[assignment]
            if hasattr(self, "response"):
                self.response = None  # type: ignore[assignment]

else:  # pragma: no cover - see websocket_protocol()
    LeanWebSocketProtocol = None  # type: ignore[assignment,misc]


def websocket_protocol() -> Any:
    """What `parley.serve` gives uvicorn as `ws`: the lean protocol, or, when uvicorn's
    class is not what it was built for, uvicorn's own choice (with a warning)."""
    reason = lean_protocol_unusable_because()
    if reason is None:
        return LeanWebSocketProtocol
    warn_once(f"uvicorn's own WebSocket protocol serves (more memory per idle socket): {reason}")
    return "websockets-sansio" if WebSocketsSansIOProtocol is not None else "auto"


# --- Channels: the consumer's loop ---------------------------------------------------------


def channels_loop_unusable_because() -> str | None:
    """Why LeanConsumerLoop cannot replace Channels' loop in this install, or None."""
    import channels

    major = str(getattr(channels, "__version__", "0")).split(".")[0]
    if major != "4":
        return (
            f"Channels {channels.__version__}: the consumer's own loop was written for Channels 4's "
            "AsyncConsumer.__call__ (scope, channel_layer, base_send)"
        )
    return None


class LeanConsumerLoop:
    """A mixin for an AsyncConsumer without a channel layer: Channels' loop (`__call__`,
    `dispatch`) without the task it keeps per socket around `receive()` (a task, its
    coroutine and a context copy for every idle connection) and without the per-message
    thread hop of `dispatch` (`close_old_connections` on the one shared sync thread; every
    database call of the consumer goes through `database_sync_to_async`, which closes stale
    connections on the thread it runs on). With a channel layer configured, or on another
    Channels major version (a warning says so), Channels' own loop runs."""

    channel_layer_alias: str

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        from channels.exceptions import StopConsumer
        from channels.layers import get_channel_layer

        reason = channels_loop_unusable_because()
        if reason is not None:
            warn_once(f"Channels' own consumer loop runs (a task per socket): {reason}")
        if reason is not None or get_channel_layer(self.channel_layer_alias) is not None:
            await super().__call__(scope, receive, send)  # type: ignore[misc]
            return
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass

    async def dispatch(self, message: dict[str, Any]) -> None:
        from channels.consumer import get_handler_name

        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)


# --- Django: the ASGI handler --------------------------------------------------------------


def _takes(method: Any, params: list[str]) -> bool:
    try:
        return list(inspect.signature(method).parameters) == params
    except (TypeError, ValueError):
        return False


class ClientGone(StopUpload):
    """The client went away while a view was still reading its streamed request body. As
    Django's "connection reset" stop: the multipart parser closes (removes) the files it
    was writing and stops; the view's answer goes to nobody and nothing is logged."""

    def __init__(self) -> None:
        super().__init__(connection_reset=True)


class StreamedBody(io.RawIOBase):
    """A request body read from the connection while the view reads it, never stored whole.

    A read that waits `idle_timeout` seconds for the client ends the body as a disconnect
    does (`ClientGone`).

    Django reads a whole body (into memory, or a temporary file past
    FILE_UPLOAD_MAX_MEMORY_SIZE) before the view runs; for a large upload that file is a
    second copy of the bytes the view then writes to storage. Here a view thread's `read`
    asks the event loop for the next ASGI messages, so the bytes go from the socket through
    the multipart parser straight to where they are kept. While nobody reads, the server
    stops reading the socket (its flow control), so the memory held is a few chunks."""

    def __init__(
        self,
        receive: Callable[[], Awaitable[dict[str, Any]]],
        loop: asyncio.AbstractEventLoop,
        idle_timeout: float = 30.0,
    ):
        super().__init__()
        self._receive = receive
        self._loop = loop
        self._idle_timeout = idle_timeout
        self._buffer = bytearray()
        self._more = True
        self.aborted = False
        self.finished = asyncio.Event()  # the last message of the body came (or a disconnect)

    def readable(self) -> bool:
        return True

    async def _pull(self, want: int) -> None:
        while self._more and len(self._buffer) < want:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self.aborted, self._more = True, False
                self.finished.set()
                return
            self._buffer += message.get("body", b"")
            if not message.get("more_body", False):
                self._more = False
                self.finished.set()

    def read(self, size: int | None = -1) -> bytes:
        """Up to `size` bytes (all that is left when negative); b"" at the end. Called from
        a view thread, never the event loop's (it waits for the loop)."""
        want = (1 << 62) if size is None or size < 0 else size
        if self._more and len(self._buffer) < want:
            if _running_loop() is self._loop:
                raise RuntimeError("a streamed request body is read from a view thread only")
            pulling = asyncio.run_coroutine_threadsafe(self._pull(want), self._loop)
            try:
                pulling.result(timeout=self._idle_timeout)
            except TimeoutError:
                # A client that stalls holds a view thread: let go of it (the view's
                # answer then ends the request; the rest of the body is never read).
                pulling.cancel()
                self.aborted, self._more = True, False
        if self.aborted:
            raise ClientGone()
        chunk = bytes(self._buffer[:want])
        del self._buffer[:want]
        return chunk

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _content_length(scope: dict[str, Any]) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


_scope: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("parley_scope", default=None)
_streamed: contextvars.ContextVar[StreamedBody | None] = contextvars.ContextVar(
    "parley_streamed_body", default=None
)


def django_asgi_handler(
    *,
    view_executor: Callable[[], Executor],
    spill_chunk: int,
    streams_body: Callable[[dict[str, Any]], bool] = lambda scope: False,
    max_streams: Callable[[], int] = lambda: 2,
) -> type[Any]:
    """Django's ASGIHandler with the sync views on `view_executor`'s long-lived threads and
    the spilled part of a request body written there (docs of parley.web.handler); the body
    of a request `streams_body(scope)` picks, when larger than FILE_UPLOAD_MAX_MEMORY_SIZE,
    is read by the view as it arrives (`StreamedBody`), at most `max_streams()` at once per
    process (each holds a view thread while its client sends; the rest are spooled as
    before). Each override is added only when
    Django's method is the one it was written for (Django 5.2's `read_body(receive)`,
    `listen_for_disconnect(receive)` and `make_view_atomic(view)`); else Django's own runs,
    with a warning."""
    from asgiref.sync import iscoroutinefunction
    from channels.db import database_sync_to_async
    from django.conf import settings
    from django.core.exceptions import RequestAborted
    from django.core.handlers.asgi import ASGIHandler

    namespace: dict[str, Any] = {"__doc__": "Django's ASGIHandler, see parley.web.handler."}

    streaming = [0]  # streamed bodies being read now, in this process
    fits_read_body = _takes(getattr(ASGIHandler, "read_body", None), ["self", "receive"])
    can_stream = _takes(getattr(ASGIHandler, "listen_for_disconnect", None), ["self", "receive"])
    if fits_read_body and can_stream:

        async def __call__(self: Any, scope: Any, receive: Any, send: Any) -> None:
            # read_body is not given the scope; the request's task (and its children) see it.
            token, streamed = _scope.set(scope), _streamed.set(None)
            try:
                await super(handler, self).__call__(scope, receive, send)
            finally:
                if _streamed.get() is not None:
                    streaming[0] -= 1
                _streamed.reset(streamed)
                _scope.reset(token)

        async def listen_for_disconnect(self: Any, receive: Any) -> None:
            # A streamed body's messages belong to the view's reads: wait for its end first.
            body = _streamed.get()
            if body is not None:
                await body.finished.wait()
                if body.aborted:
                    raise RequestAborted()
            await super(handler, self).listen_for_disconnect(receive)

        namespace["__call__"] = __call__
        namespace["listen_for_disconnect"] = listen_for_disconnect
    elif fits_read_body:
        warn_once(
            "Django's ASGIHandler has no listen_for_disconnect(self, receive): large uploads "
            "are stored whole in a temporary file before their view runs"
        )

    if fits_read_body:

        async def read_body(self: Any, receive: Any) -> Any:
            """Django's `read_body`, with the disk writes off the event loop. Bodies that fit
            in memory (nearly all: JSON) are copied on the loop as before, with no thread hop."""
            in_memory = settings.FILE_UPLOAD_MAX_MEMORY_SIZE
            scope = _scope.get()
            large = scope is not None and (_content_length(scope) or 0) > in_memory
            free = streaming[0] < max_streams()
            if can_stream and large and free and scope is not None and streams_body(scope):
                body = StreamedBody(receive, asyncio.get_running_loop())
                _streamed.set(body)
                streaming[0] += 1  # on the loop only: no lock
                return body
            body_file = tempfile.SpooledTemporaryFile(max_size=in_memory, mode="w+b")  # noqa: SIM115
            loop = asyncio.get_running_loop()
            spill: list[bytes] = []
            total = spilled = 0
            try:
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        raise RequestAborted()  # the client went away early
                    chunk = message.get("body", b"")
                    more = message.get("more_body", False)
                    total += len(chunk)
                    if total <= in_memory:
                        body_file.write(chunk)
                    elif chunk:
                        spill.append(chunk)
                        spilled += len(chunk)
                    if spill and (spilled >= spill_chunk or not more):
                        await loop.run_in_executor(view_executor(), body_file.writelines, spill)
                        spill, spilled = [], 0
                    if not more:
                        break
            except BaseException:
                body_file.close()
                raise
            body_file.seek(0)
            return body_file

        namespace["read_body"] = read_body
    else:
        warn_once(
            "Django's ASGIHandler has no read_body(self, receive): large request bodies are "
            "written to disk on the event loop"
        )

    if _takes(getattr(ASGIHandler, "make_view_atomic", None), ["self", "view"]):

        def make_view_atomic(self: Any, view: Any) -> Any:
            # Called for every request just before Django awaits the view; a sync view it
            # would otherwise wrap in sync_to_async(thread_sensitive=True).
            view = super(handler, self).make_view_atomic(view)
            if iscoroutinefunction(view):
                return view
            return database_sync_to_async(view, thread_sensitive=False, executor=view_executor())

        namespace["make_view_atomic"] = make_view_atomic
    else:
        warn_once(
            "Django's handler has no make_view_atomic(self, view): sync views run on a new "
            "thread per request and reopen their database connection each time"
        )

    handler: type[Any] = type("ParleyASGIHandler", (ASGIHandler,), namespace)
    return handler
