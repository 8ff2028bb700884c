"""One runtime per process: the hub, its backend, presence, the limits and the send batcher.

Built in one place (`parley.ws.wiring.build_runtime`, from settings) and
installed as the process's runtime when the ASGI application is created; the
application hands it to each socket through the scope. Services, which run in
worker threads and management commands, publish through `current()`. Tests
build their own runtime (with their settings, a fake clock or a fake store)
and install it, instead of resetting module globals.

The runtime starts on the first event loop that needs it (the server's) and
belongs to that loop from then on.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from channels.db import database_sync_to_async

from parley.realtime.batching import SendBatcher
from parley.realtime.clock import Clock
from parley.realtime.config import RealtimeConfig
from parley.realtime.hub import Hub
from parley.realtime.limits import LocalLimits, RedisLimits, SendRefused
from parley.realtime.metrics import DeliveryTimer
from parley.realtime.ports import EventStore, StoreBatch
from parley.realtime.presence import Presence
from parley.realtime.publisher import Publisher
from parley.realtime.reads import ReadCoalescer
from parley.realtime.transports import make_backend

log = logging.getLogger(__name__)


def _pooled(fn: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """`fn` as a coroutine function that runs on the loop's thread pool (not the one shared
    sync thread). Built once per function: the wrapper is not free (~20 µs) and the send
    batcher calls it for every batch."""
    return database_sync_to_async(fn, thread_sensitive=False)  # type: ignore[no-any-return]


async def _in_pool(fn: Callable[..., Any], *args: Any) -> Any:
    """Run a blocking call on the loop's thread pool, for calls too rare to keep a wrapper."""
    return await _pooled(fn)(*args)


class Runtime:
    def __init__(
        self,
        *,
        config: RealtimeConfig,
        store: EventStore,
        store_batch: StoreBatch,
        clock: Clock | None = None,
        process_id: str | None = None,
    ):
        self.config = config
        self.clock = clock or Clock()
        self.process_id = process_id or uuid.uuid4().hex[:12]
        redis = config.redis
        self.backend = make_backend(target=redis, prefix=config.prefix)
        self.timer = DeliveryTimer()
        self.publisher = Publisher(self.backend, self.timer)
        # Catch-up reads stay on the shared sync thread: measured faster than the pool
        # when many sockets resume at once (docs/performance.md).
        self.hub = Hub(
            backend=self.backend,
            config=config,
            fetch_events=database_sync_to_async(store.events_after),
            fetch_heads=database_sync_to_async(store.room_heads),
            clock=self.clock,
            timer=self.timer,
        )
        self.presence = Presence(
            config=config,
            store=store,
            publisher=self.publisher,
            process_id=self.process_id,
            run_sync=_in_pool,
            clock=self.clock,
        )
        self.reads = ReadCoalescer(publisher=self.publisher, window=config.read_coalesce, clock=self.clock)
        self.limits: LocalLimits | RedisLimits = (
            RedisLimits(
                target=redis,
                prefix=config.prefix,
                process_id=self.process_id,
                rate=config.send_rate,
                burst=config.send_burst,
                max_sockets=config.max_sockets,
                process_ttl=config.process_ttl,
                clock=self.clock,
            )
            if redis is not None
            else LocalLimits(
                rate=config.send_rate,
                burst=config.send_burst,
                max_sockets=config.max_sockets,
                clock=self.clock,
            )
        )
        self._store_batch = store_batch
        self.sends = SendBatcher(_pooled(self._limited_store))
        self.loop: asyncio.AbstractEventLoop | None = None
        self._ready: asyncio.Future[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None

    def _limited_store(self, room_id: int, requests: list[Any], user_ids: list[int]) -> list[Any]:
        """Check the batch against the senders' rate limits (one Redis round trip for the
        whole batch, off the event loop), then store what passed in one transaction."""
        allowed = self.limits.confirm_sends_sync(user_ids)
        passed = [request for request, ok in zip(requests, allowed, strict=True) if ok]
        stored = iter(self._store_batch(room_id, passed) if passed else [])
        return [next(stored) if ok else SendRefused() for ok in allowed]

    async def start(self) -> None:
        """Start on the running loop (once; concurrent callers wait for the same start)."""
        loop = asyncio.get_running_loop()
        if self.loop is None:
            self.loop = loop
            self._ready = loop.create_task(self._start())
        elif self.loop is not loop:
            raise RuntimeError("This runtime was started on another event loop; build one per loop.")
        assert self._ready is not None
        await asyncio.shield(self._ready)

    async def _start(self) -> None:
        if self.config.shared:
            await self.limits.refresh()  # this process is alive before it counts a socket
        await self.hub.start()
        if self.config.shared:
            self._heartbeat = asyncio.get_running_loop().create_task(self._beat())

    async def _beat(self) -> None:
        while True:
            await self.clock.sleep(self.config.process_refresh)
            try:
                await self.limits.refresh()
                await self.presence.refresh()
            except Exception:
                log.exception("runtime heartbeat failed")

    @property
    def started(self) -> bool:
        return self._ready is not None and self._ready.done()

    async def stop(self) -> None:
        """Stop the hub and say goodbye to Redis (bounded in time); the loop must still run."""
        if self.loop is None:
            return
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        if self._ready is not None and not self._ready.done():
            self._ready.cancel()
        await self.presence.stop()
        await self.limits.stop()
        await self.hub.stop()


# --- the process's runtime ------------------------------------------------------------
_factory: Callable[[], Runtime] | None = None
_current: Runtime | None = None
_lock = threading.Lock()


def configure(factory: Callable[[], Runtime]) -> None:
    """Say how to build this process's runtime (called once, when the apps are ready)."""
    global _factory
    _factory = factory


def install(runtime: Runtime) -> Runtime:
    """Make `runtime` the one services publish through and sockets are handed."""
    global _current
    with _lock:
        _current = runtime
    return runtime


def uninstall() -> Runtime | None:
    """Forget the installed runtime (the next `current()` builds a new one from settings)."""
    global _current
    with _lock:
        runtime, _current = _current, None
    return runtime


def installed() -> Runtime | None:
    return _current


def current() -> Runtime:
    """The installed runtime, built from settings on first use."""
    global _current
    runtime = _current
    if runtime is not None:
        return runtime
    with _lock:
        if _current is None:
            if _factory is None:
                raise RuntimeError("No runtime factory: is 'parley.ws' in INSTALLED_APPS?")
            _current = _factory()
        return _current
