"""Statistics jobs: thin wrappers around the services."""

from __future__ import annotations

from celery import shared_task

from parley.stats import services


@shared_task(name="parley.stats.tasks.stats_aggregate", ignore_result=True)
def stats_aggregate() -> int:
    """Add the messages stored since the last run to the statistics tables (every STATS_INTERVAL)."""
    return services.stats_aggregate().messages
