"""Serves the built web client (frontend/dist) for every page URL, its service worker and
manifest at the site root, and the health probe."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie
from django.views.decorators.http import require_safe

from parley.common.errors import error_body
from parley.web import health


@require_safe
@ensure_csrf_cookie
def index(request: HttpRequest) -> HttpResponse:
    page = settings.FRONTEND_DIST / "index.html"
    if not page.exists():
        return HttpResponse(
            "The web client is not built. Run `make run` (or `make frontend`) to build it; "
            "the API is at /api/v1/ and its docs at /api/docs/.",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(page.read_bytes(), content_type="text/html; charset=utf-8")
    # The page names hashed assets; it must be revalidated so a deploy takes effect at once.
    response["Cache-Control"] = "no-cache"
    return response


def _root_file(request: HttpRequest, name: str, content_type: str) -> HttpResponse:
    """A file of the build that must live at the site root, revalidated on every fetch.

    Whitenoise serves the build under /static/, but a service worker controls only the paths
    below its own URL, so /sw.js must come from the root; the manifest sits beside it. Both
    change with each deploy under the same name: `no-cache` plus an ETag (a 304 when nothing
    changed), never the year-long caching of hashed assets, so an update is seen at once.
    """
    path = settings.FRONTEND_DIST / name
    if not path.is_file():
        raise Http404(name)
    body = path.read_bytes()
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    if etag in request.headers.get("If-None-Match", ""):
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type=content_type)
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    """The installable app's service worker (frontend/src/sw.ts): its scope is the whole site."""
    response = _root_file(request, "sw.js", "text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response


@require_safe
def web_manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest (name, icons, colours) that makes Parley installable."""
    return _root_file(request, "manifest.webmanifest", "application/manifest+json")


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database and a configured Redis answer, else 503; bounded in time (web.health)."""
    healthy, body = health.status()
    response = JsonResponse(body, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt  # it changes nothing, and a CSRF refusal would answer HTML
def api_not_found(request: HttpRequest) -> JsonResponse:
    """An /api/ URL no route matches (e.g. `/api/v1/rooms/abc`): 404 in the API's error shape, not HTML."""
    return JsonResponse(error_body("not_found", _("No such API endpoint.")), status=404)
