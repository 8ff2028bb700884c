from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower


class Room(models.Model):
    """A chat room. `last_seq` is the head of the room's event log (see messaging.RoomEvent)."""

    class Visibility(models.TextChoices):
        PUBLIC = "public"
        PRIVATE = "private"

    name = models.CharField(max_length=64)
    topic = models.CharField(max_length=250, blank=True)
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_rooms")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    last_seq = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(Lower("name"), name="rooms_room_name_ci_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.visibility == self.Visibility.PUBLIC

    @property
    def closed(self) -> bool:
        return self.closed_at is not None


class Membership(models.Model):
    # Covered by the (room, user) constraint and the (user, room) index below.
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships", db_index=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", db_index=False
    )
    joined_at = models.DateTimeField(auto_now_add=True)
    last_read_seq = models.BigIntegerField(default=0)
    # Muted by the owner or staff: reads, cannot write (messages, edits, reactions).
    # `muted` with no `muted_until` lasts until lifted; a past `muted_until` has ended.
    muted = models.BooleanField(default=False)
    muted_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="rooms_membership_unique")]
        indexes = [models.Index(fields=["user", "room"], name="rooms_membership_user_room")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.room_id}"


class Ban(models.Model):
    """A person the room's owner or staff put out of the room: they cannot join or be added
    again until the ban is lifted (the row deleted)."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="bans", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="room_bans")
    banned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="rooms_ban_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} banned from {self.room_id}"
