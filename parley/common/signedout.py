"""The 401 of a login the account's side ended, apart from `errors` because the REST
authentication classes raise it, and DRF imports those classes while `errors` imports DRF's
views (a module of its own breaks that loop)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as drf


class SignedOut(drf.AuthenticationFailed):
    """A 401 for a login the account's side ended (docs/protocol.md, "Signed out"): code
    `signed_out` and `reason`, one of `REASONS`, so a device can say why it was signed out."""

    REASONS: dict[str, Any] = {
        "logged_out": _("You were signed out of this login."),
        "password_changed": _("You were signed out because the account's password was changed."),
        "password_reset": _("You were signed out because the account's password was reset."),
        "account_deactivated": _("You were signed out because the account was deactivated."),
        "account_deleted": _("You were signed out because the account was deleted."),
        "guest_removed": _("Your guest visit has ended."),
    }

    def __init__(self, reason: str):
        super().__init__(self.REASONS.get(reason, _("You were signed out.")))
        self.reason = reason
