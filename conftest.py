"""Fixtures shared by every app's tests."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Iterator

import pytest

# The log guard below is a plugin in that package, imported here first: rewrite its asserts.
pytest.register_assert_rewrite("parley.testing")

from parley.testing.live import (  # noqa: E402
    ServerProcess,
    base_env,
    migrate,
    private_database,
    services_or_skip,
)

# After each test: no unexpected ERROR or traceback in a live server's log (parley/testing/logguard.py).
# pytester: the guard's own test runs a suite of its own through it.
pytest_plugins = ["parley.testing.logguard", "pytester"]


@pytest.fixture(autouse=True)
def _own_runtime(settings: object) -> Iterator[None]:
    """Each test gets its own realtime runtime, built on first use from the settings the
    test set (and started on the test's event loop); afterwards it is forgotten."""
    from parley.realtime import runtime

    runtime.uninstall()
    yield
    runtime.uninstall()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Async tests (the only ones that start a runtime) stop it on their own loop.
    Not an autouse fixture: an async fixture around Playwright's sync tests would run
    inside Playwright's own running loop."""
    for item in items:
        if inspect.iscoroutinefunction(getattr(item, "function", None)):
            item.fixturenames.append("_stop_runtime_after_test")  # type: ignore[attr-defined]


@pytest.fixture
async def _stop_runtime_after_test() -> AsyncIterator[None]:
    """Stop the runtime a test started while the test's event loop still runs: the loop's
    own teardown would cancel the Redis subscriber mid-read, and redis-py can be left
    waiting on itself."""
    from parley.realtime import runtime

    yield
    rt = runtime.installed()
    if rt is not None and rt.loop is asyncio.get_running_loop():
        await rt.stop()


@pytest.fixture(scope="session")
def live_server_embedded() -> Iterator[ServerProcess]:
    """One server on the embedded defaults (SQLite file, in-memory hub), as `make run` serves."""
    with private_database("sqlite") as db:
        env = base_env(db, WS_SEND_RATE="50", WS_SEND_BURST="200")
        migrate(env)
        server = ServerProcess(env).start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="module")
def live_cluster() -> Iterator[list[ServerProcess]]:
    """Two uvicorn processes sharing PostgreSQL and Redis, as `make serve` runs them."""
    _db, redis_url = services_or_skip()
    with private_database("postgres") as db:
        env = base_env(db, redis_url, WS_SEND_RATE="200", WS_SEND_BURST="500")
        migrate(env)
        servers = [ServerProcess(env).start(), ServerProcess(env).start()]
        try:
            yield servers
        finally:
            for server in servers:
                server.stop()
