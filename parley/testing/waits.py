"""Waiting on a condition with a deadline: what tests do instead of sleeping a fixed time.

A fixed sleep is either too short on a loaded machine (the test flakes) or too long
everywhere else (the suite crawls); polling the condition the test is about returns as
soon as it holds and fails with a message saying what never happened. The small pause
between polls is the only sleep these helpers take.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T | None],
    *,
    timeout: float = 10.0,
    interval: float = 0.02,
    what: str = "",
    pause: Callable[[float], object] = time.sleep,
) -> T:
    """Call `predicate` until it returns something truthy and return that; past `timeout`
    seconds raise AssertionError naming `what` (or the predicate) and its last result.

    `pause(seconds)` waits between polls. In a Playwright test pass `in_page(page)`: the
    page's events (sockets opened, requests) are only delivered while Playwright waits."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"not within {timeout:g} s: {what or _name(predicate)} (last: {result!r})")
        pause(interval)


def in_page(page: Any) -> Callable[[float], object]:
    """The pause for `wait_until` in a Playwright (sync API) test."""
    return lambda seconds: page.wait_for_timeout(seconds * 1000)


@overload
async def wait_until_async(
    predicate: Callable[[], Awaitable[T | None]],
    *,
    timeout: float = ...,
    interval: float = ...,
    what: str = ...,
) -> T: ...


@overload
async def wait_until_async(
    predicate: Callable[[], T | None],
    *,
    timeout: float = ...,
    interval: float = ...,
    what: str = ...,
) -> T: ...


async def wait_until_async(
    predicate: Callable[[], Any],
    *,
    timeout: float = 10.0,
    interval: float = 0.02,
    what: str = "",
) -> Any:
    """`wait_until` inside an event loop; `predicate` may be a coroutine function. The loop
    keeps running between polls, so the servers and clients of the test make progress."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"not within {timeout:g} s: {what or _name(predicate)} (last: {result!r})")
        await asyncio.sleep(interval)


def _name(predicate: Callable[..., object]) -> str:
    return getattr(predicate, "__qualname__", repr(predicate))
