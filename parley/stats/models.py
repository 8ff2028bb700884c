"""Statistics kept apart from the messages (seed 000 kept its statistics in its database).

Filled by `services.stats_aggregate` from the messages stored since its last run
(the cursor), never by a page view; days and hours are UTC. The counts survive a
purge of the messages they were made from.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from parley.rooms.models import Room


class StatsCursor(models.Model):
    """How far the aggregation has read: every message with an id up to `last_message_id`."""

    name = models.CharField(max_length=32, primary_key=True, verbose_name=_("name"))
    last_message_id = models.BigIntegerField(default=0, verbose_name=_("last message id"))
    updated_at = models.DateTimeField(null=True, blank=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("stats cursor")
        verbose_name_plural = _("stats cursors")

    def __str__(self) -> str:
        return f"{self.name} at {self.last_message_id}"


class RoomDay(models.Model):
    """Messages sent in a room on a day, and how many different people sent them."""

    day = models.DateField(verbose_name=_("day"))
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+", verbose_name=_("room"))
    messages = models.PositiveIntegerField(default=0, verbose_name=_("messages"))
    senders = models.PositiveIntegerField(default=0, verbose_name=_("senders"))

    class Meta:
        verbose_name = _("room day")
        verbose_name_plural = _("room days")
        constraints = [models.UniqueConstraint(fields=["day", "room"], name="stats_roomday_day_room")]

    def __str__(self) -> str:
        return f"{self.day} room {self.room_id}: {self.messages}"


class SenderDay(models.Model):
    """One person sent in a room on a day: distinct senders are counted over these rows."""

    day = models.DateField(verbose_name=_("day"))
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+", verbose_name=_("room"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    messages = models.PositiveIntegerField(default=0, verbose_name=_("messages"))

    class Meta:
        verbose_name = _("sender day")
        verbose_name_plural = _("sender days")
        constraints = [
            models.UniqueConstraint(fields=["day", "room", "user"], name="stats_senderday_day_room_user")
        ]

    def __str__(self) -> str:
        return f"{self.day} room {self.room_id} user {self.user_id}: {self.messages}"


class HourDay(models.Model):
    """Messages sent in an hour (0-23, UTC) of a day, all rooms together."""

    day = models.DateField(verbose_name=_("day"))
    hour = models.PositiveSmallIntegerField(verbose_name=_("hour"))
    messages = models.PositiveIntegerField(default=0, verbose_name=_("messages"))

    class Meta:
        verbose_name = _("hour day")
        verbose_name_plural = _("hour days")
        constraints = [models.UniqueConstraint(fields=["day", "hour"], name="stats_hourday_day_hour")]

    def __str__(self) -> str:
        return f"{self.day} {self.hour:02d}h: {self.messages}"
