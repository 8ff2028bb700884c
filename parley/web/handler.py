"""Django's ASGI handler, with the sync views on a fixed set of long-lived threads.

Django runs each request's sync view on a thread of its own (one ThreadSensitiveContext
per request), and database connections belong to a thread. So under ASGI CONN_MAX_AGE
kept nothing for REST: every request opened a database connection and dropped it (40
requests, 40 new PostgreSQL sessions; a room's GET took 21.8 ms at p50, docs/performance.md).
Here a sync view runs on one of HTTP_VIEW_THREADS threads that keep their connections
between requests, as the sockets' database threads do, with Channels' connection care
around each call (close_old_connections before and after: CONN_MAX_AGE and dead
connections are handled as for a request). A connection that died is replaced on the
next call, and a database that is down refuses at once. PostgreSQL's connection pool
(Django 5.1) would also keep connections, but a request then waits out the pool's
timeout when the database is down, where it now fails at once (docs/decisions.md).

The threads are not the event loop's default executor, which runs the sockets' database
work: a slow upload or history page never delays a send.

Django also reads a request's body on the event loop, into a file that spills to disk
past FILE_UPLOAD_MAX_MEMORY_SIZE, with every disk write on the loop: for a 10 MiB upload
that is the loop's largest cost, and every socket of the process waits through it. Here
the part of a body that goes to disk is written by the view threads, a megabyte at a time.

Only the ASGI path is changed: Django's test client (WSGI) runs views as before, on the
test's thread and inside its transaction.
"""

from __future__ import annotations

import asyncio
import tempfile
from typing import Any

from asgiref.sync import iscoroutinefunction
from channels.db import database_sync_to_async
from django.conf import settings
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler

from parley.common.threads import LazyExecutor

# Bytes of a spilling body collected on the loop before a view thread writes them out.
SPILL_CHUNK = 1024 * 1024

_views = LazyExecutor("parley-view", lambda: settings.HTTP_VIEW_THREADS)


class ParleyASGIHandler(ASGIHandler):
    async def read_body(self, receive: Any) -> Any:
        """Django's `read_body`, with the disk writes off the event loop. Bodies that fit in
        memory (nearly all: JSON) are copied on the loop as before, with no thread hop."""
        in_memory = settings.FILE_UPLOAD_MAX_MEMORY_SIZE
        body_file = tempfile.SpooledTemporaryFile(max_size=in_memory, mode="w+b")  # noqa: SIM115 - Django closes it
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
                if spill and (spilled >= SPILL_CHUNK or not more):
                    await loop.run_in_executor(_views.get(), body_file.writelines, spill)
                    spill, spilled = [], 0
                if not more:
                    break
        except BaseException:
            body_file.close()
            raise
        body_file.seek(0)
        return body_file

    def make_view_atomic(self, view: Any) -> Any:
        # Called for every request just before Django awaits the view; a sync view it
        # would otherwise wrap in sync_to_async(thread_sensitive=True).
        view = super().make_view_atomic(view)
        if iscoroutinefunction(view):
            return view
        return database_sync_to_async(view, thread_sensitive=False, executor=_views.get())
