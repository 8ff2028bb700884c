"""The API's error shape for the OpenAPI schema, declared once.

Every error answer is `{"error": {"code", "message", "fields"}}` (see `errors.py`);
views list the statuses they can answer with `errors(...)`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorDetailOut(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `not_found`, `rate_limited`.")
    message = serializers.CharField(help_text="A sentence for people.")
    # DRF's metaclass moves declared fields off the class, so this does not shadow `.fields`.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Field name -> messages; empty unless the input was invalid.",
    )
    reason = serializers.CharField(
        required=False,
        help_text="Only with code `signed_out` (401): why the login ended: `password_changed`, "
        "`password_reset`, `account_deleted`, `account_deactivated`, `guest_removed`, `logged_out`.",
    )


class ErrorOut(serializers.Serializer[Any]):
    error = ErrorDetailOut()


DESCRIPTIONS = {
    400: "Invalid input; `error.fields` says which.",
    401: "Not signed in, or the token or session sent is not valid (any endpoint that reads credentials).",
    403: "Not allowed.",
    404: "Not found.",
    409: "Conflict with the current state.",
    410: "Gone: it existed but no longer serves (`error.code` says why).",
    413: "Too large.",
    415: "The body is not JSON.",
    429: "Too many requests; slow down.",
    503: "The database is briefly unreachable; nothing was done, retry after `Retry-After` seconds.",
}


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorOut, description=description)


def errors(*codes: int, **described: str) -> dict[int, OpenApiResponse]:
    """Error responses for `codes`; `described` overrides a description (`e404="No such room"`)."""
    out = {}
    for code in codes:
        out[code] = error(described.get(f"e{code}", DESCRIPTIONS[code]))
    return out


# Every view that reads credentials can answer these two, whatever else it does.
AUTH = errors(401, 503)
