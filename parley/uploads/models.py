from __future__ import annotations

from django.conf import settings
from django.db import models

from parley.messaging.models import Message
from parley.rooms.models import Room

NAME_MAX = 200


class Upload(models.Model):
    """A file someone put in a room: stored through the `uploads` storage, served only to members.

    It belongs to its uploader until a message attaches it (`message` set); unattached
    uploads older than a day are removed by a periodic job. The message keeps a copy of
    what clients show (`Message.attachments`), so history reads no upload rows.
    """

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+")
    uploader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # SET_NULL: a message purged by retention leaves its uploads unattached, and the
    # clean-up job removes their files with them a day later.
    message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="uploads"
    )
    name = models.CharField(max_length=NAME_MAX, help_text="The file name as given, checked and cleaned.")
    storage_name = models.CharField(max_length=255)
    size = models.BigIntegerField()
    content_type = models.CharField(max_length=100, help_text="Sniffed from the content, not the name.")
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    thumbnail_name = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.size} bytes) in {self.room_id}"

    @property
    def is_image(self) -> bool:
        """An image clients show inline: Pillow read its size and browsers render the type."""
        return self.width is not None and self.content_type in INLINE_IMAGE_TYPES


# Shown inline (and thumbnailed). SVG is not among them: it can carry script.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
