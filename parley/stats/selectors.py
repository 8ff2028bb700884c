"""Reads for the statistics page: the aggregated tables and the live socket gauge, never the messages."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Sum
from django.utils import timezone

from parley.realtime import metrics
from parley.rooms.models import Room
from parley.stats.models import HourDay, RoomDay, SenderDay, StatsCursor

DAYS = 30
TOP_ROOMS = 10


def stats_overview(
    *, today: date | None = None, days: int = DAYS, top_rooms: int = TOP_ROOMS
) -> dict[str, Any]:
    """The last `days` days (UTC, today included): per day, the busiest rooms, per hour of day.

    Seven small queries over the aggregated tables, whatever the number of messages. Direct
    messages are one aggregate (`direct`), never listed by room."""
    today = today or timezone.now().date()
    since = today - timedelta(days=days - 1)

    messages = dict(
        RoomDay.objects.filter(day__gte=since, day__lte=today)
        .values_list("day")
        .annotate(n=Sum("messages"))
        .values_list("day", "n")
    )
    active = dict(
        SenderDay.objects.filter(day__gte=since, day__lte=today)
        .values_list("day")
        .annotate(n=Count("user_id", distinct=True))
        .values_list("day", "n")
    )
    per_day = [
        {"day": d, "messages": int(messages.get(d) or 0), "active_users": int(active.get(d) or 0)}
        for d in (since + timedelta(days=i) for i in range(days))
    ]

    # Rooms by name; direct messages only as one aggregate: the staff page must not show who
    # talks to whom (a DM's stored name is its people's names).
    rooms = list(
        RoomDay.objects.filter(day__gte=since, day__lte=today, room__kind=Room.Kind.ROOM)
        .values("room_id", "room__name", "room__closed_at")
        .annotate(messages=Sum("messages"))
        .order_by("-messages", "room_id")[:top_rooms]
    )
    senders = dict(
        SenderDay.objects.filter(day__gte=since, day__lte=today, room_id__in=[r["room_id"] for r in rooms])
        .values_list("room_id")
        .annotate(n=Count("user_id", distinct=True))
        .values_list("room_id", "n")
    )
    busiest = [
        {
            "id": r["room_id"],
            "name": r["room__name"],
            "closed": r["room__closed_at"] is not None,
            "messages": int(r["messages"] or 0),
            "active_users": int(senders.get(r["room_id"]) or 0),
        }
        for r in rooms
    ]

    dm_days = RoomDay.objects.filter(day__gte=since, day__lte=today, room__kind=Room.Kind.DIRECT)
    dm_totals = dm_days.aggregate(messages=Sum("messages"), conversations=Count("room_id", distinct=True))
    dm_senders = SenderDay.objects.filter(
        day__gte=since, day__lte=today, room__kind=Room.Kind.DIRECT
    ).aggregate(n=Count("user_id", distinct=True))
    direct = {
        "messages": int(dm_totals["messages"] or 0),
        "conversations": int(dm_totals["conversations"] or 0),
        "active_users": int(dm_senders["n"] or 0),
    }

    hours = dict(
        HourDay.objects.filter(day__gte=since, day__lte=today)
        .values_list("hour")
        .annotate(n=Sum("messages"))
        .values_list("hour", "n")
    )
    per_hour = [{"hour": h, "messages": int(hours.get(h) or 0)} for h in range(24)]

    totals = SenderDay.objects.filter(day__gte=since, day__lte=today).aggregate(
        messages=Sum("messages"), active_users=Count("user_id", distinct=True)
    )
    cursor = StatsCursor.objects.filter(name="messages").values_list("updated_at", flat=True).first()
    return {
        "since": since,
        "until": today,
        "days": per_day,
        "rooms": busiest,
        "direct": direct,
        "hours": per_hour,
        "messages": int(totals["messages"] or 0),
        "active_users": int(totals["active_users"] or 0),
        "live_connections": live_connections(),
        "aggregated_at": cursor,
    }


def live_connections() -> int:
    """WebSocket connections open now, every worker's added up (the `parley_open_sockets` gauge)."""
    return metrics.open_sockets()
