"""What the realtime layer needs from the database, as an interface wired at startup.

The hub repairs delivery from the event log and the presence tracker counts
online members; both read tables that belong to the apps above this layer.
Rather than import them (the apps' services import this layer to publish), the
runtime is handed an object with these methods (`parley.ws.wiring`).
All are synchronous database work; the runtime runs them off the loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol


class EventStore(Protocol):
    def events_after(self, room_id: int, after_seq: int, limit: int) -> tuple[list[tuple[int, str]], int]:
        """The room's logged events after `after_seq` as (seq, frame text), and the room's head
        read before them (every event up to the head is among the rows, up to `limit`)."""
        ...

    def room_heads(self, room_ids: Sequence[int]) -> dict[int, int]:
        """Each room's `last_seq`."""
        ...

    def online_member_counts(self, room_ids: Sequence[int], online: frozenset[int]) -> dict[int, int]:
        """How many of `online` belong to each room."""
        ...

    def presence_changed(self, user_ids: Sequence[int]) -> None:
        """These people came, went, fell idle or came back: tell everyone their presence
        (the apps know the rest of it: do-not-disturb, away by hand, the status)."""
        ...


# Stores a batch of sends to one room; one answer (a result or the error that refused it) per request.
StoreBatch = Callable[[int, list[Any]], list[Any]]
