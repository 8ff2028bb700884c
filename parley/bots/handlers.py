"""What a bot's author writes against: subclass `Bot`, declare `commands`, answer in `handle`.

A handler is a plain class named by dotted path in the BOTS setting (the way Django loads
backends). It runs in the bot runner, off the request and delivery path, under a time
limit; whatever it returns is posted in the room as the bot's reply. This module imports
nothing of Parley's so a bot's module can be read and tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from parley.common.i18n import Text


@dataclass(frozen=True)
class Call:
    """One use of a command: `/roll 2d6` is command "roll", args "2d6"."""

    command: str
    args: str
    room_id: int
    user_id: int
    user_name: str  # the asker's display name
    message_id: int | None = None
    # The asker's saved language and time zone. The answer is written in that language:
    # `handle` runs with it active, so gettext in a handler speaks it (docs/bots.md).
    language: str = "en"
    time_zone: str = "UTC"


@dataclass(frozen=True)
class Answer:
    """An answer with a picture: `text`, and a PNG posted with it as an attachment."""

    text: str
    png: bytes
    png_name: str = "chart.png"


class Bot:
    """Subclass and fill in. One instance serves every room, possibly from several threads
    at once: keep no per-call state on `self`."""

    # command name -> one-line help (shown by /help and the composer's typeahead)
    commands: ClassVar[dict[str, Text]] = {}
    # command name -> its arguments as typed after it, e.g. {"roll": "2d6"} (optional)
    usage: ClassVar[dict[str, Text]] = {}

    def handle(self, call: Call) -> str | Answer | None:
        """Answer one command: text, or an `Answer` with a picture; None posts nothing.
        Raise to report a failure (logged, and the asker is told the command failed)."""
        raise NotImplementedError
