"""Account jobs: thin wrappers around parley.accounts.services."""

from __future__ import annotations

from celery import shared_task

from parley.accounts import services


@shared_task(name="parley.accounts.tasks.email_verification_send", ignore_result=True)
def email_verification_send(user_id: int) -> bool:
    return services.email_verification_send(user_id=user_id)


@shared_task(name="parley.accounts.tasks.password_reset_send", ignore_result=True)
def password_reset_send(login: str) -> bool:
    return services.password_reset_send(login=login)
