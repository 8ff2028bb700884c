"""ASGI entry point: Django for HTTP, the chat consumer for /ws/."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from parley.realtime.auth import websocket_stack  # noqa: E402
from parley.realtime.outgoing import RawSendMiddleware  # noqa: E402
from parley.realtime.routing import websocket_urlpatterns  # noqa: E402

application = RawSendMiddleware(
    ProtocolTypeRouter({"http": django_asgi, "websocket": websocket_stack(URLRouter(websocket_urlpatterns))})
)
