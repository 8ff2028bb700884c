"""ASGI entry point: Django for HTTP, the chat consumer for /ws/ (parley.ws.asgi)."""

import os
import sys

from django.core.asgi import get_asgi_application

# The event loop delivers frames; REST views (an upload's multipart parsing, an edit's
# transaction) run on threads. A thread holding the GIL keeps the loop waiting up to the
# switch interval each time, 5 ms by default: at 1 ms a busy view delays a delivery by
# at most a millisecond at a time (docs/performance.md, "Issue 12").
sys.setswitchinterval(float(os.environ.get("PARLEY_GIL_SWITCH_INTERVAL", "0.001")))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi = get_asgi_application()

from parley.ws.asgi import build_application  # noqa: E402

application = build_application(django_asgi)
