"""Thread pools made on first use, once per process: a process that never needs one (a
management command, a worker that never serves HTTP) starts no thread for it."""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)


class LazyExecutor:
    def __init__(self, name: str, max_workers: Callable[[], int]) -> None:
        # `max_workers` is read on first use, after settings are loaded.
        self.name = name
        self.max_workers = max_workers
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def get(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.max_workers(), thread_name_prefix=self.name)
            return self._pool


class DelayedCalls:
    """Calls due after a delay, on one thread of this process made on first use: a heap of
    due times rather than a timer thread per call, since a busy server asks for one per
    active thread root every few seconds. A call that raises is logged and dropped."""

    def __init__(self, name: str, run: Callable[[object], None]) -> None:
        self.name = name
        self.run = run
        self._due: list[tuple[float, int, object]] = []
        self._count = 0
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None

    def call_later(self, delay: float, arg: object) -> None:
        with self._cv:
            self._count += 1
            heapq.heappush(self._due, (time.monotonic() + max(0.0, delay), self._count, arg))
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                self._thread.start()
            self._cv.notify()

    def _loop(self) -> None:
        while True:
            with self._cv:
                while not self._due or self._due[0][0] > time.monotonic():
                    self._cv.wait(None if not self._due else self._due[0][0] - time.monotonic())
                _at, _n, arg = heapq.heappop(self._due)
            try:
                self.run(arg)
            except Exception:
                log.exception("%s: a delayed call failed", self.name)
