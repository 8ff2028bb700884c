"""Account jobs: thin wrappers around parley.accounts.services."""

from __future__ import annotations

from celery import shared_task

from parley.accounts import presence, services


@shared_task(name="parley.accounts.tasks.email_verification_send", ignore_result=True)
def email_verification_send(user_id: int) -> bool:
    return services.email_verification_send(user_id=user_id)


@shared_task(name="parley.accounts.tasks.password_reset_send", ignore_result=True)
def password_reset_send(login: str) -> bool:
    return services.password_reset_send(login=login)


@shared_task(name="parley.accounts.tasks.presence_expire", ignore_result=True)
def presence_expire() -> int:
    """Clear the statuses and do-not-disturbs that ran out, and announce them."""
    return len(presence.presence_expire())
