"""Web Push subscriptions (issue 30): one row per device (browser profile) that said yes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Push services' endpoints are a few hundred characters (FCM, Mozilla, Apple); the bound keeps
# the unique index within MariaDB's key size in utf8mb4.
ENDPOINT_MAX = 600


class PushSubscription(models.Model):
    """What a browser's `PushSubscription.toJSON()` gave: where to POST (`endpoint`, the push
    service's URL for this device) and the keys to encrypt for it (RFC 8291). The endpoint is
    unique: a device subscribing again, or another account signing in on the same browser,
    reuses its row, so one device never gets a push twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="push_subscriptions",
        verbose_name=_("user"),
    )
    endpoint = models.CharField(max_length=ENDPOINT_MAX, unique=True, verbose_name=_("endpoint"))
    # base64url (no padding) of the browser's P-256 public key (65 bytes) and auth secret (16).
    p256dh = models.CharField(max_length=100, verbose_name=_("public key"))
    auth = models.CharField(max_length=32, verbose_name=_("auth secret"))
    # "Chrome on Android": made from the User-Agent that subscribed, for the device list.
    label = models.CharField(max_length=64, blank=True, default="", verbose_name=_("label"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last used at"))
    # Pushes in a row that failed for good (after their retries); reset by a delivered one.
    failures = models.PositiveIntegerField(default=0, db_default=0, verbose_name=_("failures"))

    class Meta:
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.label or self.endpoint[:40]}"


class VapidKey(models.Model):
    """The server's generated VAPID private key when PUSH_VAPID_PRIVATE_KEY is unset: one row,
    in the database every process and host shares, so a worker signs with the key the web
    processes publish (a key in each machine's data/ would differ between containers)."""

    private_key = models.CharField(max_length=64, verbose_name=_("private key"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("VAPID key")
        verbose_name_plural = _("VAPID keys")

    def __str__(self) -> str:
        return f"VAPID key of {self.created_at:%Y-%m-%d}"
