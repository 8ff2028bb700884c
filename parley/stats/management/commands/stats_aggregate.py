"""manage.py stats_aggregate [--settle SECONDS]: run the statistics job now."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from parley.stats.services import stats_aggregate


class Command(BaseCommand):
    help = "Add the messages stored since the last run to the statistics tables (what the periodic job does)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--settle",
            type=float,
            default=None,
            help="leave out messages younger than this many seconds (default: STATS_SETTLE, 30)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        settle = options["settle"]
        if settle is not None and settle < 0:
            raise CommandError("--settle must be zero or more.")
        result = stats_aggregate(settle=None if settle is None else timedelta(seconds=settle))
        self.stdout.write(
            f"Aggregated {result.messages} message(s); read up to message {result.last_message_id}."
        )
