"""A token bucket per key, for message sends (REST and WebSocket share it)."""

from __future__ import annotations

import threading
import time


class TokenBucket:
    def __init__(self, rate: float, burst: int):
        self.rate = rate
        self.burst = burst
        self._state: dict[object, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: object, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, stamp = self._state.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - stamp) * self.rate)
            if tokens < 1.0:
                self._state[key] = (tokens, now)
                return False
            self._state[key] = (tokens - 1.0, now)
            if len(self._state) > 100_000:  # forget idle senders; a full bucket is the default anyway
                self._state = {k: v for k, v in self._state.items() if now - v[1] < 60}
            return True


_send_bucket: TokenBucket | None = None


def send_allowed(user_id: int) -> bool:
    global _send_bucket
    from django.conf import settings

    if _send_bucket is None or (_send_bucket.rate, _send_bucket.burst) != (
        settings.WS_SEND_RATE,
        settings.WS_SEND_BURST,
    ):
        _send_bucket = TokenBucket(settings.WS_SEND_RATE, settings.WS_SEND_BURST)
    return _send_bucket.allow(user_id)
