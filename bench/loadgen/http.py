"""The load generator's HTTP client (REST actions on Parley, a Matrix client's requests)."""

from __future__ import annotations

import asyncio


class Http:
    """One keep-alive HTTP/1.1 connection: a sender's REST actions on Parley (edit, react;
    `Token`), a Matrix client's sends and syncs (`Bearer`, bench/loadgen/matrix.py).

    Small on purpose: the generator must stay cheap, and a request per 2 s per sender
    needs no pool. Reads Content-Length and chunked bodies. Requests on one connection
    take turns."""

    def __init__(self, host: str, port: int, token: str, scheme: str = "Token"):
        self.host, self.port, self.token, self.scheme = host, port, token, scheme
        self.lock = asyncio.Lock()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        """The response's status and body; 599 when none came. A keep-alive connection the server
        closed while idle (uvicorn's keep-alive timeout is 5 s; a mixed phase follows a
        12 s plain one) answers with end of file before a status line: that request never
        reached the server, so it goes again once on a new connection."""
        async with self.lock:
            for attempt in range(2):
                reused = self.writer is not None and not self.writer.is_closing()
                try:
                    return await self._request(method, path, body)
                except EOFError:
                    self.close()
                    if not reused or attempt:
                        return 599, b""
                except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                    self.close()
                    return 599, b""
            return 599, b""

    async def _request(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: {self.scheme} {self.token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        if not status_line:
            raise EOFError("connection closed before a response")
        status = int(status_line.split()[1])
        length, chunked, close = 0, False, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
        data = b""
        if chunked:
            parts = []
            while size := int((await self.reader.readline()).strip() or b"0", 16):
                parts.append((await self.reader.readexactly(size + 2))[:-2])
            await self.reader.readline()
            data = b"".join(parts)
        elif length:
            data = await self.reader.readexactly(length)
        if close:
            self.close()
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None
