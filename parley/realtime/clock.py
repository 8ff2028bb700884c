"""Time as the realtime layer sees it, so tests can drive the hub's timers without sleeping."""

from __future__ import annotations

import asyncio
import time


class Clock:
    """Real time. `time()` is wall-clock (shared with other processes through Redis);
    `monotonic()` measures intervals inside this process."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
