"""Account jobs: thin wrappers around parley.accounts.services."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from parley.accounts import services
from parley.rooms.selectors import online_user_ids


@shared_task(name="parley.accounts.tasks.email_verification_send", ignore_result=True)
def email_verification_send(user_id: int) -> bool:
    return services.email_verification_send(user_id=user_id)


@shared_task(name="parley.accounts.tasks.password_reset_send", ignore_result=True)
def password_reset_send(login: str) -> bool:
    return services.password_reset_send(login=login)


@shared_task(name="parley.accounts.tasks.guests_remove_idle", ignore_result=True)
def guests_remove_idle() -> int:
    return services.guests_remove_idle(idle_days=settings.GUEST_IDLE_DAYS, online=online_user_ids())
