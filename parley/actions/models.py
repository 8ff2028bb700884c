"""The one table of `parley.actions`: what an import made of each thing it read (issue 32)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKey(models.Model):
    """A thing from another system (a Slack user, channel, message, file) and the row an
    import made of it. Running an import again looks its keys up here first, so nothing
    is made twice; the source's ids are stable, so the key is (source, kind, its id).
    `local_id` is the row's pk in the table `kind` names (no foreign key: one table for
    every kind; a row deleted since simply is not made again)."""

    source = models.CharField(max_length=16, verbose_name=_("source"))  # "slack"
    kind = models.CharField(max_length=16, verbose_name=_("kind"))  # user, room, message, file
    key = models.CharField(max_length=160, verbose_name=_("key"))
    local_id = models.BigIntegerField(verbose_name=_("local id"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("import key")
        verbose_name_plural = _("import keys")
        constraints = [
            models.UniqueConstraint(fields=["source", "kind", "key"], name="actions_importkey_unique")
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.key} -> {self.local_id}"


class RoomExport(models.Model):
    """A download of a room being built, or built (issue 32; `GET rooms/{id}/export`).

    A job writes it to a file in the uploads storage a chunk of messages at a time and
    records how far it got, so a large room shows progress and is never held in memory.
    An export is of the room as it was at `through_seq`: once the room has moved on, the
    next request builds a new one. Files older than ROOM_EXPORT_TTL are removed."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    room = models.ForeignKey("rooms.Room", on_delete=models.CASCADE, related_name="+", verbose_name=_("room"))
    requested_by = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="+", verbose_name=_("requested by")
    )
    files = models.BooleanField(default=False, verbose_name=_("with files"))
    state = models.CharField(
        max_length=8, choices=State.choices, default=State.QUEUED, verbose_name=_("state")
    )
    through_seq = models.BigIntegerField(verbose_name=_("through seq"))
    total = models.PositiveIntegerField(default=0, verbose_name=_("total"))
    done = models.PositiveIntegerField(default=0, verbose_name=_("done"))
    storage_name = models.CharField(max_length=255, blank=True, verbose_name=_("storage name"))
    size = models.BigIntegerField(default=0, verbose_name=_("size"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created at"))
    # Moves with each chunk: a queued or running export that stopped moving (its worker died)
    # is left for a new one after ROOM_EXPORT_STALL.
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

    class Meta:
        verbose_name = _("room export")
        verbose_name_plural = _("room exports")
        indexes = [models.Index(fields=["room", "files", "through_seq"], name="actions_roomexport_latest")]

    def __str__(self) -> str:
        return f"export {self.pk} of {self.room_id} ({self.state})"

    @property
    def progress(self) -> float:
        if self.state == self.State.DONE:
            return 1.0
        return round(self.done / self.total, 3) if self.total else 0.0
