"""The lobby's unread and mention counts: a port the messaging app fills at start-up.

Rooms sit below messaging (a message belongs to a room and its sender), yet the room list
shows how many of each room's messages are unread. Counting messages is messaging's
(`parley.messaging.unread`); the room list asks for it through this one function type,
which `MessagingConfig.ready()` provides. So the imports point one way (messaging ->
rooms) and the list stays one query: the counts are subqueries of the room query.
"""

from __future__ import annotations

from typing import Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Expression

from parley.accounts.models import User


class RoomCounts(Protocol):
    def __call__(self, user: User) -> dict[str, Expression]:
        """`unread_count` and `mention_count` annotations for a Room queryset already
        annotated with `my_read`, the user's read marker (null where not a member)."""
        ...


_provided: list[RoomCounts] = []


def provide(counts: RoomCounts) -> None:
    """Called once by the app that counts messages (its AppConfig.ready)."""
    _provided[:] = [counts]


def for_user(user: User) -> dict[str, Expression]:
    if not _provided:
        raise ImproperlyConfigured("No room counts: parley.messaging must be in INSTALLED_APPS.")
    return _provided[0](user)
