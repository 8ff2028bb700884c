import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.baseline.seedchat.settings")

from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from bench.baseline.chat.auth import TokenAuthMiddleware  # noqa: E402
from bench.baseline.chat.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": TokenAuthMiddleware(URLRouter(websocket_urlpatterns)),
    }
)
