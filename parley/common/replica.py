"""Reads from the PostgreSQL read replica when it has caught up with the reader (read-your-writes).

With DATABASE_REPLICA_URL set, the database alias "replica" is a streaming replica of the
primary ("default"). A few reads that are heavy and frequent (history pages, thread pages,
search, the lobby's counts) may run there; every other query stays on the primary. The rule:

- After each write by a person (a REST call that may change something, or a WebSocket frame
  that does: send, edit, delete, react, read), the primary's WAL insert position is noted for
  that person (`note_write`) in the shared cache, with a TTL (REPLICA_MARK_TTL).
- A replica read (`replica_reads` around a view) compares the person's mark with the
  replica's replay position, which each process reads at most once per
  REPLICA_CHECK_INTERVAL: replayed past the mark (or no mark) -> the replica; not yet -> the
  primary. So a person never reads a state older than their own last write.
- The replica is not used at all while it is down (for REPLICA_RETRY_AFTER after a failure)
  or more than REPLICA_MAX_LAG seconds behind; a read that fails there is run again on the
  primary (one WARNING line, rate-limited, never a traceback).

Routing is explicit: the router answers "replica" only inside `replica_reads` (a context
variable set around one view), never elsewhere, and a write inside such a view sends the
rest of its reads to the primary. docs/decisions.md says why it is a router with opt-in
rather than `using()` in each selector; docs/scaling.md has the measured costs.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponseBase
from prometheus_client import Counter

log = logging.getLogger("parley.replica")

PRIMARY = "default"
REPLICA = "replica"

READS = Counter(
    "parley_replica_reads",
    "Reads that may use the read replica, by the database that served them and why.",
    ["db", "reason"],
)

_chosen: ContextVar[str | None] = ContextVar("parley_read_alias", default=None)

T = TypeVar("T")

# The replica's replay position, how far behind it is, and whether it is a standby at all.
# Lag in seconds counts only while WAL is waiting to be replayed (received past replayed):
# an idle primary sends nothing, and a replica that replayed everything is not "behind".
POSITION_SQL = (
    "SELECT pg_is_in_recovery(), "
    "pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint, "
    "pg_wal_lsn_diff(pg_last_wal_receive_lsn(), '0/0')::bigint, "
    "CASE WHEN pg_last_wal_receive_lsn() IS NULL "
    "OR pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)
# The insert position, not pg_current_wal_lsn() (the write position): with
# synchronous_commit off a commit returns before its record is written, so only the insert
# position is sure to be at or past it. Both are one function call; the cost is the round trip.
INSERT_LSN_SQL = "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint"
CURRENT_LSN_SQL = "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint"


@dataclass(frozen=True)
class Position:
    """What this process last learned of the replica."""

    up: bool
    replay_lsn: int  # bytes since 0/0; a server not in recovery counts as replayed to the end
    lag_seconds: float
    in_recovery: bool
    error: str = ""

    @classmethod
    def down(cls, error: str) -> Position:
        return cls(up=False, replay_lsn=0, lag_seconds=0.0, in_recovery=True, error=error)


NEVER = 2**63 - 1


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:200] if text else type(exc).__name__


class ReplicaTracker:
    """One per process (`tracker()`): the replica's cached position, the people's marks, the choice."""

    def __init__(self, *, interval: float, retry_after: float, max_lag: float, mark_ttl: float) -> None:
        self.interval = interval
        self.retry_after = retry_after
        self.max_lag = max_lag
        self.mark_ttl = mark_ttl
        self._lock = threading.Lock()
        self._position = Position.down("not read yet")
        self._checked_at = -1e9  # monotonic
        self._down_until = 0.0
        self._warned: dict[str, float] = {}
        self._refreshing = False

    # --- the replica's position -------------------------------------------------------
    def read_position(self) -> Position:
        """Ask the replica now (this thread's connection to it); never raises. A connection
        kept from before the replica restarted fails once: it is replaced and asked again."""
        for attempt in (1, 2):
            reused = connections[REPLICA].connection is not None
            try:
                with connections[REPLICA].cursor() as cursor:
                    cursor.execute(POSITION_SQL)
                    in_recovery, replay, _received, lag = cursor.fetchone()
                break
            except Exception as exc:
                connections[REPLICA].close()  # the next try connects afresh
                if attempt == 2 or not reused:
                    return Position.down(_reason(exc))
        if not in_recovery or replay is None:
            # Not a standby (or one that never replayed): what it has is all it will have.
            replayed = NEVER if not in_recovery else 0
            return Position(up=True, replay_lsn=replayed, lag_seconds=0.0, in_recovery=bool(in_recovery))
        return Position(up=True, replay_lsn=int(replay), lag_seconds=float(lag or 0), in_recovery=True)

    def position(self) -> Position:
        """The cached position, read again when older than `interval`. One thread refreshes;
        the others use the older value meanwhile (an older replay position only sends more
        reads to the primary). While the replica is down it is asked again after `retry_after`."""
        now = time.monotonic()
        with self._lock:
            fresh = now - self._checked_at < self.interval or now < self._down_until
            if fresh or self._refreshing:
                return self._position
            self._refreshing = True
        try:
            found = self.read_position()
        finally:
            with self._lock:
                self._refreshing = False
        with self._lock:
            was_up = self._position.up
            self._position, self._checked_at = found, time.monotonic()
            if not found.up:
                self._down_until = self._checked_at + self.retry_after
        if not found.up:
            self.warn("down", "read replica unreachable, reading from the primary: %s", found.error)
        elif not was_up and found.error == "":
            log.info("read replica reachable again")
        return found

    def failed(self, exc: BaseException) -> None:
        """A read on the replica failed: keep reads on the primary for `retry_after`, unless
        the replica answers a new connection at once (this thread's connection was one kept
        from before a restart of the replica)."""
        connections[REPLICA].close()
        probe = self.read_position()
        if probe.up:
            with self._lock:
                self._position, self._checked_at = probe, time.monotonic()
            log.info("a read on the replica failed on a stale connection, replaced: %s", _reason(exc))
            return
        with self._lock:
            self._down_until = time.monotonic() + self.retry_after
            self._position = Position.down(_reason(exc))
        self.warn("read", "a read on the replica failed, read again from the primary: %s", _reason(exc))

    def warn(self, kind: str, message: str, *args: object) -> None:
        """A WARNING line at most once a minute per kind (a replica that is down would
        otherwise log once per read)."""
        now = time.monotonic()
        with self._lock:
            if now - self._warned.get(kind, -1e9) < 60:
                return
            self._warned[kind] = now
        log.warning(message, *args)

    # --- the people's marks -----------------------------------------------------------
    @staticmethod
    def _key(user_id: int) -> str:
        return f"replica:wrote:{user_id}"

    def note_write(self, user_id: int) -> None:
        """After a write by `user_id` committed: remember the primary's WAL position, so this
        person's replica reads wait for the replica to replay it. Runs on the primary, outside
        any transaction (inside one, the position would precede the commit)."""
        try:
            with connections[PRIMARY].cursor() as cursor:
                cursor.execute(INSERT_LSN_SQL)
                (lsn,) = cursor.fetchone()
            key = self._key(user_id)
            # Two writes of one person on two processes at once: keep the larger position
            # (a get-then-set; the window left is the few microseconds between the two).
            if int(cache.get(key) or 0) < int(lsn):
                cache.set(key, int(lsn), timeout=self.mark_ttl)
        except Exception as exc:
            self.warn("mark", "could not note the WAL position of a write: %s", _reason(exc))
            # Without a mark the person's next reads could miss the write: send them to the
            # primary until the mark's lifetime is over.
            with contextlib.suppress(Exception):
                cache.set(self._key(user_id), NEVER, timeout=self.mark_ttl)

    def choose(self, user_id: int | None) -> tuple[str, str]:
        """(alias, reason) for one read by `user_id`."""
        position = self.position()
        if not position.up:
            return PRIMARY, "replica_down"
        if position.lag_seconds > self.max_lag:
            return PRIMARY, "replica_lagging"
        if user_id is not None:
            try:
                mark = cache.get(self._key(user_id))
            except Exception:
                return PRIMARY, "mark_unknown"
            if mark is not None and int(mark) > position.replay_lsn:
                return PRIMARY, "own_write"
        return REPLICA, "caught_up"


_tracker: list[ReplicaTracker] = []
_tracker_lock = threading.Lock()


def enabled() -> bool:
    return REPLICA in settings.DATABASES


def tracker() -> ReplicaTracker | None:
    """This process's tracker, built from settings on first use; None without a replica."""
    if not enabled():
        return None
    with _tracker_lock:
        if not _tracker:
            _tracker.append(
                ReplicaTracker(
                    interval=float(settings.REPLICA_CHECK_INTERVAL),
                    retry_after=float(settings.REPLICA_RETRY_AFTER),
                    max_lag=float(settings.REPLICA_MAX_LAG),
                    mark_ttl=float(settings.REPLICA_MARK_TTL),
                )
            )
        return _tracker[0]


def note_write(user_id: int | None) -> None:
    """A person's write committed (no-op without a replica or a person)."""
    found = tracker()
    if found is not None and user_id is not None:
        found.note_write(user_id)


def read(user_id: int | None, reads: Callable[[], T]) -> T:
    """Run `reads` (queries that read only) on the replica when it holds `user_id`'s last
    write, else on the primary. Whatever fails on the replica is run again on the primary:
    a database error (the replica went away mid-read: logged, reads leave it for a while) or a
    refusal (a membership the replica has not replayed yet answers 404 there)."""
    found = tracker()
    if found is None:
        return reads()
    alias, reason = found.choose(user_id)
    if alias == PRIMARY:
        READS.labels(db="primary", reason=reason).inc()
        return reads()
    token = _chosen.set(REPLICA)
    try:
        result = reads()
    except (OperationalError, InterfaceError) as exc:
        found.failed(exc)
        _chosen.reset(token)
        READS.labels(db="primary", reason="replica_failed").inc()
        return reads()
    except Exception:
        _chosen.reset(token)
        READS.labels(db="primary", reason="refused_on_replica").inc()
        return reads()
    wrote = _chosen.get() == PRIMARY
    _chosen.reset(token)
    if wrote:
        READS.labels(db="primary", reason="wrote_while_reading").inc()
    else:
        READS.labels(db="replica", reason=reason).inc()
    return result


def replica_reads(view: Callable[..., T]) -> Callable[..., T]:
    """For a view method that only reads (`def get(self, request, ...)`): run it through `read`
    for the requesting person."""

    @functools.wraps(view)
    def wrapper(self: Any, request: Any, *args: Any, **kwargs: Any) -> T:
        user_id = getattr(request.user, "pk", None)
        return read(user_id, lambda: view(self, request, *args, **kwargs))

    return wrapper


class ReplicaRouter:
    """Reads go to the replica only inside `read` (opt-in); writes always to the primary, and
    a write inside `read` sends that view's remaining reads to the primary too."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        chosen = _chosen.get()
        if chosen == REPLICA and connections[PRIMARY].in_atomic_block:
            return PRIMARY  # inside a transaction on the primary: read what it sees
        return chosen

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        if _chosen.get() == REPLICA:
            _chosen.set(PRIMARY)
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True  # one database, two copies of it

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA else None  # a standby is read-only: migrate the primary


# --- lag, for /metrics and /healthz ---------------------------------------------------------


@dataclass(frozen=True)
class Lag:
    up: bool
    seconds: float
    bytes: int
    in_recovery: bool
    error: str = ""

    @classmethod
    def down(cls, error: str) -> Lag:
        return cls(up=False, seconds=0.0, bytes=0, in_recovery=True, error=error)


def lag() -> Lag:
    """Ask the replica and the primary now (this thread's connections): how far behind is the
    replica, in seconds (see POSITION_SQL) and in WAL bytes (the primary's write position
    minus the replica's replay position). Never raises."""
    found = tracker()
    assert found is not None
    position = found.read_position()
    if not position.up:
        return Lag.down(position.error)
    if not position.in_recovery:
        return Lag(up=True, seconds=0.0, bytes=0, in_recovery=False)
    try:
        with connections[PRIMARY].cursor() as cursor:
            cursor.execute(CURRENT_LSN_SQL)
            (current,) = cursor.fetchone()
        behind = max(int(current) - position.replay_lsn, 0)
    except Exception as exc:
        error = f"primary: {_reason(exc)}"
        return Lag(up=True, seconds=position.lag_seconds, bytes=0, in_recovery=True, error=error)
    return Lag(up=True, seconds=position.lag_seconds, bytes=behind, in_recovery=True)


class WriteMarkMiddleware:
    """After a request that may have written (any method but GET, HEAD, OPTIONS) by a signed-in
    person, note their write (`note_write`). Installed only with DATABASE_REPLICA_URL. DRF
    sets the person it authenticated (token or session) on the request it wraps."""

    SAFE = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.method not in self.SAFE:
            user = getattr(request, "user", None)
            if user is not None and getattr(user, "is_authenticated", False):
                note_write(user.pk)
        return response
