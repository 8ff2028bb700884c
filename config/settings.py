"""Parley settings: everything comes from the environment, with embedded defaults.

`make run` needs nothing configured (SQLite under data/, in-memory realtime hub,
in-process jobs). Production (`make serve`) sets DEBUG=false and whatever of
DATABASE_URL / REDIS_URL / SECRET_KEY / ALLOWED_HOSTS it needs; `.env.example`
lists every variable.
"""

from __future__ import annotations

import math
import secrets
import sys
from datetime import timedelta
from pathlib import Path

import environ

from parley.common.logs import formatter_config

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(environ.Env().str("PARLEY_DATA_DIR", default=str(BASE_DIR / "data")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
env_file = BASE_DIR / ".env"
if env_file.exists():
    environ.Env.read_env(str(env_file))

DEBUG = env.bool("DEBUG", default=False)
TESTING = env.bool("PARLEY_TESTING", default=False)


def _management_command() -> bool:
    """This process runs `manage.py <command>` (or django-admin), not a server or a worker."""
    return Path(sys.argv[0]).name in {"manage.py", "django-admin"}


def _key_weakness(key: str) -> str:
    """Why `key` is too weak to sign sessions and tokens with, or "" (at least 50 characters,
    whose characters are spread enough to carry 128 bits or more: 50 times "s" carries none;
    a repeated short pattern is refused too)."""
    if key.startswith("django-insecure-"):
        return "it is Django's insecure development key"
    if len(key) < 50:
        return f"it has {len(key)} characters (at least 50)"
    counts = [key.count(c) for c in set(key)]
    bits = max(0.0, -sum(n * math.log2(n / len(key)) for n in counts))
    if bits < 128:
        return f"its characters repeat too much (about {bits:.0f} bits; at least 128)"
    return ""


def _secret_key() -> str:
    """Use SECRET_KEY when set; in DEBUG, generate one once into data/ so sessions survive restarts.

    A management command run by hand with DEBUG off (the README's `manage.py createsuperuser`
    after `make run`) uses the key `make run` generated, so what it signs matches the
    development server's; a server or worker with DEBUG off still needs SECRET_KEY. With DEBUG
    off (make serve) a short or repetitive key is refused: it signs every session."""
    key = env.str("SECRET_KEY", default="")
    if key:
        weakness = "" if DEBUG else _key_weakness(key)
        if weakness:
            raise environ.ImproperlyConfigured(
                f"SECRET_KEY is too weak: {weakness}. "
                "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
            )
        return key
    path = DATA_DIR / "secret_key"
    if not DEBUG and not TESTING:
        if _management_command() and path.exists():
            return path.read_text().strip()
        raise environ.ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (make serve). "
            "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
if "*" in ALLOWED_HOSTS and not DEBUG:
    raise environ.ImproperlyConfigured("ALLOWED_HOSTS may not contain '*' in production.")
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "parley.common",
    "parley.accounts",
    "parley.rooms",
    "parley.messaging",
    "parley.notify",
    "parley.stats",
    "parley.uploads",
    "parley.bots",
    "parley.actions",
    "parley.ws",
    "parley.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "parley.common.middleware.SecurityHeadersMiddleware",
    # /healthz and /metrics by a private address (web:8000), before the Host is checked.
    "parley.web.probes.ProbeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After the session, before CommonMiddleware (Django's documented place). The user's
    # saved language, when the request names none, is applied where DRF authenticates
    # (parley.accounts.authentication), not in a sync-only middleware of its own: each
    # of those adds thread hops to every request under ASGI (docs/i18n.md).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

SILENCED_SYSTEM_CHECKS: list[str] = []

# --- Database -----------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'parley.sqlite3'}"),
}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the single writer; IMMEDIATE takes the write
    # lock at BEGIN so two senders queue instead of failing with "database is locked".
    _db.setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    _db.setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    # Every database_sync_to_async call is a "request" to Django, so a health check
    # would add a `SELECT 1` round trip to each send and each connect. Without it a
    # connection that died is still replaced: the failed query marks it, and the next
    # call's close_old_connections() tests and closes it (test_faults.py cuts the DB).
    _db.setdefault("CONN_HEALTH_CHECKS", env.bool("CONN_HEALTH_CHECKS", default=False))
    if _db["ENGINE"] == "django.db.backends.mysql":
        # PyMySQL (pure Python) stands in for mysqlclient, which needs a compiler and
        # client headers to install (docs/decisions.md). utf8mb4: emoji and other 4-byte
        # characters; strict mode: a too-long value is an error, never silently cut.
        import pymysql

        pymysql.install_as_MySQLdb()
        _db.setdefault("OPTIONS", {}).setdefault("charset", "utf8mb4")
        _db["OPTIONS"].setdefault("init_command", "SET sql_mode='STRICT_TRANS_TABLES'")
        _db["OPTIONS"].setdefault("connect_timeout", 5)
        _db.setdefault("TEST", {}).setdefault("CHARSET", "utf8mb4")
        _db["TEST"].setdefault("COLLATION", "utf8mb4_unicode_ci")
        # Lower("name") cannot be indexed on MariaDB; parley/common/migrations/0001 adds a
        # plain unique index that the case-insensitive collation makes equivalent.
        SILENCED_SYSTEM_CHECKS.append("models.W044")
    if _db["ENGINE"] == "django.db.backends.postgresql":
        _db.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
        # PostgreSQL's JIT compiles any query whose *estimated* cost is high; the
        # correlated counts of the room list are estimated high and run in ~1 ms,
        # but JIT spent ~350 ms compiling them on every connect. Chat queries are
        # short OLTP queries: JIT never pays off here.
        _db["OPTIONS"].setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A streaming replica of the PostgreSQL primary (docs/scaling.md, "The read replica"). History
# pages, thread pages, search and the lobby's counts read from it when it has replayed the
# reader's own last write (parley/common/replica.py); everything else stays on the primary.
DATABASE_REPLICA_URL: str = env.str("DATABASE_REPLICA_URL", default="")
# The replica is not used (every read on the primary) while its replay is more than this many
# seconds behind; a person's last-write mark lives REPLICA_MARK_TTL seconds (never less).
REPLICA_MAX_LAG: float = env.float("REPLICA_MAX_LAG", default=30.0)
REPLICA_MARK_TTL: float = max(env.float("REPLICA_MARK_TTL", default=300.0), REPLICA_MAX_LAG * 2)
# How long a process trusts the replay position it last read (one query per interval, not per read).
REPLICA_CHECK_INTERVAL: float = env.float("REPLICA_CHECK_INTERVAL", default=0.1)
# After the replica failed to answer, reads stay on the primary this long before it is tried again.
REPLICA_RETRY_AFTER: float = env.float("REPLICA_RETRY_AFTER", default=5.0)
DATABASE_ROUTERS: list[str] = []
if DATABASE_REPLICA_URL:
    if _db["ENGINE"] != "django.db.backends.postgresql":
        raise environ.ImproperlyConfigured(
            "DATABASE_REPLICA_URL needs PostgreSQL: DATABASE_URL is not a postgres:// URL "
            "(a read replica is a PostgreSQL streaming replica; unset DATABASE_REPLICA_URL)."
        )
    _replica = env.db_url_config(DATABASE_REPLICA_URL)
    if _replica["ENGINE"] != "django.db.backends.postgresql":
        raise environ.ImproperlyConfigured(
            "DATABASE_REPLICA_URL must be a postgres:// URL (a streaming replica of DATABASE_URL)."
        )
    _replica["CONN_MAX_AGE"] = _db["CONN_MAX_AGE"]
    _replica["CONN_HEALTH_CHECKS"] = _db["CONN_HEALTH_CHECKS"]
    # A replica that went away must cost a read a short wait at most, once (then reads stay on
    # the primary for REPLICA_RETRY_AFTER); a read stuck on it is cut after 10 s.
    _replica.setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    _replica["OPTIONS"].setdefault("options", "-c jit=off -c statement_timeout=10000")
    # Django's test runner makes no test database for it: tests read the default's.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
    DATABASE_ROUTERS = ["parley.common.replica.ReplicaRouter"]
    # Notes each signed-in person's REST writes (WebSocket writes are noted by the consumer).
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "parley.common.replica.WriteMarkMiddleware",
    )

# --- Redis, realtime, jobs ----------------------------------------------------
REDIS_URL: str = env.str("REDIS_URL", default="")
# A Redis Cluster instead (any seed node, redis://host:7000): room events on sharded pub/sub,
# each user's limit and presence keys on one slot (docs/scaling.md, "Redis Cluster").
REDIS_CLUSTER_URL: str = env.str("REDIS_CLUSTER_URL", default="")
if REDIS_URL and REDIS_CLUSTER_URL:
    raise environ.ImproperlyConfigured(
        "Set REDIS_URL (one Redis instance) or REDIS_CLUSTER_URL (a Redis Cluster), not both: the "
        "realtime layer uses one of them. Put a single Redis for the cache or the broker in "
        "CACHE_URL or CELERY_BROKER_URL."
    )
PARLEY_REDIS_PREFIX: str = env.str("PARLEY_REDIS_PREFIX", default="parley")
# Django's cache (REST throttles, WebSocket tickets) and Celery's broker. Both default to
# REDIS_URL; neither can use a Redis Cluster (Django's Redis cache and Celery's Redis
# transport speak to one instance), so with REDIS_CLUSTER_URL both must be set.
# (An empty value counts as unset: `.env.example` lists them empty.)
CACHE_URL: str = env.str("CACHE_URL", default="") or REDIS_URL
_BROKER_URL: str = env.str("CELERY_BROKER_URL", default="") or REDIS_URL
if REDIS_CLUSTER_URL:
    _missing = [
        name for name, value in (("CELERY_BROKER_URL", _BROKER_URL), ("CACHE_URL", CACHE_URL)) if not value
    ]
    if _missing:
        raise environ.ImproperlyConfigured(
            f"REDIS_CLUSTER_URL is set but {' and '.join(_missing)} {'is' if len(_missing) == 1 else 'are'} "
            "not: Celery's broker and Django's cache cannot use a Redis Cluster. Set "
            "CELERY_BROKER_URL (RabbitMQ, amqp://user:password@host:5672//, or one Redis) and "
            'CACHE_URL (one Redis, redis://host:6379/1); docs/deploy.md, "A Redis Cluster".'
        )
    _same = [
        name
        for name, value in (("CELERY_BROKER_URL", _BROKER_URL), ("CACHE_URL", CACHE_URL))
        if value == REDIS_CLUSTER_URL
    ]
    if _same:
        raise environ.ImproperlyConfigured(
            f"{' and '.join(_same)} may not be the Redis Cluster itself (REDIS_CLUSTER_URL): "
            "Celery and Django's cache need a single Redis or, for the broker, RabbitMQ."
        )
# The realtime hub carries every event between processes; Channels' own layer is unused.
CHANNEL_LAYERS: dict[str, dict[str, object]] = {}


def _duration(text: str) -> float:
    """'90', '90s', '15m', '24h', '7d' -> seconds (0 for empty)."""
    text = text.strip().lower()
    if not text:
        return 0.0
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if text[-1] in units:
        return float(text[:-1]) * units[text[-1]]
    return float(text)


WS_MAX_FRAME = 64 * 1024
WS_SEND_RATE: float = env.float("WS_SEND_RATE", default=8.0)
WS_SEND_BURST: int = env.int("WS_SEND_BURST", default=30)
WS_QUEUE_MAX: int = env.int("WS_QUEUE_MAX", default=2000)
# The one keepalive (docs/protocol.md, "Keepalive"): a JSON `ping` to every socket each
# interval, which the client answers; a socket that sent nothing since the last WS_PING_MISSES
# pings is closed at the next round (4009): 50 to 75 s of silence by default.
WS_PING_INTERVAL: float = env.float("WS_PING_INTERVAL", default=25.0)
WS_PING_MISSES: int = env.int("WS_PING_MISSES", default=2)
WS_MAX_SOCKETS_PER_USER: int = env.int("WS_MAX_SOCKETS_PER_USER", default=20)
WS_RESUME_LIMIT: int = env.int("WS_RESUME_LIMIT", default=500)
# Presence (docs/delivery.md, "Presence states"): a person with a socket who sent no
# activity frame (send, typing, read, edit, delete, react) for this many seconds is away.
AWAY_AFTER: float = _duration(env.str("AWAY_AFTER", default="600"))
# Read receipts go live (`read.updated`) only in rooms of at most this many members; larger
# rooms answer `GET rooms/{id}/reads` on demand. Positions that advance within
# READ_RECEIPT_COALESCE seconds are sent once, with the newest seq.
READ_RECEIPTS_LIVE_MAX: int = env.int("READ_RECEIPTS_LIVE_MAX", default=20)
READ_RECEIPT_COALESCE: float = env.float("READ_RECEIPT_COALESCE", default=0.5)
# Seconds after sending during which the author may edit a message; 0 = no limit.
MESSAGE_EDIT_WINDOW: int = env.int("MESSAGE_EDIT_WINDOW", default=0)
# Keep the search index current on send and edit. Off only for the benchmark's comparison
# of the send's cost with and without it (messages sent while off are not searchable).
SEARCH_INDEX: bool = env.bool("SEARCH_INDEX", default=True)
# PostgreSQL: the send stores no terms; a thread of the process fills them after the commit,
# and a search first indexes what still waits in its rooms (parley/messaging/search_indexer.py).
# Off: the send's INSERT writes them under the room lock (the benchmark's comparison).
SEARCH_INDEX_DEFERRED: bool = env.bool("SEARCH_INDEX_DEFERRED", default=True)
# Seconds the indexer gathers messages after the first one arrives, so a trickle of sends
# is filled a few at a time (0: fill as soon as one arrives).
SEARCH_INDEX_GATHER: float = env.float("SEARCH_INDEX_GATHER", default=0.05)
# How often the job indexes what a process that stopped with its queue left unindexed.
SEARCH_INDEX_SWEEP_INTERVAL: float = _duration(env.str("SEARCH_INDEX_SWEEP_INTERVAL", default="5m"))
HUB_SWEEP_INTERVAL: float = env.float("HUB_SWEEP_INTERVAL", default=5.0)
HUB_REORDER_WAIT: float = env.float("HUB_REORDER_WAIT", default=0.25)
# Threads per process that run the REST views and keep their database connections
# (parley/web/handler.py); each holds at most one connection, so a process opens at most
# this many for HTTP, beside its sockets' database threads.
HTTP_VIEW_THREADS: int = env.int("HTTP_VIEW_THREADS", default=8)
# Seconds /healthz waits for the database and Redis to answer (both checks run at once).
HEALTH_TIMEOUT: float = env.float("HEALTH_TIMEOUT", default=1.0)
# Who may read /metrics: these addresses (CIDRs), or a request with `Authorization: Bearer <METRICS_TOKEN>`.
METRICS_ALLOWED: list[str] = env.list("METRICS_ALLOWED", default=["127.0.0.1/32", "::1/128"])
METRICS_TOKEN: str = env.str("METRICS_TOKEN", default="")

# The cache holds what every process must agree on: REST throttles and WebSocket
# tickets. Redis at CACHE_URL (REDIS_URL by default; shared by all processes), another
# shared cache django-environ understands (memcache://, dbcache://...), else this process's memory.
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": f"{PARLEY_REDIS_PREFIX}:cache",
            # One pool per process, not a connection per request (parley/common/redis_pool.py).
            "OPTIONS": {"pool_class": "parley.common.redis_pool.SharedConnectionPool"},
        }
    }
elif CACHE_URL:
    CACHES = {"default": environ.Env.cache_url_config(CACHE_URL)}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "parley"}}

# Background jobs (config/celery.py). With a broker (CELERY_BROKER_URL, by default REDIS_URL):
# a Celery worker and beat (`make serve` starts both). Without: tasks run at once in the
# caller and the periodic ones on a thread of the web process (docs/decisions.md, "Jobs").
# JOBS_IN_WEB=true, the small-install mode (issue 34, docs/deploy.md "Small install"): with
# Redis too, jobs run in the one web process as without a broker. A worker, its pool's
# children and a beat are three to four more interpreters of about 120 MB each; this mode
# trades them for jobs that share the web process's CPU and die with it.
JOBS_IN_WEB: bool = env.bool("JOBS_IN_WEB", default=False)
CELERY_BROKER_URL = _BROKER_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not _BROKER_URL or JOBS_IN_WEB
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = (
    {"global_keyprefix": f"{PARLEY_REDIS_PREFIX}:celery:"}
    if _BROKER_URL.startswith(("redis://", "rediss://", "unix://"))
    else {}
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")


# Retention (seed 000 cleared data hourly): off unless PURGE_OLDER_THAN is set.
PURGE_OLDER_THAN: float = _duration(env.str("PURGE_OLDER_THAN", default=""))
PURGE_INTERVAL: float = env.float("PURGE_INTERVAL", default=3600.0)
# A room's owner may set the room's own retention (`retention_days`) within these bounds (days).
ROOM_RETENTION_MIN_DAYS: int = env.int("ROOM_RETENTION_MIN_DAYS", default=1)
ROOM_RETENTION_MAX_DAYS: int = env.int("ROOM_RETENTION_MAX_DAYS", default=3650)
# A room's export (GET rooms/{id}/export) is kept this long for downloading again, then removed;
# one that stopped moving this long (its worker died) is built again. In the embedded mode it is
# built on a thread of the web process (ROOM_EXPORT_IN_THREAD; the tests turn it off).
ROOM_EXPORT_TTL: float = _duration(env.str("ROOM_EXPORT_TTL", default="1d"))
ROOM_EXPORT_STALL: float = _duration(env.str("ROOM_EXPORT_STALL", default="10m"))
ROOM_EXPORT_IN_THREAD: bool = env.bool("ROOM_EXPORT_IN_THREAD", default=True)
# Guests idle this long are removed with their memberships (0 = never).
GUEST_IDLE_DAYS: float = env.float("GUEST_IDLE_DAYS", default=30.0)
GUEST_CLEANUP_INTERVAL: float = env.float("GUEST_CLEANUP_INTERVAL", default=3600.0)
# A digest of what an offline user missed, mailed once after this many seconds.
MAIL_DIGEST_DELAY: float = env.float("MAIL_DIGEST_DELAY", default=900.0)
MAIL_DIGEST_INTERVAL: float = env.float("MAIL_DIGEST_INTERVAL", default=60.0)

# The statistics page's tables are brought up to date this often (docs/decisions.md, "Statistics").
STATS_INTERVAL: float = _duration(env.str("STATS_INTERVAL", default="5m"))
# Messages younger than this are left for the next run (a send may still be committing).
STATS_SETTLE: float = _duration(env.str("STATS_SETTLE", default="30s"))

CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "mail-digests": {"task": "parley.notify.tasks.digests_send_due", "schedule": MAIL_DIGEST_INTERVAL},
}
if SEARCH_INDEX_SWEEP_INTERVAL > 0:
    CELERY_BEAT_SCHEDULE["search-index-sweep"] = {
        "task": "parley.messaging.tasks.search_index_sweep",
        "schedule": SEARCH_INDEX_SWEEP_INTERVAL,
    }
if STATS_INTERVAL > 0:
    CELERY_BEAT_SCHEDULE["stats-aggregate"] = {
        "task": "parley.stats.tasks.stats_aggregate",
        "schedule": STATS_INTERVAL,
    }
if GUEST_IDLE_DAYS > 0:
    CELERY_BEAT_SCHEDULE["guests-remove-idle"] = {
        "task": "parley.accounts.tasks.guests_remove_idle",
        "schedule": GUEST_CLEANUP_INTERVAL,
    }
# Statuses and do-not-disturb that ran out are cleared (and announced) this often; clients
# and every read treat them as gone at their time already.
PRESENCE_EXPIRE_INTERVAL: float = _duration(env.str("PRESENCE_EXPIRE_INTERVAL", default="30s"))
if PRESENCE_EXPIRE_INTERVAL > 0:
    CELERY_BEAT_SCHEDULE["presence-expire"] = {
        "task": "parley.accounts.tasks.presence_expire",
        "schedule": PRESENCE_EXPIRE_INTERVAL,
    }
# A thread root's summary event (`message.updated` after a reply) is logged at most once per
# root in this many seconds, the first at once, the rest when the window ends (docs/protocol.md,
# "Threads"); summaries whose flush never ran (the process stopped) are logged by a job.
THREAD_SUMMARY_WINDOW: float = _duration(env.str("THREAD_SUMMARY_WINDOW", default="10s"))
THREAD_SUMMARY_FLUSH_INTERVAL: float = _duration(env.str("THREAD_SUMMARY_FLUSH_INTERVAL", default="1m"))
CELERY_BEAT_SCHEDULE["thread-summaries-flush"] = {
    "task": "parley.messaging.tasks.thread_summaries_flush_overdue",
    "schedule": THREAD_SUMMARY_FLUSH_INTERVAL,
}
# Uploads no message took are removed this long after they were made (docs/decisions.md, "Uploads").
UPLOAD_UNATTACHED_TTL = timedelta(seconds=_duration(env.str("UPLOAD_UNATTACHED_TTL", default="1d")))
UPLOAD_CLEANUP_INTERVAL: float = _duration(env.str("UPLOAD_CLEANUP_INTERVAL", default="1h"))
CELERY_BEAT_SCHEDULE["uploads-remove-unattached"] = {
    "task": "parley.uploads.tasks.uploads_remove_unattached",
    "schedule": UPLOAD_CLEANUP_INTERVAL,
}
# Always scheduled: a room may keep its own retention even when the server default is off.
CELERY_BEAT_SCHEDULE["messages-purge"] = {
    "task": "parley.messaging.tasks.messages_purge",
    "schedule": PURGE_INTERVAL,
}
# Scheduled messages and reminders (docs/jobs.md): due ones are posted by a periodic job
# this often, so one goes out at most this late; at most this far ahead; pending per person.
SCHEDULED_INTERVAL: float = _duration(env.str("SCHEDULED_INTERVAL", default="5s"))
SCHEDULED_MAX_AHEAD: float = _duration(env.str("SCHEDULED_MAX_AHEAD", default="366d"))
SCHEDULED_MAX_PER_USER: int = env.int("SCHEDULED_MAX_PER_USER", default=100)
CELERY_BEAT_SCHEDULE["scheduled-send"] = {
    "task": "parley.actions.tasks.scheduled_send_due",
    "schedule": SCHEDULED_INTERVAL,
}

# --- Bots (docs/bots.md) --------------------------------------------------------
# Handlers by dotted path; BOTS_EXTRA adds "key=dotted.path.Class" entries (comma-separated).
BOTS: dict[str, dict[str, str]] = {
    "dice": {"HANDLER": "parley.bots.builtin.DiceBot", "NAME": "Dice"},
    "stats": {"HANDLER": "parley.bots.builtin.StatsBot", "NAME": "Room stats"},
}
for _entry in env.list("BOTS_EXTRA", default=[]):
    _key, _, _path = _entry.partition("=")
    BOTS[_key.strip()] = {"HANDLER": _path.strip(), "NAME": _key.strip().capitalize()}
# Seconds a handler may run; one that overruns is answered "took too long" and abandoned.
BOT_TIMEOUT: float = env.float("BOT_TIMEOUT", default=5.0)
# Embedded mode (no REDIS_URL): worker threads and the queue in front of them.
BOT_WORKERS: int = env.int("BOT_WORKERS", default=4)
BOT_QUEUE: int = env.int("BOT_QUEUE", default=200)
# Handlers of one bot alive at once in a process (overrunning ones included).
BOT_RUNNING_PER_BOT: int = env.int("BOT_RUNNING_PER_BOT", default=3)
# Outgoing webhooks: request timeout, retries and the first back-off (doubled each retry).
BOT_WEBHOOK_TIMEOUT: float = env.float("BOT_WEBHOOK_TIMEOUT", default=5.0)
BOT_WEBHOOK_RETRIES: int = env.int("BOT_WEBHOOK_RETRIES", default=4)
BOT_WEBHOOK_BACKOFF: float = env.float("BOT_WEBHOOK_BACKOFF", default=2.0)
# Let outgoing webhooks call loopback and private addresses (off: SSRF protection).
BOT_WEBHOOK_ALLOW_PRIVATE: bool = env.bool("BOT_WEBHOOK_ALLOW_PRIVATE", default=False)

# --- Web Push (issue 30; parley/notify/push.py, docs/deploy.md "Web Push") -----------
# The VAPID key pair (RFC 8292) that signs every push: the private key as base64url of its
# 32 raw bytes (or a PEM/DER). Unset: one is generated on first use and kept in the
# database, which every process and host shares (browsers subscribed with its public half).
# PUSH_VAPID_SUBJECT is the contact push services see (mailto: or https:).
PUSH_VAPID_PRIVATE_KEY: str = env.str("PUSH_VAPID_PRIVATE_KEY", default="")
PUSH_VAPID_SUBJECT: str = env.str("PUSH_VAPID_SUBJECT", default="")
# Tests only: let pushes go to loopback/private addresses and plain http endpoints.
PUSH_ALLOW_PRIVATE: bool = env.bool("PUSH_ALLOW_PRIVATE", default=False)
# How long a push service keeps a push for a device that is off (seconds; the TTL header).
PUSH_TTL: int = env.int("PUSH_TTL", default=43200)
# At most one push per room and person per this many seconds (later ones are counted in).
PUSH_COALESCE_SECONDS: float = env.float("PUSH_COALESCE_SECONDS", default=60.0)
# A push answered 5xx/429 or not answered: retried this many times, first after
# PUSH_BACKOFF seconds, doubled each time; a device failing PUSH_MAX_FAILURES pushes in a
# row (after their retries) is dropped, as one answered 404/410 is at once.
PUSH_TIMEOUT: float = env.float("PUSH_TIMEOUT", default=5.0)
PUSH_RETRIES: int = env.int("PUSH_RETRIES", default=4)
PUSH_BACKOFF: float = env.float("PUSH_BACKOFF", default=2.0)
PUSH_MAX_FAILURES: int = env.int("PUSH_MAX_FAILURES", default=5)
# Without Redis, pushes are sent from worker threads of the web process, not in the send.
PUSH_IN_THREAD: bool = env.bool("PUSH_IN_THREAD", default=True)

# --- Auth ---------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# --- Single sign-on (docs/deploy.md, "Single sign-on") ---------------------------------
# OpenID Connect: set the issuer (discovery reads <issuer>/.well-known/openid-configuration),
# the client registered there (redirect URI: <SITE_URL>/auth/oidc/callback) and the button's
# label. OIDC_ONLY=true hides password sign-in and registration and the API refuses them.
OIDC_ISSUER: str = env.str("OIDC_ISSUER", default="").rstrip("/")
OIDC_CLIENT_ID: str = env.str("OIDC_CLIENT_ID", default="")
OIDC_CLIENT_SECRET: str = env.str("OIDC_CLIENT_SECRET", default="")
OIDC_NAME: str = env.str("OIDC_NAME", default="") or "OpenID Connect"
OIDC_SCOPES: str = env.str("OIDC_SCOPES", default="openid email profile")
OIDC_ONLY: bool = env.bool("OIDC_ONLY", default=False)
# Seconds the IdP's answers may take (discovery, keys, the code's exchange).
OIDC_TIMEOUT: float = env.float("OIDC_TIMEOUT", default=10.0)
if (OIDC_ISSUER or OIDC_ONLY) and not (OIDC_ISSUER and OIDC_CLIENT_ID):
    raise environ.ImproperlyConfigured("OIDC_ISSUER and OIDC_CLIENT_ID are both needed (and by OIDC_ONLY).")
# LDAP (parley.accounts.ldap_backend, on ldap3): POST auth/login checks the password against
# the directory. Either a DN template (`uid=%(user)s,ou=people,dc=example,dc=org`, or an AD
# UPN `%(user)s@example.org`) or a search (base + filter, with an optional service account).
LDAP_SERVER_URI: str = env.str("LDAP_SERVER_URI", default="")
LDAP_USER_DN_TEMPLATE: str = env.str("LDAP_USER_DN_TEMPLATE", default="")
LDAP_SEARCH_BASE: str = env.str("LDAP_SEARCH_BASE", default="")
LDAP_SEARCH_FILTER: str = env.str("LDAP_SEARCH_FILTER", default="") or "(uid=%(user)s)"
LDAP_BIND_DN: str = env.str("LDAP_BIND_DN", default="")
LDAP_BIND_PASSWORD: str = env.str("LDAP_BIND_PASSWORD", default="")
LDAP_START_TLS: bool = env.bool("LDAP_START_TLS", default=False)
# A CA bundle to check the server's certificate with (StartTLS and ldaps://); empty: the system's.
LDAP_CA_FILE: str = env.str("LDAP_CA_FILE", default="")
# Only members of this group may sign in: its DN (member/uniqueMember/memberOf), or a filter
# the person's entry must match (`(memberOf=cn=chat,ou=groups,dc=example,dc=org)`).
LDAP_REQUIRE_GROUP: str = env.str("LDAP_REQUIRE_GROUP", default="")
LDAP_GROUP_FILTER: str = env.str("LDAP_GROUP_FILTER", default="")
LDAP_ATTR_DISPLAY_NAME: list[str] = env.list("LDAP_ATTR_DISPLAY_NAME", default=["displayName", "cn"])
LDAP_ATTR_EMAIL: str = env.str("LDAP_ATTR_EMAIL", default="mail")
LDAP_TIMEOUT: float = env.float("LDAP_TIMEOUT", default=5.0)
if LDAP_SERVER_URI:
    if not (LDAP_USER_DN_TEMPLATE or LDAP_SEARCH_BASE):
        raise environ.ImproperlyConfigured("LDAP_SERVER_URI needs LDAP_USER_DN_TEMPLATE or LDAP_SEARCH_BASE.")
    # After the model backend: local accounts are checked first, and a refusal by both is
    # one failure for django-axes and the address throttle (parley.accounts.signin).
    AUTHENTICATION_BACKENDS.append("parley.actions.directory.DirectoryBackend")
# Lock out by username *and* client address; the address is read only from
# proxies we trust, so a rotating X-Forwarded-For cannot mint fresh addresses.
AXES_FAILURE_LIMIT: int = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME: float = env.float("AXES_COOLOFF_MINUTES", default=15.0) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "parley.accounts.throttling.lockout_response"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_CLIENT_IP_CALLABLE = "parley.common.clientip.client_ip"
TRUSTED_PROXIES: list[str] = env.list("TRUSTED_PROXIES", default=[])
AXES_VERBOSE = False

SESSION_COOKIE_AGE = 60 * 60 * 24 * 30
# API tokens (Authorization: Token, /ws/?token=) stop working this long after they were issued
# or last renewed (POST auth/token/renew gives a fresh one); "0" = never expire.
TOKEN_TTL: float = _duration(env.str("TOKEN_TTL", default="30d"))
# Two-factor sign-in (docs/deploy.md, "Account security"): REQUIRE_2FA=staff|all makes a second
# factor mandatory (unset: each person chooses). Passkeys: the WebAuthn relying party is the
# host a request names unless WEBAUTHN_RP_ID (a domain, never an IP address) and
# WEBAUTHN_ORIGINS (full origins, for a proxy that rewrites Host) say otherwise.
REQUIRE_2FA: str = env.str("REQUIRE_2FA", default="").strip().lower()
if REQUIRE_2FA not in {"", "staff", "all"}:
    raise environ.ImproperlyConfigured("REQUIRE_2FA must be staff, all, or empty.")
WEBAUTHN_RP_ID: str = env.str("WEBAUTHN_RP_ID", default="")
WEBAUTHN_RP_NAME: str = env.str("WEBAUTHN_RP_NAME", default="Parley")
WEBAUTHN_ORIGINS: list[str] = env.list("WEBAUTHN_ORIGINS", default=[])
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
    # Probes and scrapers speak plain HTTP inside the private network, behind the TLS proxy.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading is a request to browser vendors that is slow to undo: an operator's
        # deliberate step (docs/deploy.md), not something `check --deploy` should push.
        SILENCED_SYSTEM_CHECKS.append("security.W021")

# --- REST ---------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "parley.accounts.authentication.TokenAuthentication",
        "parley.accounts.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "parley.accounts.enrolment.SecondFactorEnrolled",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "parley.common.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
SPECTACULAR_SETTINGS = {
    "TITLE": "Parley API",
    "DESCRIPTION": "REST API of Parley, a self-hosted real-time group chat. "
    "The WebSocket protocol is documented in docs/protocol.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # 3.1: a component is plain JSON Schema, so a shape's is the frames' definition as is.
    "OAS_VERSION": "3.1.0",
    "POSTPROCESSING_HOOKS": ["parley.common.schema.enums_outside_shapes"],
}

# --- Static files and the web client --------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
FRONTEND_DIST = Path(env.str("PARLEY_FRONTEND_DIST", default=str(BASE_DIR / "frontend" / "dist")))
STATICFILES_DIRS = [FRONTEND_DIST] if FRONTEND_DIST.exists() else []
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_IMMUTABLE_FILE_TEST = r"^.+[.-][0-9a-zA-Z_-]{8,12}\..+$"

# --- Uploads (docs/deploy.md, "Uploads") -----------------------------------------
# Files people attach: at most UPLOAD_MAX_BYTES each (checked while the body is parsed),
# stored through the `uploads` storage: private files under data/uploads (never under a
# URL the web server serves by itself), or an S3-compatible bucket when UPLOAD_S3_BUCKET
# is set (django-storages; install the `s3` extra for boto3). Only members of the room
# can fetch them, through the API.
UPLOAD_MAX_BYTES: int = env.int("UPLOAD_MAX_BYTES", default=25 * 1024 * 1024)
# Images with more pixels than this keep no size and get no thumbnail (Pillow's bomb guard).
UPLOAD_MAX_PIXELS: int = env.int("UPLOAD_MAX_PIXELS", default=50_000_000)
# Pictures (thumbnails, avatars) are decoded only up to this many pixels, JPEGs after their
# reduced-scale decode: the memory one decode may take is about 5 bytes a pixel (60 MB at
# 12 million), whatever a file's header claims. Larger pictures keep no thumbnail.
IMAGE_DECODE_MAX_PIXELS: int = env.int("IMAGE_DECODE_MAX_PIXELS", default=12_000_000)
# Behind nginx in production: "/protected-uploads/" lets nginx send the file (an internal
# location aliased to the upload folder, deploy/nginx.conf) once Parley has said yes.
UPLOAD_ACCEL_REDIRECT: str = env.str("UPLOAD_ACCEL_REDIRECT", default="")
# Without Redis, thumbnails are made on a worker thread of the web process (not in the
# request); with Redis, by the Celery worker. The tests turn the thread off.
UPLOAD_THUMBNAILS_IN_THREAD: bool = env.bool("UPLOAD_THUMBNAILS_IN_THREAD", default=True)

# --- Link previews and custom emoji (docs/uploads.md, "Link previews", "Custom emoji") ---
# The first LINK_PREVIEW_LINKS http(s) links of a message are fetched off the send path and
# shown as cards. Off for the whole server with LINK_PREVIEWS=false (rooms turn them off with
# PATCH rooms/{id} `link_previews`). One fetch per URL for all rooms, kept LINK_PREVIEW_TTL.
LINK_PREVIEWS: bool = env.bool("LINK_PREVIEWS", default=True)
LINK_PREVIEW_LINKS: int = env.int("LINK_PREVIEW_LINKS", default=3)
LINK_PREVIEW_TTL = timedelta(seconds=_duration(env.str("LINK_PREVIEW_TTL", default="1d")))
# Per request: seconds per network wait, and for the whole answer (a slow trickle is cut).
LINK_PREVIEW_TIMEOUT: float = env.float("LINK_PREVIEW_TIMEOUT", default=3.0)
LINK_PREVIEW_DEADLINE: float = env.float("LINK_PREVIEW_DEADLINE", default=8.0)
# Bytes read of a page (the rest is never read) and of its image (a larger image is dropped).
LINK_PREVIEW_MAX_BYTES: int = env.int("LINK_PREVIEW_MAX_BYTES", default=1024 * 1024)
LINK_PREVIEW_IMAGE_MAX_BYTES: int = env.int("LINK_PREVIEW_IMAGE_MAX_BYTES", default=5 * 1024 * 1024)
LINK_PREVIEW_REDIRECTS: int = env.int("LINK_PREVIEW_REDIRECTS", default=3)
# For tests and development only: also fetch from loopback addresses (127.0.0.0/8, ::1).
# Every other private, link-local or reserved address (10/8, 169.254/16, ...) stays refused,
# after every redirect too (parley.common.safefetch, `allow_loopback`).
LINK_PREVIEW_ALLOW_PRIVATE: bool = env.bool("LINK_PREVIEW_ALLOW_PRIVATE", default=False)
# Without Redis, previews are fetched on a worker thread of the web process (as thumbnails).
LINK_PREVIEWS_IN_THREAD: bool = env.bool("LINK_PREVIEWS_IN_THREAD", default=True)
# Who may add custom emoji: "staff" or "members" (any signed-in member but guests).
CUSTOM_EMOJI: str = env.str("CUSTOM_EMOJI", default="staff")
if CUSTOM_EMOJI not in ("staff", "members"):
    raise environ.ImproperlyConfigured("CUSTOM_EMOJI must be staff or members")
CUSTOM_EMOJI_MAX_BYTES: int = env.int("CUSTOM_EMOJI_MAX_BYTES", default=256 * 1024)
UPLOAD_DIR = Path(env.str("UPLOAD_DIR", default="") or DATA_DIR / "uploads")
UPLOAD_S3_BUCKET: str = env.str("UPLOAD_S3_BUCKET", default="")
# Small files stay in memory while parsed, larger ones are spooled to a temporary file.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Readable by a reverse proxy that sends them (X-Accel-Redirect runs as another user); keep
# the data folder itself closed to other accounts of the host (docs/deploy.md, "Uploads").
FILE_UPLOAD_PERMISSIONS = 0o644
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o755
_uploads_storage: dict[str, object] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": str(UPLOAD_DIR), "base_url": None},
}
if UPLOAD_S3_BUCKET:
    _uploads_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": UPLOAD_S3_BUCKET,
            "endpoint_url": env.str("UPLOAD_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("UPLOAD_S3_REGION", default="") or None,
            "access_key": env.str("UPLOAD_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("UPLOAD_S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("UPLOAD_S3_PREFIX", default="uploads"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
# With an S3-compatible bucket, browsers and bots may send a file straight to it (POST
# rooms/{id}/uploads/presign, then uploads/presigned/{key}/complete): the bytes never pass
# through Parley. The address signed for the PUT is valid UPLOAD_PRESIGN_TTL; the bucket
# needs a CORS rule for the site's origin (docs/deploy.md, "Uploads").
UPLOAD_S3_PRESIGN: bool = env.bool("UPLOAD_S3_PRESIGN", default=True)
UPLOAD_PRESIGN_TTL = timedelta(seconds=_duration(env.str("UPLOAD_PRESIGN_TTL", default="15m")))
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "uploads": _uploads_storage,
}

# --- Mail ---------------------------------------------------------------------
_EMAIL_URL = env.str("EMAIL_URL", default="consolemail://")
EMAIL_CONFIG = env.email_url_config(_EMAIL_URL)
if _EMAIL_URL.startswith("filemail:///"):
    # filemail:///abs/dir writes one file per mail there (the browser and worker tests read
    # them); django-environ drops the leading slash, which would make the path relative.
    EMAIL_CONFIG["EMAIL_FILE_PATH"] = "/" + str(EMAIL_CONFIG["EMAIL_FILE_PATH"]).lstrip("/")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Parley <parley@localhost>")
# Links in mail point here (the address people open Parley at). Unset: the address
# `parley.serve` listens on (HOST unless it is a wildcard, and PORT), so `make run` on
# another port mails working links.
PORT: int = env.int("PORT", default=8000)
_HOST = env.str("HOST", default="127.0.0.1")
_HOST = "127.0.0.1" if _HOST in {"", "0.0.0.0", "::"} else _HOST
_HOST = f"[{_HOST}]" if ":" in _HOST else _HOST
SITE_URL: str = env.str("SITE_URL", default=f"http://{_HOST}:{PORT}").rstrip("/")
EMAIL_VERIFY_MAX_AGE: int = env.int("EMAIL_VERIFY_MAX_AGE", default=3 * 86400)
PASSWORD_RESET_MAX_AGE: int = env.int("PASSWORD_RESET_MAX_AGE", default=3600)
PASSWORD_RESET_TIMEOUT = PASSWORD_RESET_MAX_AGE  # Django's reset tokens
# Who may create an account (issue 31): open (anyone signs up, guests come in), invite (only
# with an invitation staff mailed; no guests), closed (nobody; staff invitations still work).
REGISTRATION: str = env.str("REGISTRATION", default="open").strip().lower()
if REGISTRATION not in ("open", "invite", "closed"):
    raise environ.ImproperlyConfigured(f"REGISTRATION must be open, invite or closed, not {REGISTRATION!r}")
# How long a mailed invitation works (it works once).
INVITATION_MAX_AGE: float = _duration(env.str("INVITATION_MAX_AGE", default="7d"))

# --- Throttles (REST, per address and per user, shared through the cache) ------------
THROTTLE_RATES: dict[str, str] = {
    "register": env.str("THROTTLE_REGISTER", default="10/hour"),
    "guest": env.str("THROTTLE_GUEST", default="30/hour"),
    "room_create": env.str("THROTTLE_ROOM_CREATE", default="20/hour"),
    "upload": env.str("THROTTLE_UPLOAD", default="60/hour"),
    "search": env.str("THROTTLE_SEARCH", default="60/minute"),
    "password_reset": env.str("THROTTLE_PASSWORD_RESET", default="5/hour"),
    "email_verify": env.str("THROTTLE_EMAIL_VERIFY", default="5/hour"),
    # Changing the address through PATCH me/mail (each change mails a link), per user and address.
    "email_change": env.str("THROTTLE_EMAIL_CHANGE", default="5/hour"),
    # Every mail a request can make us send to one mailbox (case-folded), whoever asks:
    # verification links (register, PATCH me/mail, resend) and password reset links.
    "mail_recipient": env.str("THROTTLE_MAIL_RECIPIENT", default="5/hour"),
    "ws_ticket": env.str("THROTTLE_WS_TICKET", default="120/minute"),
    # Passkey sign-in challenges (POST auth/passkey/options), per address: each is kept 5 minutes.
    "passkey_options": env.str("THROTTLE_PASSKEY_OPTIONS", default="30/minute"),
    "dm_open": env.str("THROTTLE_DM_OPEN", default="120/hour"),
    "user_search": env.str("THROTTLE_USER_SEARCH", default="120/minute"),
    "webhook": env.str("THROTTLE_WEBHOOK", default="30/minute"),
    # Wrong passwords per client address across every username (sign-in and the current-password
    # checks); django-axes counts per username and address beside it (AXES_FAILURE_LIMIT).
    "login_fail": env.str("THROTTLE_LOGIN_FAIL", default="20/hour"),
    # Current-password checks (POST me/password, DELETE me), per user and address.
    "password_check": env.str("THROTTLE_PASSWORD_CHECK", default="10/hour"),
    # Posts to an incoming webhook with a wrong secret, per client address (counted apart from
    # the hook's own limit, which only posts with the right secret use up).
    "webhook_fail": env.str("THROTTLE_WEBHOOK_FAIL", default="30/minute"),
    # Creating invite links, and accepting or previewing them (a guess costs one of these).
    "invite": env.str("THROTTLE_INVITE", default="60/hour"),
    "invite_use": env.str("THROTTLE_INVITE_USE", default="120/hour"),
}
WS_TICKET_TTL: int = env.int("WS_TICKET_TTL", default=30)

# --- Main room, profile pictures ------------------------------------------------------
# Every new account and guest joins this public room (created on first use; empty = none).
PARLEY_MAIN_ROOM: str = env.str("PARLEY_MAIN_ROOM", default="general")
# Uploaded files (profile pictures) go through Django's storage API, under data/.
MEDIA_ROOT = env.str("MEDIA_ROOT", default="") or str(DATA_DIR / "media")
AVATAR_UPLOAD_MAX_BYTES: int = env.int("AVATAR_UPLOAD_MAX_BYTES", default=5 * 1024 * 1024)

# Every text the server writes for people, in four languages (docs/i18n.md, "Server").
# The codes are the profile's `language` values; each name is written in its own language.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文"), ("ko", "한국어"), ("ja", "日本語")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# LOG_FORMAT=json: one JSON object per line (time, level, logger, message, exception).
LOG_FORMAT: str = env.str("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"parley": formatter_config(LOG_FORMAT)},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "parley"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
