"""manage.py stats_aggregate [--settle SECONDS]: run the statistics job now."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from parley.stats.services import SETTLE, stats_aggregate


class Command(BaseCommand):
    help = "Add the messages stored since the last run to the statistics tables (what the periodic job does)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--settle",
            type=float,
            default=SETTLE.total_seconds(),
            help=f"leave out messages younger than this many seconds (default {SETTLE.total_seconds():g})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["settle"] < 0:
            raise CommandError("--settle must be zero or more.")
        result = stats_aggregate(settle=timedelta(seconds=options["settle"]))
        self.stdout.write(
            f"Aggregated {result.messages} message(s); read up to message {result.last_message_id}."
        )
