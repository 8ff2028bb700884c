"""Where bot work runs: never on the request or delivery path, always under a time limit.

With REDIS_URL a job is a Celery task (a worker process runs it). Without (jobs run in
process: CELERY_TASK_ALWAYS_EAGER), this process's
bounded pool runs it: BOT_WORKERS threads take jobs from a queue of at most BOT_QUEUE (a
full queue refuses the job at once and logs it). Either way a handler runs on a
thread of its own that the worker waits for at most BOT_TIMEOUT seconds, so a handler that
hangs holds its own thread, not a worker. A bot may have at most BOT_RUNNING_PER_BOT
handlers alive (hung ones count), so a bot that always hangs holds a few threads and then
answers "busy" without starting more, and the other bots are unaffected.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from celery import current_app
from django.conf import settings
from django.db import connections

log = logging.getLogger(__name__)

Job = dict[str, Any]
Executor = Callable[[Job], None]


@dataclass(frozen=True)
class Outcome:
    status: Literal["ok", "error", "timeout", "busy"]
    value: Any = None
    error: BaseException | None = None


_slots: dict[str, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _slot(key: str) -> threading.BoundedSemaphore:
    with _slots_lock:
        sem = _slots.get(key)
        if sem is None:
            sem = _slots[key] = threading.BoundedSemaphore(settings.BOT_RUNNING_PER_BOT)
        return sem


def run_limited(key: str, func: Callable[[], Any], timeout: float | None = None) -> Outcome:
    """Run `func` on a thread of its own and wait for it at most `timeout` seconds.

    A thread cannot be killed: one that overruns is left to finish (a daemon thread, its
    result dropped) and keeps its bot's slot until it does."""
    sem = _slot(key)
    if not sem.acquire(blocking=False):
        return Outcome("busy")
    box: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["value"] = func()
        except BaseException as exc:  # reported to the caller, never lost
            box["error"] = exc
        finally:
            connections.close_all()  # this thread's own connections
            sem.release()
            done.set()

    threading.Thread(target=target, name=f"parley-bot-{key}", daemon=True).start()
    if not done.wait(settings.BOT_TIMEOUT if timeout is None else timeout):
        return Outcome("timeout")
    if "error" in box:
        return Outcome("error", error=box["error"])
    return Outcome("ok", box.get("value"))


class Pool:
    """The embedded mode's workers: a bounded queue and a few daemon threads."""

    def __init__(self, workers: int, size: int):
        self.jobs: queue.Queue[tuple[Executor, Job]] = queue.Queue(maxsize=size)
        self.workers = workers
        self.started = False
        self.lock = threading.Lock()

    def put(self, execute: Executor, job: Job) -> bool:
        self._start()
        try:
            self.jobs.put_nowait((execute, job))
        except queue.Full:
            log.warning("bot queue full; job refused: %s", job.get("kind"))
            return False
        return True

    def _start(self) -> None:
        with self.lock:
            if self.started:
                return
            self.started = True
            for i in range(self.workers):
                threading.Thread(target=self._work, name=f"parley-bots-{i}", daemon=True).start()

    def _work(self) -> None:
        while True:
            execute, job = self.jobs.get()
            try:
                execute(job)
            except Exception:
                log.exception("bot job failed: %s", job.get("kind"))
            finally:
                connections.close_all()  # a pool thread keeps no connection between jobs


_pool: Pool | None = None


def pool() -> Pool:
    """This process's pool, built from settings on first use."""
    global _pool
    with _slots_lock:
        if _pool is None:
            _pool = Pool(settings.BOT_WORKERS, settings.BOT_QUEUE)
        return _pool


def submit(task: str, execute: Executor, job: Job, *, countdown: float = 0) -> bool:
    """Hand a job to a Celery worker (task name `task`) or, when jobs run in process
    (no REDIS_URL: CELERY_TASK_ALWAYS_EAGER), to the pool: a bot's work never runs in
    the caller, eager or not."""
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        try:
            current_app.send_task(task, kwargs={"job": job}, countdown=countdown or None)
        except Exception:
            log.exception("could not queue bot job %s", task)
            return False
        return True
    if countdown:
        timer = threading.Timer(countdown, lambda: pool().put(execute, job))
        timer.daemon = True
        timer.start()
        return True
    return pool().put(execute, job)
