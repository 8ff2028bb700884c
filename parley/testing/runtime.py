"""A test's own realtime runtime."""

from __future__ import annotations

from parley.realtime import runtime
from parley.realtime.clock import Clock
from parley.realtime.runtime import Runtime
from parley.ws.wiring import build_runtime


def fresh_runtime(*, clock: Clock | None = None) -> Runtime:
    """Build a runtime from the settings as the test has set them, and install it."""
    return runtime.install(build_runtime(clock=clock))
