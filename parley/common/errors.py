"""One error vocabulary for services, REST and WebSocket.

Services raise `ServiceError` subclasses; the DRF exception handler and the
WebSocket consumer both turn them into the same `{code, message, fields}` shape,
so a client sees one set of codes whichever way it talks to Parley.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from parley.common.i18n import Text
from parley.common.signedout import SignedOut

# Messages are often lazy (parley/common/i18n.py): they become text in the reader's language
# when the error is rendered (`as_dict`), by the REST handler or the WebSocket consumer.
Fields = dict[str, list[Text]]
logger = logging.getLogger(__name__)


class ServiceError(Exception):
    """A refusal a client can act on; carries the HTTP status it maps to."""

    status = 400
    code = "invalid"

    def __init__(self, message: Text, *, code: str | None = None, fields: Fields | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}

    def as_dict(self) -> dict[str, Any]:
        """The error in the active language (lazy texts are translated here)."""
        fields = {name: [str(m) for m in msgs] for name, msgs in self.fields.items()}
        return {"code": self.code, "message": str(self.message), "fields": fields}


class Invalid(ServiceError):
    status = 400
    code = "invalid"


class NotAuthenticated(ServiceError):
    status = 401
    code = "not_authenticated"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class Gone(ServiceError):
    """The thing existed but no longer serves (an expired, revoked or used-up invite link)."""

    status = 410
    code = "gone"


class TooLarge(ServiceError):
    status = 413
    code = "too_large"


class RateLimited(ServiceError):
    """429; `retry_after` (seconds) becomes the Retry-After header over REST."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: Text, *, retry_after: float | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.retry_after = max(1, math.ceil(retry_after)) if retry_after is not None else None


def error_body(code: str, message: Text, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": str(message), "fields": fields or {}}}


_DRF_CODES = {
    drf.NotAuthenticated: "not_authenticated",
    drf.AuthenticationFailed: "not_authenticated",
    drf.PermissionDenied: "forbidden",
    drf.NotFound: "not_found",
    drf.MethodNotAllowed: "method_not_allowed",
    drf.NotAcceptable: "not_acceptable",
    drf.UnsupportedMediaType: "unsupported_media_type",
    drf.Throttled: "rate_limited",
    drf.ParseError: "bad_json",
    drf.ValidationError: "invalid",
}


def _flatten(detail: Any) -> dict[str, list[str]]:
    """DRF nests errors as dicts/lists of ErrorDetail; clients want field -> [messages]."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(value, dict):
                for sub, msgs in _flatten(value).items():
                    out[f"{key}.{sub}"] = msgs
            elif isinstance(value, list):
                out[str(key)] = [str(v) for v in value]
            else:
                out[str(key)] = [str(value)]
        return out
    if isinstance(detail, list):
        return {"non_field_errors": [str(v) for v in detail]}
    return {"non_field_errors": [str(detail)]}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render every API error as {"error": {code, message, fields}} with the right status."""
    if isinstance(exc, ServiceError):
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return Response({"error": exc.as_dict()}, status=exc.status, headers=headers)
    if isinstance(exc, OperationalError | InterfaceError):
        # The database is unreachable: nothing was stored, and the client may retry
        # (a send with the same client_id is stored at most once).
        logger.warning("database unavailable: %s", exc)
        body = error_body("unavailable", _("The service is briefly unavailable; try again."))
        return Response(body, status=503, headers={"Retry-After": "1"})
    if isinstance(exc, drf.NotAuthenticated) and not isinstance(exc, SignedOut):
        # A session the account's side ended (parley.accounts.authentication notes why).
        reason = getattr(getattr(context.get("request"), "_request", None), "signed_out_reason", None)
        if reason:
            exc = SignedOut(reason)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    assert isinstance(exc, drf.APIException)
    if isinstance(exc, SignedOut):
        response.data = error_body("signed_out", str(exc.detail))
        response.data["error"]["reason"] = exc.reason
        return response
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    if isinstance(exc, drf.ValidationError):
        fields = _flatten(exc.detail)
        message = _("Some fields are not valid.")
        if list(fields) == ["non_field_errors"]:
            message = fields["non_field_errors"][0]
        response.data = error_body(code, message, fields)
    elif isinstance(exc, drf.ParseError):
        # DRF's text ends with the JSON parser's own English ("Expecting value: line 1…").
        response.data = error_body(code, _("The request body is not valid JSON."))
    elif isinstance(exc, drf.Throttled):
        # DRF's own text is half-translated in some languages ("Expected available in…").
        seconds = getattr(exc, "wait", None)
        wait = math.ceil(seconds) if seconds is not None else None
        if wait is None:
            message = _("Too many requests; slow down.")
        elif wait > 90:  # "in 2491 seconds" makes a person do the sum: say minutes
            minutes = math.ceil(wait / 60)
            message = ngettext(
                "Too many requests; try again in %(count)s minute.",
                "Too many requests; try again in %(count)s minutes.",
                minutes,
            ) % {"count": minutes}
        else:
            message = ngettext(
                "Too many requests; try again in %(count)s second.",
                "Too many requests; try again in %(count)s seconds.",
                wait,
            ) % {"count": wait}
        response.data = error_body(code, message)
    else:
        message = str(exc.detail) if not isinstance(exc.detail, dict | list) else _("Request failed.")
        response.data = error_body(code, message)
    return response
