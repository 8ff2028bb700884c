from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from parley.actions import sso
from parley.notify import views as notify
from parley.web import metrics
from parley.web import views as web

api_v1: list[URLPattern | URLResolver] = [
    path("", include("parley.actions.urls")),
    path("", include("parley.accounts.urls")),
    path("", include("parley.rooms.urls")),
    path("", include("parley.messaging.urls")),
    path("", include("parley.stats.urls")),
    path("", include("parley.uploads.urls")),
    path("", include("parley.bots.urls")),
    path("", include("parley.notify.urls")),
    path("mail/unsubscribe", notify.unsubscribe, name="mail-unsubscribe"),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its script as a file, so the CSP needs no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    # Single sign-on: pages of the site (the IdP redirects the browser here), not API calls.
    path("auth/oidc/login", sso.oidc_login, name="oidc-login"),
    path("auth/oidc/callback", sso.oidc_callback, name="oidc-callback"),
    path("healthz", web.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    # The installable app: at the root, because a worker's scope is the path it is served from.
    path("sw.js", web.service_worker, name="service-worker"),
    path("manifest.webmanifest", web.web_manifest, name="web-manifest"),
    re_path(r"^(?!api/|static/|admin/|ws/).*$", web.index, name="index"),
    re_path(r"^api/", web.api_not_found),
]
