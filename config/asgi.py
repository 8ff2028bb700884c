"""ASGI entry point: Django for HTTP, the chat consumer for /ws/ (parley.ws.asgi)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)  # what get_asgi_application() does, for our handler

from parley.web.handler import ParleyASGIHandler  # noqa: E402
from parley.ws.asgi import build_application  # noqa: E402

django_asgi = ParleyASGIHandler()

application = build_application(django_asgi)

if os.environ.get("PARLEY_BEAT_IN_APP") == "1":
    # `parley.serve --reload` (make dev) on the embedded default: the periodic jobs run in
    # the served child, where the in-memory hub is, and restart with it (docs/jobs.md).
    from config.celery import start_inprocess_beat

    start_inprocess_beat()
