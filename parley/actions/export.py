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
from parley.rooms.models import Membership, Room


def _room_names_seen_by(user: User) -> dict[int, str | None]:
    """The name of each room the user wrote or reacted in, as far as they may see it now: a
    public room's, or a room they still belong to. A private room they left or were removed
    from gets None: its name may have changed since, and the new one is not theirs to see
    (the name they knew is not kept: rooms keep no history of their names)."""
    member_of = set(Membership.objects.filter(user=user).values_list("room_id", flat=True))
    touched = set(Message.objects.filter(sender=user).values_list("room_id", flat=True).distinct())
    touched |= set(Reaction.objects.filter(user=user).values_list("message__room_id", flat=True).distinct())
    rows = Room.objects.filter(pk__in=touched).values_list("pk", "name", "visibility")
    return {
        pk: name if pk in member_of or visibility == Room.Visibility.PUBLIC else None
        for pk, name, visibility in rows
    }


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
    names = _room_names_seen_by(user)
    yield ', "messages": ['
    rows = (
        Message.objects.filter(sender=user, deleted_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "room_id", "seq", "body", "created_at", "edited_at", "thread_id", "also_to_room")
    )
    for i, (pk, room_id, seq, body, created, edited, thread, also) in enumerate(
        rows.iterator(chunk_size=1000)
    ):
        item: dict[str, Any] = {
            "id": pk,
            "room": room_id,
            "room_name": names.get(room_id),
            "seq": seq,
            "body": body,
            "created_at": created.isoformat(),
            "edited_at": edited.isoformat() if edited else None,
            "thread": thread,  # the thread's root for a reply in a thread (protocol 3)
            "also_to_room": also,
        }
        yield ("," if i else "") + json.dumps(item)
    yield '], "reactions": ['
    reactions = (
        Reaction.objects.filter(user=user)
        .order_by("pk")
        .values_list("message_id", "message__room_id", "emoji", "created_at")
    )
    for i, (message_id, room_id, emoji, created) in enumerate(reactions.iterator(chunk_size=1000)):
        item = {
            "message": message_id,
            "room_name": names.get(room_id),
            "emoji": emoji,
            "created_at": created.isoformat(),
        }
        yield ("," if i else "") + json.dumps(item)
    yield "]}\n"
