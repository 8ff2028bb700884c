"""Bots, and the webhooks that let programs outside Parley post into rooms and hear commands.

Every poster is a `User` with `is_bot` set, so messages, frames and permissions need no
special case: a bot holds a membership in the rooms it writes in (its seat: neither listed
nor counted among the room's people, `rooms.selectors.member_list`) and is rate-limited like
a person.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from parley.accounts.models import User
from parley.rooms.models import Room


class Bot(models.Model):
    """A bot user and where it came from.

    `key` names a handler in the BOTS setting (built-in bots: their commands run in the
    bot runner); it is empty for accounts of outside programs, which hold a token and use
    the REST and WebSocket API like a person. `room` is set for a bot a room's owner made
    for that room."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="bot", verbose_name=_("user"))
    key = models.CharField(max_length=40, blank=True, verbose_name=_("key"))
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("room")
    )
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("bot")
        verbose_name_plural = _("bots")
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=~models.Q(key=""), name="bots_bot_key_unique")
        ]

    def __str__(self) -> str:
        return self.key or f"bot {self.user_id}"


class IncomingWebhook(models.Model):
    """A secret URL that posts its JSON `{body}` into `room` as `user` (the hook's bot).

    Only a SHA-256 of the secret is kept; the URL is shown once, at creation or rotation."""

    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, related_name="incoming_webhooks", verbose_name=_("room")
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", verbose_name=_("user"))
    name = models.CharField(max_length=64, verbose_name=_("name"))
    secret_hash = models.CharField(max_length=64, verbose_name=_("secret hash"))
    created_by = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    rotated_at = models.DateTimeField(null=True, blank=True, verbose_name=_("rotated at"))

    class Meta:
        verbose_name = _("incoming webhook")
        verbose_name_plural = _("incoming webhooks")

    def __str__(self) -> str:
        return f"incoming webhook {self.pk} of room {self.room_id}"


class OutgoingWebhook(models.Model):
    """Messages of `room` whose first word is one of `triggers` are POSTed to `url`.

    The signing key is not stored: it is derived from SECRET_KEY and `salt` (see
    `services.outgoing_signing_key`), so a database dump alone cannot forge signatures.
    A JSON `{body}` in the answer is posted back as `user` (the hook's bot)."""

    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, related_name="outgoing_webhooks", verbose_name=_("room")
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", verbose_name=_("user"))
    name = models.CharField(max_length=64, verbose_name=_("name"))
    url = models.URLField(max_length=500, verbose_name=_("url"))
    triggers = models.JSONField(default=list, verbose_name=_("triggers"))
    salt = models.CharField(max_length=64, verbose_name=_("salt"))
    created_by = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("outgoing webhook")
        verbose_name_plural = _("outgoing webhooks")

    def __str__(self) -> str:
        return f"outgoing webhook {self.pk} of room {self.room_id}"
