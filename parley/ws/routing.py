"""The one WebSocket URL, `/ws/`, and the refusal every other path gets."""

from __future__ import annotations

from typing import Any

from asgiref.sync import markcoroutinefunction
from channels.security.websocket import WebsocketDenier

from parley.ws.consumer import ChatConsumer

WS_PATH = "ws/"


class OnePathRouter:
    """Sends `/ws/` (below the scope's `root_path`) to the chat consumer and refuses any
    other path before the handshake (HTTP 403), as the deploy kit's proxy only forwards
    `/ws/` anyway.

    In place of Channels' `URLRouter`, which for a single route kept a copy of the scope
    (with `url_route`, unused here) and its own coroutine frame alive for as long as each
    socket stays open: about 0.9 KiB per idle socket (docs/performance.md, issue 18). It
    also raised `ValueError` for an unknown path, which the server logged as a crash."""

    def __init__(self, consumer: Any):
        self.consumer = consumer
        self.denier = WebsocketDenier.as_asgi()

    def matches(self, scope: dict[str, Any]) -> bool:
        path: str = scope.get("path", "")
        root = scope.get("root_path", "")
        if root:
            if not path.startswith(root):
                return False
            path = path[len(root) :]
        return path.lstrip("/") == WS_PATH

    @markcoroutinefunction  # an ASGI 3 application to whoever asks
    def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        # Not `async`: it returns the chosen application's coroutine, so no frame of its own
        # waits here for the socket's whole life.
        app = self.consumer if self.matches(scope) else self.denier
        return app(scope, receive, send)


def websocket_router() -> OnePathRouter:
    return OnePathRouter(ChatConsumer.as_asgi())
