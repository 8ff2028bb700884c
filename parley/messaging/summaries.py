"""A thread root's waiting summary event (`services._count_replies`): where this process keeps
the roots whose window has yet to end, and the port through which a send asks for the
fallback flush. Filled by MessagingConfig.ready() with what runs it (`tasks.summary_flush_later`):
services sit below tasks.

A waiting event is logged by the next send batch of its room once its window has ended: that
batch holds the room's lock anyway, so a busy room pays two statements, not a transaction of
its own that would hold its sends up. Only a room that goes quiet needs the fallback, a
window later."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.db import transaction

Flusher = Callable[[int, float], None]
_flusher: list[Flusher] = []
_lock = threading.Lock()
_due: dict[int, dict[int, float]] = {}  # room id -> {root id: when its window ends (monotonic)}
ROOMS_KEPT = 1000
DUE_PER_BATCH = 2
STALE = 600.0  # seconds past its due time: the fallback flush has long run


def provide_flusher(flush_later: Flusher) -> None:
    """Called once by the app's AppConfig.ready with what flushes a root after a delay."""
    _flusher[:] = [flush_later]


def flush_after_commit(room_id: int, later: list[tuple[int, float]], window: float) -> None:
    """Once the send commits: note each (root id, seconds until its window ends) for the room's
    next send batch, and ask for the fallback flush a window after that."""
    if not later:
        return

    def note() -> None:
        now = time.monotonic()
        with _lock:
            if len(_due) > ROOMS_KEPT:  # rooms that went quiet: their fallback flush has run
                for quiet in [r for r, roots in _due.items() if max(roots.values()) < now - STALE]:
                    del _due[quiet]
            room = _due.setdefault(room_id, {})
            for root_id, delay in later:
                room[root_id] = now + delay
        if _flusher:
            for root_id, delay in later:
                _flusher[0](root_id, delay + window)

    transaction.on_commit(note)


def take_due(room_id: int) -> list[int]:
    """Up to DUE_PER_BATCH of the room's roots whose window has ended, the longest due first,
    forgotten here: the caller logs them. The rest wait for the next batch, so that roots
    answered together do not all send their whole message to every member in one burst."""
    now = time.monotonic()
    with _lock:
        room = _due.get(room_id)
        if not room:
            return []
        due = sorted((root_id for root_id, at in room.items() if at <= now), key=room.__getitem__)[
            :DUE_PER_BATCH
        ]
        for root_id in due:
            del room[root_id]
        if not room:
            del _due[room_id]
        return due
