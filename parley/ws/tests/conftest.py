"""Stop the test's runtime while the test's event loop still runs.

Otherwise the loop's teardown cancels the Redis subscriber in the middle of
whatever it was doing, and redis-py can be left waiting on itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from parley.realtime import runtime


@pytest.fixture(autouse=True)
async def _stop_runtime_after_test() -> AsyncIterator[None]:
    yield
    rt = runtime.installed()
    if rt is not None and rt.loop is asyncio.get_running_loop():
        await rt.stop()
