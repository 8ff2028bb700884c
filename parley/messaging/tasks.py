"""Messaging jobs: thin wrappers around the services (retention, link previews), and where
a previews job runs."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import connections
from django.utils import timezone

from parley.common.threads import DelayedCalls, LazyExecutor
from parley.messaging import retention, search_indexer, services

log = logging.getLogger(__name__)


@shared_task(name="parley.messaging.tasks.messages_purge", ignore_result=True)
def messages_purge() -> int:
    """Seed 000's hourly purge: each room's own `retention_days`, else PURGE_OLDER_THAN
    (rooms with neither keep everything)."""
    age = timedelta(seconds=settings.PURGE_OLDER_THAN) if settings.PURGE_OLDER_THAN > 0 else None
    return retention.messages_purge_by_policy(now=timezone.now(), default_age=age).messages


@shared_task(name="parley.messaging.tasks.search_index_sweep", ignore_result=True)
def search_index_sweep() -> int:
    """Index the messages a process left unindexed when it stopped with its queue (issue 34)."""
    return search_indexer.sweep()


@shared_task(name="parley.messaging.tasks.message_previews", ignore_result=True)
def message_previews(message_id: int) -> bool:
    return services.message_previews_make(message_id=message_id)


# Fetching waits on the network, not the CPU: two at a time per process, and at most
# PREVIEWS_QUEUED waiting (a flood of links is dropped, logged, rather than queued for hours).
_previews = LazyExecutor("parley-previews", lambda: 2)
PREVIEWS_QUEUED = 200
_queued = threading.BoundedSemaphore(PREVIEWS_QUEUED)


def _in_thread(message_id: int) -> None:
    try:
        message_previews.apply(args=[message_id])
    except Exception:
        log.exception("link previews of message %s failed", message_id)
    finally:
        _queued.release()
        connections.close_all()  # this thread's own connections


def previews_later(message_id: int) -> None:
    """Start the previews job of a message that just committed (the send schedules it
    through `linkpreview.provide_scheduler`). With Redis a Celery worker runs it; without, a
    worker thread of this process (LINK_PREVIEWS_IN_THREAD; the tests run it eagerly), so
    neither the send nor the socket's send batcher ever waits on a remote site."""
    if settings.LINK_PREVIEWS_IN_THREAD and settings.CELERY_TASK_ALWAYS_EAGER:
        if not _queued.acquire(blocking=False):
            log.warning("link previews of message %s skipped: %s jobs waiting", message_id, PREVIEWS_QUEUED)
            return
        _previews.get().submit(_in_thread, message_id)
    else:
        message_previews.delay(message_id)


@shared_task(name="parley.messaging.tasks.thread_summaries_flush_overdue", ignore_result=True)
def thread_summaries_flush_overdue() -> int:
    return services.thread_summaries_flush_overdue()


def _summary_flush(root_id: object) -> None:
    try:
        services.thread_summary_flush(root_id=int(root_id))  # type: ignore[call-overload]
    finally:
        connections.close_all()  # this thread's own connections


_summary_flushes = DelayedCalls("parley-thread-summaries", _summary_flush)


def summary_flush_later(root_id: int, delay: float) -> None:
    """Log a thread root's waiting summary event when its window ends (`services._count_replies`),
    on a thread of the process that counted the reply: a short wait with no queue between,
    in every mode. A process that stops first leaves it to `thread_summaries_flush_overdue`."""
    _summary_flushes.call_later(delay, root_id)
