"""Reads of the bots app: a room's commands, its webhooks, and the numbers /stats shows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parley.bots import commands
from parley.bots.commands import CommandInfo
from parley.bots.models import IncomingWebhook, OutgoingWebhook
from parley.common.i18n import interpolate
from parley.messaging.models import Message


def outgoing_hooks_for(*, room_id: int, word: str) -> list[OutgoingWebhook]:
    """The room's outgoing webhooks that `word` (a message's first word) triggers."""
    return [h for h in OutgoingWebhook.objects.filter(room_id=room_id) if word in h.triggers]


def room_commands(*, room_id: int) -> list[CommandInfo]:
    """What /help and the composer's typeahead offer in a room: built-ins, the bots'
    commands, then the `/` triggers of the room's outgoing webhooks."""
    out = list(commands.BUILTINS) + [info for _bot, info in commands.bot_commands().values()]
    taken = {c.name for c in out}
    for hook in OutgoingWebhook.objects.filter(room_id=room_id).order_by("pk"):
        for trigger in hook.triggers:
            name = trigger[1:]
            if trigger.startswith("/") and name not in taken:
                taken.add(name)
                out.append(
                    CommandInfo(
                        name, "", interpolate(_("Answered by %(name)s"), {"name": hook.name}), hook.name
                    )
                )
    return out


def incoming_list(*, room_id: int) -> list[IncomingWebhook]:
    return list(IncomingWebhook.objects.filter(room_id=room_id).select_related("user").order_by("pk"))


def outgoing_list(*, room_id: int) -> list[OutgoingWebhook]:
    return list(OutgoingWebhook.objects.filter(room_id=room_id).select_related("user").order_by("pk"))


@dataclass(frozen=True)
class RoomActivity:
    today: int  # messages since midnight (in the asked time zone)
    top: list[tuple[str, int]]  # most active members this week: (name, messages)
    hours: list[int]  # messages per hour of day (in the asked time zone) this week, 24 numbers


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # stored names are checked; this is a guard
        return ZoneInfo("UTC")


def room_activity(*, room_id: int, days: int = 7, time_zone: str = "UTC") -> RoomActivity:
    """Three statements, bounded by the week's messages: today's count, the top senders,
    and the hours (the timestamps are bucketed here, in `time_zone`, so every database does
    the same)."""
    zone = _zone(time_zone)
    now = timezone.now()
    since = now - timedelta(days=days)
    midnight = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    live = Message.objects.filter(room_id=room_id, deleted_at__isnull=True, sender__is_bot=False)
    today = live.filter(created_at__gte=midnight).count()
    top = (
        live.filter(created_at__gte=since)
        .values("sender__username", "sender__display_name")
        .annotate(n=Count("id"))
        .order_by("-n", "sender__username")[:3]
    )
    hours: Counter[int] = Counter(
        t.astimezone(zone).hour
        for t in live.filter(created_at__gte=since).values_list("created_at", flat=True)[:20000]
    )
    return RoomActivity(
        today=today,
        top=[(row["sender__display_name"] or row["sender__username"], row["n"]) for row in top],
        hours=[hours.get(h, 0) for h in range(24)],
    )
