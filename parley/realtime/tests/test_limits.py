"""The in-process limits, on a fake clock (the Redis ones: parley/ws/tests/test_limits_shared.py)."""

from __future__ import annotations

from parley.realtime.limits import LocalLimits, TokenBucket
from parley.realtime.tests.fakes import FakeClock


def test_the_bucket_allows_the_burst_then_the_rate() -> None:
    bucket = TokenBucket(rate=2.0, burst=3)
    assert [bucket.allow("u", now=0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.allow("u", now=0.4) is False  # 0.8 of a token
    assert bucket.allow("u", now=0.5) is True  # one token after 1/rate
    assert bucket.allow("u", now=0.5) is False
    assert [bucket.allow("u", now=100.0) for _ in range(4)] == [True, True, True, False]  # refills to burst


def test_each_key_has_its_own_bucket() -> None:
    bucket = TokenBucket(rate=1.0, burst=1)
    assert bucket.allow("a", now=0.0) and bucket.allow("b", now=0.0)
    assert not bucket.allow("a", now=0.0)


def test_a_clock_going_backwards_never_mints_tokens() -> None:
    bucket = TokenBucket(rate=1.0, burst=1)
    assert bucket.allow("u", now=10.0)
    assert not bucket.allow("u", now=5.0)


async def test_local_limits_follow_the_runtime_clock() -> None:
    clock = FakeClock()
    limits = LocalLimits(rate=1.0, burst=2, max_sockets=5, clock=clock)
    assert limits.allow_sends_sync([1, 1, 1]) == [True, True, False]
    await clock.advance(1.0)
    assert limits.allow_send_sync(1)


async def test_the_socket_cap_counts_open_sockets_and_frees_on_release() -> None:
    limits = LocalLimits(rate=1.0, burst=1, max_sockets=2)
    assert [await limits.socket_acquire(1) for _ in range(3)] == [True, True, False]
    assert await limits.socket_acquire(2)  # per user
    await limits.socket_release(1)
    assert await limits.socket_acquire(1)
    assert not await limits.socket_acquire(1)


def test_in_one_process_frames_are_checked_as_they_arrive_and_batches_pass() -> None:
    limits = LocalLimits(rate=0.01, burst=2, max_sockets=5)
    assert [limits.admit_send(1) for _ in range(3)] == [True, True, False]
    assert limits.confirm_sends_sync([1, 1]) == [True, True]  # not counted twice
