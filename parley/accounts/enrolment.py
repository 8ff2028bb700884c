"""REQUIRE_2FA (`staff` or `all`): a person it applies to who has no second factor yet may
sign in, but the API refuses them everything (403 `second_factor_required`) except what it
takes to enrol, read `me` and sign out. The web client keeps them on the enrolment screen.

A default permission (settings' DEFAULT_PERMISSION_CLASSES), so it holds for every view
that does not choose its own; it judges the person, however the request is authenticated
(a person's token from a login is theirs as much as the session). Bots are never held.
With REQUIRE_2FA unset it costs nothing (no query).
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

# URL names a held person may still use.
EXEMPT = frozenset(
    {
        "me",
        "auth-logout",
        "auth-csrf",
        "me-2fa",
        "me-2fa-totp",
        "me-2fa-totp-confirm",
        "me-2fa-recovery-codes",
        "me-2fa-passkeys",
        "me-2fa-passkeys-options",
        "me-2fa-passkey",
    }
)


class SecondFactorEnrolled(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        # Imported here: DRF loads its default permissions while `parley.common.errors` (which
        # `twofactor` needs) is itself still importing DRF's views.
        from parley.accounts import twofactor

        match = getattr(request._request, "resolver_match", None)
        if match is not None and match.url_name in EXEMPT:
            return True
        if twofactor.enrolment_missing(request.user):
            raise twofactor.SecondFactorRequired(twofactor.REQUIRED_MESSAGE)
        return True
