"""Settings for pytest: the real settings, read with PARLEY_TESTING on."""

import os

os.environ.setdefault("PARLEY_TESTING", "1")
os.environ.setdefault("PARLEY_REDIS_PREFIX", f"parleytest{os.getpid()}")
# Suites register and search far more than a person would; the throttle tests set
# their own small rates. Live servers started by tests inherit these too.
os.environ.update(
    {
        f"THROTTLE_{scope}": os.environ.get(f"THROTTLE_{scope}", "100000/minute")
        for scope in (
            "REGISTER",
            "GUEST",
            "ROOM_CREATE",
            "UPLOAD",
            "SEARCH",
            "PASSWORD_RESET",
            "EMAIL_VERIFY",
            "EMAIL_CHANGE",
            "MAIL_RECIPIENT",
            "WS_TICKET",
            "WEBHOOK",
            "WEBHOOK_FAIL",
            "LOGIN_FAIL",
            "PASSWORD_CHECK",
            "INVITE",
            "INVITE_USE",
        )
    }
)

from config.settings import *  # noqa: F403

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared-cache memory: the consumer's database threads then get
    # real WAL concurrency instead of "table is locked".
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}  # noqa: F405
else:
    # The consumer's database threads must not hold connections open past a test,
    # or the test database cannot be dropped at the end of the run.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# Jobs run in the test's own process even in the services pass; the worker test
# starts a real Celery worker for the Redis path.
CELERY_TASK_ALWAYS_EAGER = True
# Thumbnails too (after commit, in the test's thread); each test run stores its uploads apart.
UPLOAD_THUMBNAILS_IN_THREAD = False
LINK_PREVIEWS_IN_THREAD = False
# No test fetches a link it did not serve: link previews are on only where a test turns them on.
LINK_PREVIEWS = False
ROOM_EXPORT_IN_THREAD = False
STORAGES["uploads"]["OPTIONS"] = {"location": str(DATA_DIR / f"test-uploads-{os.getpid()}"), "base_url": None}  # type: ignore[index]  # noqa: F405
# Every reply logs its root's summary event at once, as the contract tests read them; the
# coalescing itself is tested with a window of its own (parley/messaging/tests/test_threads.py).
THREAD_SUMMARY_WINDOW = 0.0
# Pushes too: sent in the test's thread after commit, so a test sees them at once.
PUSH_IN_THREAD = False
