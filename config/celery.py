"""The Celery application: a broker when one is set (CELERY_BROKER_URL, by default
REDIS_URL; RabbitMQ or one Redis, never a Redis Cluster), in process when not.

Tasks live in each app's `tasks.py` as thin wrappers around services. Without
a broker every `.delay()` runs at once in the caller (`task_always_eager`), and
the periodic jobs of `beat_schedule` run on one daemon thread of the web
process (`start_inprocess_beat`, started by `parley.serve`); see
docs/decisions.md, "Jobs".
"""

from __future__ import annotations

import logging
import os
import threading
import time

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("parley")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

log = logging.getLogger(__name__)
_beat_started = False


def ensure_scheduled_tasks_registered(schedule: dict[str, dict[str, object]]) -> None:
    """Import every app's tasks module, then refuse a schedule that names an unknown task.

    `autodiscover_tasks()` is lazy: a Celery worker imports the tasks modules when it
    starts, but the web process only has the tasks some view happened to import, so
    the in-process beat found `digests_send_due` and `stats_aggregate` unregistered
    (issue 27). A misspelt task in CELERY_BEAT_SCHEDULE stops the server at start
    instead of logging an error every interval."""
    app.loader.import_default_modules()
    missing = sorted(str(entry["task"]) for entry in schedule.values() if entry["task"] not in app.tasks)
    if missing:
        raise RuntimeError(f"CELERY_BEAT_SCHEDULE names tasks no app defines: {', '.join(missing)}")


def start_inprocess_beat(*, stop: threading.Event | None = None) -> threading.Thread | None:
    """Run the beat schedule's periodic tasks on a daemon thread of this process.

    For the embedded mode only (no broker, so no worker and no `celery beat`):
    each entry's task runs in process every `schedule` seconds. Returns the thread,
    or None when there is nothing to run or a broker is configured."""
    global _beat_started
    from django.conf import settings

    schedule = dict(app.conf.beat_schedule or {})
    if not settings.CELERY_TASK_ALWAYS_EAGER or not schedule or _beat_started:
        return None
    ensure_scheduled_tasks_registered(schedule)
    _beat_started = True
    stop = stop or threading.Event()
    due = {name: time.monotonic() + float(entry["schedule"]) for name, entry in schedule.items()}

    def loop() -> None:
        from django.db import close_old_connections

        while not stop.wait(1.0):
            now = time.monotonic()
            for name, entry in schedule.items():
                if now < due[name]:
                    continue
                due[name] = now + float(entry["schedule"])
                try:
                    app.tasks[entry["task"]].apply(kwargs=entry.get("kwargs") or {})
                except Exception:
                    log.exception("periodic job %s failed", name)
                finally:
                    close_old_connections()

    thread = threading.Thread(target=loop, name="parley-beat", daemon=True)
    thread.start()
    return thread
