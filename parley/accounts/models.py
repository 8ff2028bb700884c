from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
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


class ExternalLogin(models.Model):
    """An identity at an organisation's sign-in service that signs in as `user`: an OpenID
    Connect issuer's subject, or a directory's user (issuer "ldap"). One identity, one account;
    an account with a directory identity has its password in the directory, not here."""

    OIDC = "oidc"
    LDAP = "ldap"
    KINDS = [(OIDC, "OpenID Connect"), (LDAP, "LDAP")]

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="external_logins", verbose_name=_("user")
    )
    kind = models.CharField(max_length=8, choices=KINDS, verbose_name=_("kind"))
    issuer = models.CharField(max_length=255, verbose_name=_("issuer"))
    subject = models.CharField(max_length=255, verbose_name=_("subject"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last used at"))

    class Meta:
        verbose_name = _("external login")
        verbose_name_plural = _("external logins")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="accounts_externallogin_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} of {self.user_id}"


class SignIn(models.Model):
    """One sign-in: who, how, when, from where (issue 31). The account page lists a person's
    own, staff see anyone's; only the newest `signins.KEEP` per account are kept.

    `token` is the login it started while that login lasts (null once it ended), so the
    account page can tell live devices from past sign-ins and end one."""

    class Method(models.TextChoices):
        PASSWORD = "password", _("password")
        LDAP = "ldap", _("directory (LDAP)")
        OIDC = "oidc", _("single sign-on (OIDC)")
        PASSKEY = "passkey", _("passkey")
        REGISTER = "register", _("new account")
        GUEST = "guest", _("guest")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sign_ins", verbose_name=_("user"))
    method = models.CharField(max_length=16, choices=Method.choices, verbose_name=_("method"))
    at = models.DateTimeField(verbose_name=_("at"))
    ip = models.GenericIPAddressField(null=True, blank=True, verbose_name=_("address"))
    user_agent = models.CharField(max_length=256, blank=True, verbose_name=_("user agent"))
    token = models.ForeignKey(
        AuthToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("login")
    )

    class Meta:
        verbose_name = _("sign-in")
        verbose_name_plural = _("sign-ins")
        indexes = [models.Index(fields=["user", "-at"], name="accounts_signin_user_at")]

    def __str__(self) -> str:
        return f"sign-in {self.pk} of {self.user_id} ({self.method})"


class Invitation(models.Model):
    """An invitation to create an account, mailed by staff (issue 31): works once, until
    `expires_at`, whatever REGISTRATION says. Only a SHA-256 of the token is kept (the link
    is mailed, never shown again)."""

    email = models.EmailField(verbose_name=_("email"))
    token_hash = models.CharField(max_length=64, unique=True, verbose_name=_("token hash"))
    invited_by = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("invited by")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("used at"))
    used_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("used by")
    )
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"invitation {self.pk} for {self.email}"

    @property
    def state(self) -> str:
        """pending, or why it admits nobody: used, revoked, expired."""
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


# Second factors live in a module of their own; importing them here makes them this app's.
from parley.accounts.twofactor_models import Passkey, RecoveryCode, TotpDevice  # noqa: E402

__all__ = [
    "AuthToken",
    "ExternalLogin",
    "Invitation",
    "Passkey",
    "RecoveryCode",
    "SignIn",
    "TotpDevice",
    "User",
]
