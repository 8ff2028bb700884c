"""Digest jobs: thin wrappers around parley.notify.services."""

from __future__ import annotations

from celery import shared_task

from parley.notify import services


@shared_task(name="parley.notify.tasks.digests_send_due", ignore_result=True)
def digests_send_due() -> int:
    return services.digests_send_due()
