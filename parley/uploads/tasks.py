"""Upload jobs: thin wrappers around parley.uploads.services, and where a thumbnail job runs."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from parley.common.threads import LazyExecutor
from parley.uploads import incoming, presigned, services


@shared_task(name="parley.uploads.tasks.upload_thumbnail", ignore_result=True)
def upload_thumbnail(upload_id: int) -> bool:
    return services.upload_thumbnail_make(upload_id=upload_id)


@shared_task(name="parley.uploads.tasks.uploads_remove_unattached", ignore_result=True)
def uploads_remove_unattached() -> int:
    # Presigned uploads never completed go with them, after the same time.
    cutoff = timezone.now() - settings.UPLOAD_UNATTACHED_TTL
    stale = presigned.presigned_remove_stale(older_than=cutoff)
    incoming.remove_stale_parts(older_than=cutoff.timestamp())  # a killed process's parts
    return services.uploads_remove_unattached() + stale


# One worker thread per process: thumbnails one at a time.
_thumbnails = LazyExecutor("parley-thumbnails", lambda: 1)


def _in_thread(upload_id: int) -> None:
    try:
        upload_thumbnail.apply(args=[upload_id])
    finally:
        connections.close_all()  # this thread's own connections


def thumbnail_later(upload_id: int) -> None:
    """Make the upload's thumbnail off the request path, once the upload row is committed.

    With Redis a Celery worker does it. Without (the embedded mode, where tasks are
    eager) a worker thread of this process does, so the upload answers before Pillow
    runs (UPLOAD_THUMBNAILS_IN_THREAD; the tests turn it off and run the job eagerly)."""
    if settings.UPLOAD_THUMBNAILS_IN_THREAD and settings.CELERY_TASK_ALWAYS_EAGER:
        transaction.on_commit(lambda: _thumbnails.get().submit(_in_thread, upload_id))
    else:
        transaction.on_commit(lambda: upload_thumbnail.delay(upload_id))
