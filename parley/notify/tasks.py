"""Digest and push jobs: thin wrappers around parley.notify.services and push_send, and where
a push job runs."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.db import connections

from parley.common.threads import LazyExecutor
from parley.notify import push, push_send, services

log = logging.getLogger(__name__)


@shared_task(name="parley.notify.tasks.digests_send_due", ignore_result=True)
def digests_send_due() -> int:
    return services.digests_send_due()


@shared_task(name="parley.notify.tasks.push_message", ignore_result=True)
def push_message(message_id: int) -> int:
    """The pushes a new message makes, each sent by a job of its own (retried on its own)."""
    pushes = push_send.pushes_for(message_id=message_id)
    for one in pushes:
        push_deliver.delay(one.subscription_id, one.payload)
    return len(pushes)


@shared_task(bind=True, name="parley.notify.tasks.push_deliver", ignore_result=True, max_retries=None)
def push_deliver(self: Task, subscription_id: int, data: dict[str, Any]) -> str:
    """One push to one device; 429, 5xx and network errors are retried PUSH_RETRIES times,
    after PUSH_BACKOFF seconds doubled each time (or the service's Retry-After, if longer)."""
    attempt = int(self.request.retries or 0)
    while True:
        try:
            return push_send.deliver(subscription_id=subscription_id, data=data)
        except push_send.PushFailed as exc:
            if attempt >= settings.PUSH_RETRIES:
                log.warning("push %s: giving up after %s attempts (%s)", subscription_id, attempt + 1, exc)
                push_send.failed(subscription_id=subscription_id)
                return "failed"
            delay = min(max(settings.PUSH_BACKOFF * 2**attempt, exc.retry_after or 0.0), 3600.0)
            log.info(
                "push %s: attempt %s failed (%s); again in %.1fs", subscription_id, attempt + 1, exc, delay
            )
            if not self.request.is_eager:
                raise self.retry(countdown=delay) from exc
            if _threaded():
                # The embedded mode: a timer hands the next attempt back to the push threads,
                # so a failing push service never holds one while it waits.
                timer = threading.Timer(delay, _retry_in_thread, args=(subscription_id, data, attempt + 1))
                timer.daemon = True
                timer.start()
                return "retrying"
            time.sleep(delay)  # the tests: eager and in the caller, so wait here
            attempt += 1


# Sending waits on the network, not the CPU: two at a time per process without Redis, and at
# most PUSH_QUEUED messages waiting (a flood is dropped and logged, not queued for hours).
_pushes = LazyExecutor("parley-push", lambda: 2)
PUSH_QUEUED = 500
_queued = threading.BoundedSemaphore(PUSH_QUEUED)


def _threaded() -> bool:
    """Without Redis, or with jobs in the web process (JOBS_IN_WEB): no worker takes them."""
    return bool(settings.PUSH_IN_THREAD and (not settings.REDIS_URL or settings.JOBS_IN_WEB))


def _retry_in_thread(subscription_id: int, data: dict[str, Any], attempt: int) -> None:
    def run() -> None:
        try:
            push_deliver.apply(args=[subscription_id, data], retries=attempt)
        except Exception:
            log.exception("push %s failed", subscription_id)
        finally:
            connections.close_all()

    _pushes.get().submit(run)


def _in_thread(message_id: int) -> None:
    try:
        push_message.apply(args=[message_id])
    except Exception:
        log.exception("pushes of message %s failed", message_id)
    finally:
        _queued.release()
        connections.close_all()  # this thread's own connections


def push_later(message_ids: list[int]) -> None:
    """Start the push job of messages that just committed (the send calls this through
    `parley.messaging.aftersend`). With Redis a Celery worker runs it; without, a worker thread
    of this process (PUSH_IN_THREAD; the tests run it eagerly), so a send never waits on a
    push service. An installation where nobody subscribed starts no job at all."""
    if not push.anyone_subscribed():
        return
    for message_id in message_ids:
        if _threaded():
            if not _queued.acquire(blocking=False):
                log.warning("pushes of message %s skipped: %s jobs waiting", message_id, PUSH_QUEUED)
                continue
            _pushes.get().submit(_in_thread, message_id)
        else:
            push_message.delay(message_id)
