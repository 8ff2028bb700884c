"""Messaging jobs: thin wrappers around the services (retention)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from parley.messaging import retention


@shared_task(name="parley.messaging.tasks.messages_purge", ignore_result=True)
def messages_purge() -> int:
    """Seed 000's hourly purge: messages older than PURGE_OLDER_THAN (off when unset)."""
    if settings.PURGE_OLDER_THAN <= 0:
        return 0
    cutoff = timezone.now() - timedelta(seconds=settings.PURGE_OLDER_THAN)
    return retention.messages_purge(cutoff=cutoff).messages
