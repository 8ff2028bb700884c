"""ASGI entry point: Django for HTTP, the chat consumer for /ws/ (parley.ws.asgi)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi = get_asgi_application()

from parley.ws.asgi import build_application  # noqa: E402

application = build_application(django_asgi)
