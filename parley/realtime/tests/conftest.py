"""Stop the in-process hub while the test's event loop still runs.

Otherwise the loop's teardown cancels the Redis subscriber in the middle of
whatever it was doing, and redis-py can be left waiting on itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from parley.realtime import hub as hub_module


@pytest.fixture(autouse=True)
async def _stop_hub_after_test() -> AsyncIterator[None]:
    yield
    hub = hub_module.current_hub()
    if hub is not None and hub.loop is asyncio.get_running_loop():
        await hub.stop()
