"""The slash-command registry: the built-in commands, the bots' commands, and parsing.

A body is a command when its first word is `/name` (letters, digits, `_`, `-`): `/roll 2d6`
is, "/usr/bin is a path" and "/ hi" are not. `//text` sends "/text" as a plain message.
Only bodies starting with `/` or `!` are looked at here; everything else is a plain message
and costs nothing extra.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from parley.bots.handlers import Bot
from parley.common.i18n import Text

COMMAND_RE = re.compile(r"^/([A-Za-z][A-Za-z0-9_-]{0,31})(?:\s+(.*))?$", re.S)
TRIGGER_RE = re.compile(r"^[/!][A-Za-z][A-Za-z0-9_-]{0,31}$")


@dataclass(frozen=True)
class CommandInfo:
    name: str
    usage: Text  # lazy for the built-ins: read in the reader's language
    help: Text
    bot: str  # "" for built-ins, else the bot's display name


BUILTINS: tuple[CommandInfo, ...] = (
    CommandInfo("help", "", _("List the commands of this room"), ""),
    CommandInfo(
        "me", pgettext_lazy("command argument", "<action>"), _("Say what you are doing: /me waves"), ""
    ),
    CommandInfo("topic", pgettext_lazy("command argument", "<text>"), _("Set the room's topic (owner)"), ""),
    CommandInfo("nick", pgettext_lazy("command argument", "<name>"), _("Change the name others see"), ""),
    CommandInfo("invite", "@user", _("Add someone to this room (owner)"), ""),
    CommandInfo("leave", "", _("Leave this room"), ""),
    CommandInfo(
        "remind",
        pgettext_lazy("command argument", "me in 10m <text>"),
        _("Get a direct message from the reminder bot later"),
        "",
    ),
)
BUILTIN_NAMES = frozenset(c.name for c in BUILTINS)


def parse(body: str) -> tuple[str, str] | None:
    """("roll", "2d6") for "/roll 2d6"; None when the body is not a command."""
    if not body.startswith("/") or body.startswith("//"):
        return None
    match = COMMAND_RE.match(body.rstrip())
    if match is None:
        return None
    return match.group(1).lower(), (match.group(2) or "").strip()


def first_word(body: str) -> str:
    """The lower-cased first word: what outgoing webhooks' triggers are matched against."""
    return body.split(None, 1)[0].lower() if body.strip() else ""


@dataclass(frozen=True)
class Registered:
    key: str
    name: str  # the bot user's display name
    handler: Bot


@lru_cache(maxsize=1)
def registered() -> dict[str, Registered]:
    """The BOTS setting's bots, each handler built once per process (like a cache backend).

    BOTS maps a key (the bot's username) to {"HANDLER": dotted path, "NAME": display name}."""
    out: dict[str, Registered] = {}
    for key, conf in settings.BOTS.items():
        try:
            cls = import_string(conf["HANDLER"])
        except (ImportError, KeyError) as exc:
            raise ImproperlyConfigured(f"BOTS[{key!r}]: cannot load its HANDLER: {exc}") from exc
        if not (isinstance(cls, type) and issubclass(cls, Bot)):
            raise ImproperlyConfigured(f"BOTS[{key!r}]: {conf['HANDLER']} is not a parley.bots.handlers.Bot")
        out[key] = Registered(key, conf.get("NAME") or key, cls())
    return out


@lru_cache(maxsize=1)
def bot_commands() -> dict[str, tuple[Registered, CommandInfo]]:
    """Command name -> the bot that answers it. Built-ins and earlier bots win a clash."""
    out: dict[str, tuple[Registered, CommandInfo]] = {}
    for bot in registered().values():
        for name, help_line in bot.handler.commands.items():
            name = name.lower()
            if name in BUILTIN_NAMES or name in out:
                continue
            out[name] = (bot, CommandInfo(name, bot.handler.usage.get(name, ""), help_line, bot.name))
    return out


def _reset(*, setting: str, **kwargs: object) -> None:
    if setting == "BOTS":
        registered.cache_clear()
        bot_commands.cache_clear()


setting_changed.connect(_reset)
