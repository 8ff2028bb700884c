"""Where the realtime layer meets the apps: the runtime, built from settings.

The realtime infrastructure imports no app. What it needs from the database
(the event log, room heads, online members) and the one service it calls (the
batched send) are handed to it here, the only place that knows both sides.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from parley.accounts import presence as people
from parley.messaging import selectors as messages
from parley.messaging import services as messaging
from parley.realtime import metrics
from parley.realtime.clock import Clock
from parley.realtime.config import RealtimeConfig
from parley.realtime.runtime import Runtime
from parley.rooms import selectors as rooms


class DatabaseEventStore:
    """The realtime layer's `EventStore`, read through the apps' selectors."""

    def events_after(self, room_id: int, after_seq: int, limit: int) -> tuple[list[tuple[int, str]], int]:
        return messages.events_after(room_id=room_id, after_seq=after_seq, limit=limit)

    def room_heads(self, room_ids: Sequence[int]) -> dict[int, int]:
        return rooms.room_heads(room_ids=list(room_ids))

    def online_member_counts(self, room_ids: Sequence[int], online: frozenset[int]) -> dict[int, int]:
        return rooms.online_member_counts(room_ids=list(room_ids), online=online)

    def presence_changed(self, user_ids: Sequence[int]) -> None:
        people.presence_announce(user_ids=list(user_ids))


def store_send_batch(room_id: int, requests: list[Any]) -> list[Any]:
    """The WebSocket sends' batched store, counted for /metrics (REST sends count in message_send)."""
    try:
        answers = messaging.message_send_batch(room_id=room_id, requests=requests)
    except Exception:
        for _request in requests:
            metrics.send_refused("server_error")
        raise
    metrics.sends_answered(answers)
    return answers  # type: ignore[return-value]


def build_runtime(*, config: RealtimeConfig | None = None, clock: Clock | None = None) -> Runtime:
    """This process's runtime, from Django's settings unless `config` is given."""
    return Runtime(
        config=config or RealtimeConfig.from_settings(),
        store=DatabaseEventStore(),
        store_batch=store_send_batch,
        clock=clock,
    )
