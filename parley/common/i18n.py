"""The server's languages (docs/i18n.md, "Server"): which one a request or a socket gets,
and texts whose words are filled in only when they are written out.

A service may raise its error on a worker thread (the send batcher stores many sockets'
messages at once), far from the socket that reads it; so error messages are lazy
(`gettext_lazy`) and the consumer renders them in the socket's language when it builds
the frame. `interpolate` keeps a lazy message lazy when it has values to fill in:
`gettext_lazy(...) % {...}` would translate at once, in whatever language is active there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.functional import Promise, lazy
from django.utils.translation.trans_real import parse_accept_lang_header

Text = str | Promise


def _fill(message: Text, params: Mapping[str, Any]) -> str:
    # `message % params` on an ngettext_lazy proxy picks the plural form from params.
    return str(message % params)  # type: ignore[operator]


_lazy_fill = lazy(_fill, str)


def interpolate(message: Text, params: Mapping[str, Any]) -> str:
    """`message % params`, translated when it is turned into a string, not now."""
    return _lazy_fill(message, dict(params))  # type: ignore[no-any-return]


def supported(code: str | None) -> str | None:
    """One of settings.LANGUAGES' codes for `code` ("ko", "zh-Hans", "ja-JP"), else None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code.lower())
    except LookupError:
        return None


def from_accept_language(header: str) -> str | None:
    """The best of our languages an Accept-Language header asks for (None: none of them)."""
    for code, _quality in parse_accept_lang_header(header):
        if code == "*":
            break
        found = supported(code)
        if found:
            return found
    return None


def user_language(user: Any) -> str | None:
    """A signed-in person's saved language, if it is one of ours."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return supported(getattr(user, "language", None))


def use_saved_language(request: HttpRequest, user: Any) -> None:
    """A request that names no language is answered in its user's saved one.

    LocaleMiddleware has already chosen (from Accept-Language, else LANGUAGE_CODE); the
    client sends Accept-Language on every call, so this only serves other clients
    (scripts, bots with a token, the admin opened without the header)."""
    if request.META.get("HTTP_ACCEPT_LANGUAGE"):
        return
    code = user_language(user)
    if code and code != translation.get_language():
        translation.activate(code)
        request.LANGUAGE_CODE = code  # type: ignore[attr-defined]


def socket_language(query: Mapping[str, list[str]], user: Any, accept_language: str) -> str:
    """A WebSocket's language: `?lang=` > the user's saved one > the handshake's
    Accept-Language > LANGUAGE_CODE."""
    return (
        supported((query.get("lang") or [""])[0])
        or user_language(user)
        or from_accept_language(accept_language)
        or settings.LANGUAGE_CODE
    )
