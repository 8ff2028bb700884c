"""Bot jobs on a Celery worker: a thin wrapper around parley.bots.services.job_execute.

The handler's own time limit (BOT_TIMEOUT, a thread the task waits for) works in every
pool; the soft limit is a backstop for the prefork pool."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings

from parley.bots import services


@shared_task(
    name="parley.bots.tasks.bot_job",
    ignore_result=True,
    soft_time_limit=settings.BOT_TIMEOUT + 10,
)
def bot_job(job: dict[str, Any]) -> None:
    services.job_execute(job)
