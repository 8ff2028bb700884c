from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from parley.rooms.models import Room

NAME_MAX = 200


class Upload(models.Model):
    """A file someone put in a room: stored through the `uploads` storage, served only to members.

    It belongs to its uploader until a message attaches it (`message` set); unattached
    uploads older than a day are removed by a periodic job. The message keeps a copy of
    what clients show (`Message.attachments`), so history reads no upload rows.
    """

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+", verbose_name=_("room"))
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("uploader")
    )
    # SET_NULL: a message purged by retention leaves its uploads unattached, and the
    # clean-up job removes their files with them a day later. Named by its label: uploads
    # sit below messaging (the send attaches them), so this app imports nothing of it.
    message = models.ForeignKey(
        "messaging.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="uploads",
        verbose_name=_("message"),
    )
    name = models.CharField(
        max_length=NAME_MAX,
        help_text=_("The file name as given, checked and cleaned."),
        verbose_name=_("name"),
    )
    storage_name = models.CharField(max_length=255, verbose_name=_("storage name"))
    size = models.BigIntegerField(verbose_name=_("size"))
    content_type = models.CharField(
        max_length=100, help_text=_("Sniffed from the content, not the name."), verbose_name=_("content type")
    )
    width = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("width"))
    height = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("height"))
    thumbnail_name = models.CharField(
        max_length=255, blank=True, default="", verbose_name=_("thumbnail name")
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("upload")
        verbose_name_plural = _("uploads")

    def __str__(self) -> str:
        return f"{self.name} ({self.size} bytes) in {self.room_id}"

    @property
    def is_image(self) -> bool:
        """An image clients show inline: Pillow read its size and browsers render the type."""
        return self.width is not None and self.content_type in INLINE_IMAGE_TYPES


# Shown inline (and thumbnailed). SVG is not among them: it can carry script.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


EMOJI_NAME_PATTERN = r"^[a-z0-9_-]{2,32}$"
EMOJI_TYPES = {"PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}


class CustomEmoji(models.Model):
    """A community's own emoji: `:name:` in a message or as a reaction shows its picture.

    The picture is checked and made small when it is added (animated ones keep moving) and
    stored through the uploads storage; it is served to signed-in people by the API."""

    name = models.CharField(max_length=32, unique=True, verbose_name=_("name"))
    storage_name = models.CharField(max_length=255, verbose_name=_("storage name"))
    content_type = models.CharField(max_length=32, verbose_name=_("content type"))
    animated = models.BooleanField(default=False, verbose_name=_("animated"))
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("creator"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("custom emoji")
        verbose_name_plural = _("custom emoji")
        ordering = ["name"]

    def __str__(self) -> str:
        return f":{self.name}:"


class PresignedUpload(models.Model):
    """A file a client was given an address to send straight to the S3-compatible store.

    Nothing can attach it: it becomes an `Upload` only when the client says it is done and
    the stored object checks out (its size, its type; parley.uploads.presigned). Those never
    completed are removed with their objects by the unattached-upload clean-up."""

    key = models.CharField(max_length=32, unique=True, verbose_name=_("key"))
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+", verbose_name=_("room"))
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("uploader")
    )
    name = models.CharField(max_length=NAME_MAX, verbose_name=_("name"))
    storage_name = models.CharField(max_length=255, verbose_name=_("storage name"))
    size = models.BigIntegerField(help_text=_("As announced by the client."), verbose_name=_("size"))
    content_type = models.CharField(
        max_length=100, help_text=_("As announced by the client."), verbose_name=_("content type")
    )
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("presigned upload")
        verbose_name_plural = _("presigned uploads")

    def __str__(self) -> str:
        return f"{self.name} (presigned {self.key})"
