"""Messaging jobs: thin wrappers around the services (retention)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from parley.messaging import retention


@shared_task(name="parley.messaging.tasks.messages_purge", ignore_result=True)
def messages_purge() -> int:
    """Seed 000's hourly purge: each room's own `retention_days`, else PURGE_OLDER_THAN
    (rooms with neither keep everything)."""
    age = timedelta(seconds=settings.PURGE_OLDER_THAN) if settings.PURGE_OLDER_THAN > 0 else None
    return retention.messages_purge_by_policy(now=timezone.now(), default_age=age).messages
