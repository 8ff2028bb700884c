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

An upload's body is not spooled at all: a view whose class says `streams_request_body`
reads a body larger than FILE_UPLOAD_MAX_MEMORY_SIZE from the connection as it parses it,
and its upload handler writes the file part where the storage keeps it (issue 34,
parley.uploads.incoming): one write of the bytes instead of three.

Only the ASGI path is changed: Django's test client (WSGI) runs views as before, on the
test's thread and inside its transaction.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import Resolver404, resolve

from parley.common.threads import LazyExecutor
from parley.realtime.internals import django_asgi_handler

# Bytes of a spilling body collected on the loop before a view thread writes them out.
SPILL_CHUNK = 1024 * 1024

_views = LazyExecutor("parley-view", lambda: settings.HTTP_VIEW_THREADS)


def streams_body(scope: dict[str, Any]) -> bool:
    """A POST to a view that reads its body as it arrives (`streams_request_body`)."""
    if scope.get("method") != "POST":
        return False
    path = scope["path"].removeprefix(scope.get("root_path", "") or "")
    try:
        match = resolve(path)
    except Resolver404:
        return False
    view_class = getattr(match.func, "view_class", None)
    return bool(getattr(view_class, "streams_request_body", False))


# The changes override methods of Django's handler that are not public API (`read_body`,
# `listen_for_disconnect`, `make_view_atomic`): they live with Parley's other uses of
# private internals, each added only when Django's method is the one it was written for
# (else Django's own runs, with a warning).
ParleyASGIHandler = django_asgi_handler(
    view_executor=_views.get,
    spill_chunk=SPILL_CHUNK,
    streams_body=streams_body,
    # A streamed upload holds a view thread while its client sends: a quarter of them at
    # most, so slow uploaders never take every REST request's thread.
    max_streams=lambda: max(1, settings.HTTP_VIEW_THREADS // 4),
)
