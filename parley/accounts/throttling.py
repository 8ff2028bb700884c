"""What a locked-out login sees: 429 in the API's error shape, with when to retry."""

from __future__ import annotations

from typing import Any

from axes.helpers import get_cool_off
from django.http import HttpRequest, JsonResponse
from django.utils.translation import ngettext

from parley.common.errors import error_body


def lockout_response(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    cool_off = get_cool_off(request)
    minutes = int(cool_off.total_seconds() // 60) if cool_off else 15
    response = JsonResponse(
        error_body(
            "rate_limited",
            ngettext(
                "Too many failed sign-in attempts. Try again in %(count)s minute.",
                "Too many failed sign-in attempts. Try again in %(count)s minutes.",
                minutes,
            )
            % {"count": minutes},
        ),
        status=429,
    )
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response
