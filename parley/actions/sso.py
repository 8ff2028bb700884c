"""`GET /auth/oidc/login` and `GET /auth/oidc/callback`, at the site's root (the redirect URI
an IdP is told is a page of the site, not an API call).

The callback ends like a password sign-in for the web client: a session cookie, then the
client's start-up `GET me` finds the person signed in on the page they set out from. Every
refusal goes back to the sign-in page with a code the client shows in the person's language
(`/login?sso_error=<code>`) and one log line for the operator; none is a server error.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponseRedirect
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from parley.accounts import oidc, signins, sso
from parley.common.errors import ServiceError
from parley.rooms import services as rooms

logger = logging.getLogger(__name__)


def _to_login(code: str, next_path: str = "/") -> HttpResponseRedirect:
    query = {"sso_error": code, **({"next": next_path} if next_path != "/" else {})}
    return HttpResponseRedirect(f"/login?{urlencode(query)}")


@never_cache
@require_safe
def oidc_login(request: HttpRequest) -> HttpResponseRedirect:
    """Start a sign-in at the IdP; `?next=` (a path of this site) is where it ends."""
    next_path = oidc.safe_next(request, request.GET.get("next"))
    if not oidc.enabled():
        return _to_login("not_configured", next_path)
    try:
        url = oidc.start(request, next_path=next_path)
    except oidc.OidcRefused as exc:
        logger.warning("OIDC sign-in not started: %s", exc)
        return _to_login(exc.code, next_path)
    return HttpResponseRedirect(url)


@never_cache
@require_safe
def oidc_callback(request: HttpRequest) -> HttpResponseRedirect:
    """The IdP's answer: sign the person in (their account made at the first sign-in)."""
    if not oidc.enabled():
        return _to_login("not_configured")
    try:
        person, next_path = oidc.finish(request)
    except oidc.OidcRefused as exc:
        logger.warning("OIDC sign-in refused: %s", exc)
        return _to_login(exc.code)
    try:
        user, created = sso.external_sign_in(
            person=person,
            language=translation.get_language(),
            on_created=lambda user: rooms.main_room_join(user=user),
        )
    except ServiceError as exc:
        logger.warning("OIDC sign-in of %s refused: %s", person.subject, exc.code)
        return _to_login(exc.code, next_path)
    # Where an OIDC sign-in completes (the sign-in log records it here).
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    signins.record_sign_in(user=user, request=request, method="oidc")
    logger.info("OIDC sign-in of account %s (%s)", user.pk, "new" if created else "existing")
    return HttpResponseRedirect(next_path)
