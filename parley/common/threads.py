"""Thread pools made on first use, once per process: a process that never needs one (a
management command, a worker that never serves HTTP) starts no thread for it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor


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
