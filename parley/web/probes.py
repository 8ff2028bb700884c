"""The probes (`/healthz`, `/metrics`) answer whatever Host they were sent to.

Health checks and Prometheus reach a process by its private address: `web:8000` on the
compose network, `127.0.0.1:8000` under systemd. That name is not a public host, and
ALLOWED_HOSTS rightly leaves it out, so Django's CommonMiddleware answered 400
DisallowedHost and the documented scrape failed. Neither view reads the Host or builds a
URL from it (the Host check guards against links and redirects built from a forged one),
so they are served here, before anything asks for the host. /metrics keeps its own gate
(METRICS_ALLOWED addresses or the METRICS_TOKEN bearer token).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.clickjacking import XFrameOptionsMiddleware

from parley.web import metrics, views

PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": views.healthz,
    "/metrics": metrics.metrics,
}


class ProbeMiddleware:
    """Placed before CommonMiddleware (the first to check the Host) and the session. Of the
    middleware after it, only X-Frame-Options applies to a probe's answer: it is added
    here, the security headers of the middleware before this one as for every answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response
        self.frame_options = XFrameOptionsMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        probe = PROBES.get(request.path_info)
        if probe is None:
            return self.get_response(request)
        return self.frame_options.process_response(request, probe(request))
