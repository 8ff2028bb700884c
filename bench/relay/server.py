"""Bare relay: the ceiling. A `websockets` server, one set of sockets per room
(the URL path), every text frame re-encoded once and `websockets.broadcast` to
the room. No storage, no auth, no Django.

    python -m bench.relay.server --port 8102
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal

from websockets.asyncio.server import broadcast, serve

from bench.util import raise_nofile

ROOMS: dict[str, set] = {}


async def handler(ws) -> None:
    room = ws.request.path.strip("/").split("?")[0] or "main"
    members = ROOMS.setdefault(room, set())
    members.add(ws)
    try:
        async for text in ws:
            try:
                data = json.loads(text)
                frame = json.dumps({"type": "message", "room": room, "body": data["message"]})
            except (ValueError, KeyError, TypeError):
                continue
            broadcast(members, frame)
    finally:
        members.discard(ws)


async def main(host: str, port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(
        handler, host, port, compression=None, max_size=65536, ping_interval=20, ping_timeout=20, backlog=4096
    ):
        await stop


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8102)
    a = ap.parse_args()
    raise_nofile()
    try:
        import uvloop

        uvloop.run(main(a.host, a.port))
    except ImportError:
        asyncio.run(main(a.host, a.port))
