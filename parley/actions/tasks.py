"""Jobs of the operations that span apps: thin wrappers around parley.actions.

Task names are kept from where the jobs lived before (the beat schedule and queued
jobs name them)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import connections, transaction

from parley.actions import erasure, room_export, scheduling
from parley.common.threads import LazyExecutor
from parley.rooms.selectors import online_user_ids


@shared_task(name="parley.accounts.tasks.guests_remove_idle", ignore_result=True)
def guests_remove_idle() -> int:
    return erasure.guests_remove_idle(idle_days=settings.GUEST_IDLE_DAYS, online=online_user_ids())


@shared_task(name="parley.actions.tasks.room_export_build", ignore_result=True)
def room_export_build(export_id: int) -> bool:
    return room_export.export_build(export_id=export_id)


# One worker thread per process (the embedded mode): exports one at a time.
_exports = LazyExecutor("parley-exports", lambda: 1)


def _in_thread(export_id: int) -> None:
    try:
        room_export_build.apply(args=[export_id])
    finally:
        connections.close_all()  # this thread's own connections


def room_export_later(export_id: int) -> None:
    """Build the export off the request, once its row is committed: on a Celery worker with
    Redis, else on a thread of this process (ROOM_EXPORT_IN_THREAD; the tests turn it off
    and the job runs eagerly after commit)."""
    if settings.ROOM_EXPORT_IN_THREAD and settings.CELERY_TASK_ALWAYS_EAGER:
        transaction.on_commit(lambda: _exports.get().submit(_in_thread, export_id))
    else:
        transaction.on_commit(lambda: room_export_build.delay(export_id))


@shared_task(name="parley.actions.tasks.scheduled_send_due", ignore_result=True)
def scheduled_send_due() -> int:
    return scheduling.scheduled_send_due()
