"""The port through which a send asks for a thread root's waiting summary event to be logged
when its window ends (`services._count_replies`). Filled by MessagingConfig.ready() with
what runs the flush (`tasks.summary_flush_later`): services sit below tasks."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

Flusher = Callable[[int, float], None]
_flusher: list[Flusher] = []


def provide_flusher(flush_later: Flusher) -> None:
    """Called once by the app's AppConfig.ready with what flushes a root after a delay."""
    _flusher[:] = [flush_later]


def flush_after_commit(later: list[tuple[int, float]]) -> None:
    """Once the send commits, flush each (root id, seconds from now)."""
    if not _flusher or not later:
        return
    flush = _flusher[0]
    transaction.on_commit(lambda: [flush(root_id, delay) for root_id, delay in later])
