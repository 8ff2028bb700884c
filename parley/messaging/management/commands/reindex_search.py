"""Analyse every message again into the search column (after the analyzer changes, or to
repair SQLite's FTS triggers after a migration rebuilt the message table)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction

from parley.messaging.models import Message
from parley.messaging.search_index import sqlite_missing, sqlite_rebuild
from parley.messaging.search_text import document_terms


class Command(BaseCommand):
    help = "Recompute every message's search terms in batches, printing progress."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=2000, help="Messages per transaction.")

    def handle(self, *args: Any, batch: int, **options: Any) -> None:
        if connection.vendor == "sqlite" and (missing := sqlite_missing(connection)):
            self.stdout.write(f"Recreating the FTS table/triggers: {', '.join(missing)}")
            rebuild = True
        else:
            rebuild = False
        total = Message.objects.filter(deleted_at__isnull=True).count()
        done, last = 0, 0
        while True:
            rows = list(
                Message.objects.filter(pk__gt=last, deleted_at__isnull=True)
                .order_by("pk")
                .only("pk", "body", "search_text")[:batch]
            )
            if not rows:
                break
            changed = []
            for row in rows:
                terms = document_terms(row.body)
                if terms != row.search_text:
                    row.search_text = terms
                    changed.append(row)
            with transaction.atomic():
                Message.objects.bulk_update(changed, ["search_text"])
            done += len(rows)
            last = rows[-1].pk
            self.stdout.write(f"{done}/{total} messages analysed ({len(changed)} changed in this batch)")
        if rebuild:
            sqlite_rebuild(connection)
        self.stdout.write(self.style.SUCCESS(f"Search index current: {done} messages."))
