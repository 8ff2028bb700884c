"""The ASGI application: Django for HTTP, the chat consumer for /ws/, the runtime's lifespan."""

from __future__ import annotations

from typing import Any

from parley.realtime import runtime
from parley.ws.auth import websocket_stack
from parley.ws.routing import websocket_router


class ParleyApplication:
    """Hands the process's runtime to every socket (`scope["parley.runtime"]`), starting it
    on first use, and starts/stops it with the server when the server speaks ASGI lifespan.

    Outermost, so the `send` it is given is the server's own: it also keeps that in the
    scope for the raw frame writer (`parley.raw_send`, read by
    `parley.realtime.internals.RawWriter`), in the same copy of the scope. Every layer's
    scope copy lives as long as its socket."""

    def __init__(self, *, http: Any, websocket: Any, runtime_: runtime.Runtime | None = None):
        self.http = http
        self.websocket = websocket
        self.runtime = runtime_

    def _runtime(self) -> runtime.Runtime:
        return self.runtime or runtime.current()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        kind = scope["type"]
        if kind == "websocket":
            rt = self._runtime()
            await rt.start()
            return await self.websocket(
                {"parley.raw_send": send, **scope, "parley.runtime": rt}, receive, send
            )
        if kind == "lifespan":
            return await self._lifespan(receive, send)
        return await self.http(scope, receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self._runtime().start()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                rt = runtime.installed() if self.runtime is None else self.runtime
                if rt is not None:
                    await rt.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return


def build_application(http: Any, runtime_: runtime.Runtime | None = None) -> Any:
    """The whole application around Django's HTTP handler (ParleyApplication outermost: it
    keeps the server's `send` for the raw writer)."""
    return ParleyApplication(http=http, websocket=websocket_stack(websocket_router()), runtime_=runtime_)
