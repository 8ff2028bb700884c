from __future__ import annotations

from django.conf import settings
from django.db import models

from parley.rooms.models import Room

BODY_MAX = 4000


class Message(models.Model):
    """A message as it reads now; `seq` is the seq of the event that created it."""

    # No single-column indexes on room and sender: the unique constraints below lead with
    # them and serve every lookup. A second, narrower index on sender_id also tempted
    # PostgreSQL (with stale statistics) into scanning all of a sender's messages to find
    # one client_id (docs/performance.md), and every insert paid to maintain it.
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages", db_index=False)
    seq = models.BigIntegerField()
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="messages", db_index=False
    )
    body = models.TextField(max_length=BODY_MAX)
    client_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # (room, seq) is also the index every history page walks.
            models.UniqueConstraint(fields=["room", "seq"], name="messaging_message_room_seq"),
            # A retried send finds the message it already stored.
            models.UniqueConstraint(fields=["sender", "client_id"], name="messaging_message_sender_client"),
        ]

    def __str__(self) -> str:
        return f"{self.room_id}#{self.seq}"


class RoomEvent(models.Model):
    """The room's event log: one row per seq, whatever kind of event took it.

    `frame` is the exact JSON text the socket carried live, so replaying a log
    (resume, gap fill, recovery after a Redis restart) re-sends the same bytes
    without touching the serializers again.
    """

    class Kind(models.TextChoices):
        MESSAGE = "message"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="events", db_index=False)
    seq = models.BigIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    frame = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "seq"], name="messaging_event_room_seq")]

    def __str__(self) -> str:
        return f"{self.room_id}@{self.seq} {self.kind}"
