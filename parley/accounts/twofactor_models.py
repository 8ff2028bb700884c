"""Second factors (issue 31): an authenticator app's TOTP secret, single-use recovery codes
and passkeys (WebAuthn credentials). Loaded by `parley.accounts.models`, so they are the
accounts app's models; kept apart so the password account's model stays readable."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

PASSKEY_NAME_MAX = 64


class TotpDevice(models.Model):
    """One authenticator app per person. Pending (`confirmed_at` null) until a code from it
    is shown back, so a half-finished enrolment never locks anybody out.

    The secret is stored encrypted (Fernet, key derived from SECRET_KEY): a database dump
    alone does not yield the codes. `last_step` is the newest 30-second step a code was
    accepted for: a code is accepted once, and an older one never after a newer one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="totp_device",
        verbose_name=_("user"),
    )
    secret_encrypted = models.TextField(verbose_name=_("encrypted secret"))
    confirmed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("confirmed at"))
    last_step = models.BigIntegerField(default=0, verbose_name=_("last accepted step"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")

    def __str__(self) -> str:
        return f"totp of {self.user_id}"


class RecoveryCode(models.Model):
    """A single-use code for when the authenticator is lost. Only a SHA-256 of it is kept
    (the codes carry 50 random bits: a fast hash is as safe as a slow one here)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="recovery_codes",
        verbose_name=_("user"),
    )
    code_hash = models.CharField(max_length=64, verbose_name=_("code hash"))
    used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("used at"))

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")
        constraints = [
            models.UniqueConstraint(fields=["user", "code_hash"], name="accounts_recovery_code_unique"),
        ]

    def __str__(self) -> str:
        return f"recovery code {self.pk} of {self.user_id}"


class Passkey(models.Model):
    """A WebAuthn credential. `passwordless` is the person's choice to sign in with it alone
    (it is then a discoverable credential verified by the authenticator's PIN or biometrics);
    otherwise it only serves as the second factor after the password."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="passkeys",
        verbose_name=_("user"),
    )
    name = models.CharField(max_length=PASSKEY_NAME_MAX, verbose_name=_("name"))
    # base64url of the credential id (what the browser sends back as `id`; up to 1023 bytes),
    # found by its SHA-256: a unique index on the id itself is too wide for MariaDB.
    credential_id = models.TextField(verbose_name=_("credential id"))
    credential_hash = models.CharField(max_length=64, unique=True, verbose_name=_("credential hash"))
    public_key = models.BinaryField(verbose_name=_("public key"))
    sign_count = models.BigIntegerField(default=0, verbose_name=_("signature counter"))
    transports = models.JSONField(default=list, blank=True, verbose_name=_("transports"))
    passwordless = models.BooleanField(default=False, verbose_name=_("sign in without a password"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last used at"))

    class Meta:
        verbose_name = _("passkey")
        verbose_name_plural = _("passkeys")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"passkey {self.name} of {self.user_id}"
