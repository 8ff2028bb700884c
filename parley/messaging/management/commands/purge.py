"""manage.py purge --older-than 24h [--room NAME] [--dry-run]: seed 000's hourly ClearData."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from parley.messaging.retention import messages_purge
from parley.rooms.models import Room


def parse_age(text: str) -> timedelta:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
    text = text.strip().lower()
    try:
        if text and text[-1] in units:
            return timedelta(seconds=float(text[:-1]) * units[text[-1]])
        return timedelta(seconds=float(text))
    except ValueError as exc:
        raise CommandError(f"--older-than: {text!r} is not an age like 90s, 30m, 24h or 7d") from exc


class Command(BaseCommand):
    help = "Delete messages older than an age (all rooms, or one), with a progress bar and a summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than", required=False, help="an age: 90s, 30m, 24h, 7d (default PURGE_OLDER_THAN)"
        )
        parser.add_argument("--room", help="only this room (by name)")
        parser.add_argument("--dry-run", action="store_true", help="count what would go, delete nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        age_text = options["older_than"]
        if age_text:
            age = parse_age(age_text)
        elif settings.PURGE_OLDER_THAN > 0:
            age = timedelta(seconds=settings.PURGE_OLDER_THAN)
        else:
            raise CommandError("Give --older-than (or set PURGE_OLDER_THAN).")
        if age <= timedelta(0):
            raise CommandError("--older-than must be more than zero.")
        room_id = None
        if options["room"]:
            room = Room.objects.filter(name__iexact=options["room"]).first()
            if room is None:
                raise CommandError(f"No room named {options['room']!r}.")
            room_id = room.pk
        cutoff = timezone.now() - age
        interactive = sys.stderr.isatty()

        def progress(done: int, total: int) -> None:
            width = 30
            filled = width * done // max(total, 1)
            bar = "#" * filled + "-" * (width - filled)
            end = "" if interactive and done < total else "\n"
            if interactive or done == total:
                self.stderr.write(f"\r[{bar}] {done}/{total} messages", ending=end)

        result = messages_purge(cutoff=cutoff, room_id=room_id, dry_run=options["dry_run"], progress=progress)
        verb = "Would delete" if result.dry_run else "Deleted"
        entries = "entry" if result.events == 1 else "entries"
        self.stdout.write(
            f"{verb} {result.messages} message(s) and {result.events} log {entries} "
            f"older than {cutoff:%Y-%m-%d %H:%M:%S} UTC in {len(result.rooms)} room(s)."
        )
        for name, n in sorted(result.rooms.items(), key=lambda item: -item[1]):
            self.stdout.write(f"  {name}: {n}")
