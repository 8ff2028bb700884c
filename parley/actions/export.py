"""Downloading your data: the profile (accounts), memberships (rooms), messages and
reactions (messaging) in one JSON document. A read, but across apps, so it sits here."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.utils import timezone

from parley.accounts.models import User
from parley.accounts.serializers import user_data
from parley.messaging.models import Message, Reaction
from parley.rooms.models import Membership


def export_chunks(*, user: User) -> Iterator[str]:
    """The user's data as one JSON document, produced piece by piece so a long history is
    streamed instead of held in memory: profile, memberships, messages, reactions."""
    profile = {
        **user_data(user),
        "email": user.email,
        "language": user.language,
        "time_zone": user.time_zone,
        "date_joined": user.date_joined.isoformat(),
    }
    yield '{"exported_at": ' + json.dumps(timezone.now().isoformat())
    yield ', "profile": ' + json.dumps(profile)
    memberships = [
        {"room": m.room_id, "room_name": m.room.name, "joined_at": m.joined_at.isoformat()}
        for m in Membership.objects.filter(user=user).select_related("room").order_by("joined_at")
    ]
    yield ', "memberships": ' + json.dumps(memberships)
    yield ', "messages": ['
    rows = (
        Message.objects.filter(sender=user, deleted_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "room_id", "room__name", "seq", "body", "created_at", "edited_at")
    )
    for i, (pk, room_id, room_name, seq, body, created, edited) in enumerate(rows.iterator(chunk_size=1000)):
        item: dict[str, Any] = {
            "id": pk,
            "room": room_id,
            "room_name": room_name,
            "seq": seq,
            "body": body,
            "created_at": created.isoformat(),
            "edited_at": edited.isoformat() if edited else None,
        }
        yield ("," if i else "") + json.dumps(item)
    yield '], "reactions": ['
    reactions = (
        Reaction.objects.filter(user=user)
        .order_by("pk")
        .values_list("message_id", "message__room__name", "emoji", "created_at")
    )
    for i, (message_id, room_name, emoji, created) in enumerate(reactions.iterator(chunk_size=1000)):
        item = {
            "message": message_id,
            "room_name": room_name,
            "emoji": emoji,
            "created_at": created.isoformat(),
        }
        yield ("," if i else "") + json.dumps(item)
    yield "]}\n"
