"""manage.py purge [--older-than 24h] [--room NAME] [--dry-run]: seed 000's hourly ClearData.

Each room is purged by its policy: its own `retention_days`, else the server default
(`--older-than`, else PURGE_OLDER_THAN); `--dry-run` reports each room with its policy."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from parley.messaging.retention import messages_purge_by_policy
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


def age_text_of(age: timedelta) -> str:
    """An age as the report shows it: whole days when it is some, else hours, minutes or seconds."""
    seconds = int(age.total_seconds())
    for unit, size in (("day(s)", 86400), ("hour(s)", 3600), ("minute(s)", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} second(s)"


class Command(BaseCommand):
    help = "Delete messages older than an age (all rooms, or one), with a progress bar and a summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            required=False,
            help="the server default age: 90s, 30m, 24h, 7d (default PURGE_OLDER_THAN); "
            "rooms with their own retention keep theirs",
        )
        parser.add_argument("--room", help="only this room (by name)")
        parser.add_argument("--dry-run", action="store_true", help="count what would go, delete nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        age_text = options["older_than"]
        age: timedelta | None = None
        if age_text:
            age = parse_age(age_text)
            if age <= timedelta(0):
                raise CommandError("--older-than must be more than zero.")
        elif settings.PURGE_OLDER_THAN > 0:
            age = timedelta(seconds=settings.PURGE_OLDER_THAN)
        room_id = None
        if options["room"]:
            room = Room.objects.filter(name__iexact=options["room"]).first()
            if room is None:
                raise CommandError(f"No room named {options['room']!r}.")
            room_id = room.pk
        now = timezone.now()
        interactive = sys.stderr.isatty()

        def progress(done: int, total: int) -> None:
            width = 30
            filled = width * done // max(total, 1)
            bar = "#" * filled + "-" * (width - filled)
            end = "" if interactive and done < total else "\n"
            if interactive or done == total:
                self.stderr.write(f"\r[{bar}] {done}/{total} messages", ending=end)

        result = messages_purge_by_policy(
            now=now, default_age=age, room_id=room_id, dry_run=options["dry_run"], progress=progress
        )
        verb = "Would delete" if result.dry_run else "Deleted"
        entries = "entry" if result.events == 1 else "entries"
        default = f"older than {now - age:%Y-%m-%d %H:%M:%S} UTC by default" if age else "(no server default)"
        self.stdout.write(
            f"{verb} {result.messages} message(s) and {result.events} log {entries} "
            f"{default} in {len(result.rooms)} room(s)."
        )
        for name, n in sorted(result.rooms.items(), key=lambda item: -item[1]):
            kept, source = result.policies[name]
            policy = (
                f"room keeps {age_text_of(kept)}"
                if source == "room"
                else f"server default, {age_text_of(kept)}"
            )
            self.stdout.write(f"  {name}: {n} ({policy})")
