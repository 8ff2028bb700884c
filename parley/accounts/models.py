from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

# A person's display name and a guest's nickname, at most (characters, after clean_name): the
# services' checks and the limits the REST schema publishes (a test holds them equal). The
# column is wider: bots' names and staff edits may take up to 64.
DISPLAY_NAME_MAX = 40
NICKNAME_MAX = 24
# A status's text, at most (characters).
STATUS_TEXT_MAX = 100


class User(AbstractUser):
    """A registered account or a guest (nickname + avatar, no password)."""

    display_name = models.CharField(max_length=64, blank=True, verbose_name=_("display name"))
    avatar = models.CharField(max_length=32, blank=True, verbose_name=_("avatar"))
    is_guest = models.BooleanField(default=False, verbose_name=_("is guest"))
    # A bot: a program, not a person (a built-in handler, a webhook's poster, or an outside
    # program holding a token). Shown with a badge; never signs in with a password.
    is_bot = models.BooleanField(default=False, verbose_name=_("is bot"))
    # Mail: `email` (AbstractUser's) is optional; it is used only once verified.
    email_verified = models.BooleanField(default=False, verbose_name=_("email verified"))
    digest_enabled = models.BooleanField(default=True, verbose_name=_("digest enabled"))
    # Messages created up to here are covered by a digest already (or were not missed).
    digest_through = models.DateTimeField(null=True, blank=True, verbose_name=_("digest through"))
    # Profile (issue 17): the interface language (i18n reads it) and an IANA time zone.
    language = models.CharField(max_length=8, default="en", verbose_name=_("language"))
    time_zone = models.CharField(max_length=64, default="UTC", verbose_name=_("time zone"))
    # Set when the account was deleted: the row stays (messages keep a sender, PROTECT),
    # anonymised, and is shown as "Deleted user".
    deleted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("deleted at"))
    # Status and do-not-disturb (issue 30). An expired status or DND reads as none at once
    # (checked at read time); a periodic job clears the columns and tells everyone.
    status_emoji = models.CharField(max_length=32, blank=True, db_default="", verbose_name=_("status emoji"))
    status_text = models.CharField(
        max_length=STATUS_TEXT_MAX, blank=True, db_default="", verbose_name=_("status text")
    )
    status_expires_at = models.DateTimeField(null=True, blank=True, verbose_name=_("status expires at"))
    dnd_until = models.DateTimeField(null=True, blank=True, verbose_name=_("do not disturb until"))
    # Away by hand: stays until cleared, whatever the activity.
    away = models.BooleanField(default=False, db_default=False, verbose_name=_("away"))
    # Read receipts: off hides yours from others and theirs from you.
    share_read_receipts = models.BooleanField(
        default=True, db_default=True, verbose_name=_("share read receipts")
    )
    # Web Push (issue 30): show only "New message" on the lock screen, not who wrote what.
    push_hide_text = models.BooleanField(
        default=False, db_default=False, verbose_name=_("hide text in push notifications")
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username


class AuthToken(models.Model):
    """An API token; one per login so logging out one device leaves the others.

    Only a SHA-256 of the key is stored: a database leak does not hand out sessions.
    """

    key_hash = models.CharField(max_length=64, unique=True, verbose_name=_("key hash"))
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="auth_tokens", verbose_name=_("user")
    )
    session_key = models.CharField(max_length=40, blank=True, db_index=True, verbose_name=_("session key"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("auth token")
        verbose_name_plural = _("auth tokens")

    def __str__(self) -> str:
        return f"token {self.pk} of {self.user_id}"
