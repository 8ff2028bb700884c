"""ASGI entry point: Django for HTTP, the chat consumer for /ws/ (parley.ws.asgi)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)  # what get_asgi_application() does, for our handler

from parley.web.handler import ParleyASGIHandler  # noqa: E402
from parley.ws.asgi import build_application  # noqa: E402

django_asgi = ParleyASGIHandler()

application = build_application(django_asgi)
