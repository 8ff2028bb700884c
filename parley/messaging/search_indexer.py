"""Search indexing off the send's critical path (issue 34), on PostgreSQL.

Why: a GIN index entry per term, written by the send's INSERT under the room lock, made the
send's p99 3.5 times what it was without the index. Now the send stores the message with
its search column NULL, and after the commit hands (id, body) to this process's indexer: a
thread that analyses the bodies and fills the column of all it was given since its last
round in one UPDATE (`search_index.PG_FILL`), outside the room lock. Rounds follow one
another as fast as they complete, so batches grow with the load and wait for nothing when
idle.

What keeps search exact, since the thread runs a little later (milliseconds) or not at all
(the process died with items queued):

- `catch_up(rooms)`: a search first indexes the still-waiting messages of the rooms it
  covers (one index range on the partial index `messaging_message_unindexed`; nothing to
  write in the usual case), so a message is found by any search answered after its ack.
- `sweep()`: a periodic job (and `reindex_search`) fills whatever a crashed process left.

Edits and deletes stay synchronous (rare, and not the send): an edit writes its terms (''
when nothing is indexable, never NULL, so a queued older body cannot overwrite it: the fill
only touches NULL rows), a delete writes NULL with `deleted_at`, which the fill skips.

SQLite and MariaDB index in the send as before (`deferred()` is False there): SQLite has one
writer at a time, so a later write transaction would queue behind the same lock the send
holds and buy nothing; MariaDB has no index to maintain.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, connections, router, transaction

from parley.messaging.models import Message
from parley.messaging.search_index import PG_FILL
from parley.messaging.search_text import document_terms

log = logging.getLogger(__name__)

# Most rows one UPDATE fills: bounds a round's lock time and statement size under a flood.
BATCH_MAX = 1000
# Seconds the idle indexer keeps its connection (with CONN_MAX_AGE 0, as in the tests, it
# is closed after every round anyway).
IDLE_KEEP = 5.0


def deferred() -> bool:
    """Whether sends leave their terms to the indexer on this database."""
    return bool(
        settings.SEARCH_INDEX and settings.SEARCH_INDEX_DEFERRED and connection.vendor == "postgresql"
    )


def fill(rows: list[tuple[int, str]], using: str | None = None) -> int:
    """Store the terms of these (id, body) messages that are still waiting; the number filled.
    Analysed here, in Python, once per message, as the synchronous path does."""
    if not rows:
        return 0
    rows = sorted(rows)
    alias = using or router.db_for_write(Message)  # on a replica read: sends the rest to the primary
    with connections[alias].cursor() as cursor:
        cursor.execute(
            PG_FILL, [[r[0] for r in rows], [r[0] for r in rows], [document_terms(r[1]) for r in rows]]
        )
        return int(cursor.rowcount)


def _waiting(rooms: list[int] | None, after: int, limit: int) -> list[tuple[int, str]]:
    qs = Message.objects.filter(search_text__isnull=True, deleted_at__isnull=True, pk__gt=after)
    if rooms is not None:
        qs = qs.filter(room_id__in=rooms)
    return list(qs.order_by("pk").values_list("pk", "body")[:limit])


def catch_up(rooms: list[int]) -> int:
    """Index the waiting messages of `rooms` before a search of them is answered; the
    number filled. One query when nothing waits (the usual case: the indexer is quicker
    than a person's next search)."""
    if not deferred() or not rooms:
        return 0
    return _fill_waiting(rooms, own_transactions=False)


def sweep() -> int:
    """Index every waiting message of every room (what a process that died with a queue
    left behind); the number filled. Each batch commits on its own."""
    if not deferred():
        return 0
    return _fill_waiting(None, own_transactions=True)


def _fill_waiting(rooms: list[int] | None, *, own_transactions: bool) -> int:
    """Fill the waiting messages (of `rooms`, or all), BATCH_MAX at a time in id order."""
    done, after = 0, 0
    while True:
        rows = _waiting(rooms, after, BATCH_MAX)
        if not rows:
            return done
        if own_transactions:
            with transaction.atomic():
                done += fill(rows)
        else:
            done += fill(rows)
        if len(rows) < BATCH_MAX:
            return done
        after = rows[-1][0]


class Indexer:
    """The process's indexer thread, started on first use (a process that sends nothing
    starts none). A round that fails is logged and its rows left for a search's catch-up
    or the sweep: the send has been acknowledged, it is never failed after the fact."""

    def __init__(self) -> None:
        self._rows: list[tuple[int, str]] = []
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._busy = False

    def add(self, rows: Iterable[tuple[int, str]]) -> None:
        with self._cv:
            self._rows.extend(rows)
            if self._thread is None or self._pid != os.getpid():  # a forked child has no thread
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._loop, name="parley-search-indexer", daemon=True)
                self._thread.start()
            self._cv.notify()

    def idle(self, timeout: float = 5.0) -> bool:
        """Wait until everything handed over is filled (tests and the benchmark)."""
        with self._cv:
            return self._cv.wait_for(lambda: not self._rows and not self._busy, timeout)

    def _loop(self) -> None:
        db = connections["default"]
        while True:
            with self._cv:
                # Idle: the connection is kept IDLE_KEEP seconds (a reconnect per message
                # at a trickle of sends cost the send more than the index did), then closed.
                if not self._cv.wait_for(lambda: bool(self._rows), IDLE_KEEP if db.connection else None):
                    db.close()
                    continue
                backlog = len(self._rows) >= BATCH_MAX
            # Gather for a moment: at a steady trickle of sends, one statement per few
            # messages rather than one each (each costs a round trip and a CPU slice
            # taken from the sends). A search in the meantime fills its rooms itself.
            if not backlog:
                time.sleep(settings.SEARCH_INDEX_GATHER)
            with self._cv:
                batch, self._rows = self._rows[:BATCH_MAX], self._rows[BATCH_MAX:]
                self._busy = True
            try:
                fill(batch, using="default")
            except Exception:
                log.exception("search indexing of %s messages failed; left to the sweep", len(batch))
            finally:
                db.close_if_unusable_or_obsolete()  # CONN_MAX_AGE, as a request's would be
                with self._cv:
                    self._busy = False
                    self._cv.notify_all()


indexer = Indexer()


def index_after_commit(messages: Iterable[Message]) -> None:
    """Hand the new messages to the indexer once the send commits (a rolled-back send hands
    nothing). No statement in the send itself."""
    rows = [(m.pk, m.body) for m in messages]
    if rows:
        transaction.on_commit(lambda: indexer.add(rows))
