"""manage.py import_slack <export.zip>: bring a Slack workspace's history into Parley.

Safe to run twice (nothing is made again; see parley/actions/slack_import.py); docs/import.md
says how to export from Slack and what maps to what."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from parley.actions.slack_import import ExportError, SlackImport


class Command(BaseCommand):
    help = "Import a Slack workspace export (.zip): people, channels, DMs, messages, reactions, files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("export", help="the export's .zip, as Slack's 'Export data' gives it")
        parser.add_argument("--quiet", action="store_true", help="no progress lines")

    def handle(self, *args: Any, **options: Any) -> None:
        interactive = sys.stderr.isatty()
        started = time.monotonic()

        def progress(text: str) -> None:
            if not options["quiet"]:
                self.stderr.write(f"\r{text}" if interactive else text, ending="" if interactive else "\n")

        try:
            report = SlackImport(options["export"], progress=progress).run()
        except ExportError as exc:
            raise CommandError(str(exc)) from exc
        if interactive and not options["quiet"]:
            self.stderr.write("")
        took = time.monotonic() - started
        made, known = report.made, report.known
        self.stdout.write(
            f"Imported {made['users']} people, {made['rooms']} rooms, {made['messages']} messages, "
            f"{made['reactions']} reactions, {made['files']} files in {took:.1f} s."
        )
        if known:
            self.stdout.write(
                f"Already imported (left as they are): {known['users']} people, {known['rooms']} rooms, "
                f"{known['messages']} messages."
            )
        if report.skipped:
            self.stdout.write(f"Skipped {sum(report.skipped.values())}:")
            for reason, n in sorted(report.skipped.items(), key=lambda item: (-item[1], item[0])):
                self.stdout.write(f"  {n} {reason}")
        else:
            self.stdout.write("Skipped nothing.")
