"""Jobs of the operations that span apps: thin wrappers around parley.actions.

Task names are kept from where the jobs lived before (the beat schedule and queued
jobs name them)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from parley.actions import erasure, scheduling
from parley.rooms.selectors import online_user_ids


@shared_task(name="parley.accounts.tasks.guests_remove_idle", ignore_result=True)
def guests_remove_idle() -> int:
    return erasure.guests_remove_idle(idle_days=settings.GUEST_IDLE_DAYS, online=online_user_ids())


@shared_task(name="parley.actions.tasks.scheduled_send_due", ignore_result=True)
def scheduled_send_due() -> int:
    return scheduling.scheduled_send_due()
