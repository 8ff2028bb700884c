"""Real Parley processes for tests: a private database, migrations, uvicorn on a port of its own.

Used by the multi-process, fault and browser suites. Everything listens on
loopback only and is torn down by the fixture that started it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from parley.testing import logguard
from parley.testing.waits import wait_until

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A port free a moment ago, for a third-party program that must be told its port before
    it starts (redis-server: its `--port 0` means "no TCP"). It binds and releases, so another
    process may take the port before the program binds it; Parley's own servers bind port 0
    and report the port they got instead (ServerProcess)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_refusing: list[socket.socket] = []


def refused_port() -> int:
    """A loopback port where connections are refused for as long as this process runs: bound
    (so no one else can take it) but never listening. For tests of a service that is away."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    _refusing.append(sock)
    return int(sock.getsockname()[1])


def unavailable(reason: str) -> None:
    """Skip for a missing service or browser, or fail when CI requires them all."""
    if os.environ.get("PARLEY_REQUIRE_SERVICES") == "1":
        pytest.fail(f"PARLEY_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def services_or_skip(*, postgres: bool = True, redis: bool = True) -> tuple[str, str]:
    """DATABASE_URL/REDIS_URL, or a skip with a reason (a failure under PARLEY_REQUIRE_SERVICES=1)."""
    if os.environ.get("PARLEY_TEST_PASS") == "embedded":
        # `make test` runs the suite twice; this test belongs to the second pass.
        pytest.skip("runs in the services pass (PostgreSQL + Redis)")
    db, rd = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    missing = []
    if postgres and not db.startswith(("postgres://", "postgresql://")):
        missing.append("DATABASE_URL (PostgreSQL)")
    if redis and not rd:
        missing.append("REDIS_URL")
    if missing:
        unavailable(f"this test needs {' and '.join(missing)}")
    return db, rd


@contextmanager
def private_database(kind: str) -> Iterator[str]:
    """A database of its own for live processes: a temp SQLite file or a fresh PostgreSQL db."""
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="parley-live-")
        try:
            yield f"sqlite:///{folder}/parley.sqlite3"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    import psycopg

    base = os.environ["DATABASE_URL"]
    name = f"parley_live_{uuid.uuid4().hex[:10]}"
    admin = base.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def base_env(database_url: str, redis_url: str = "", **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST", "PARLEY_TEST"))}
    for name in ("REDIS_URL", "REDIS_CLUSTER_URL", "CELERY_BROKER_URL", "CACHE_URL"):
        env.pop(name, None)  # a test passes the ones it wants
    env.update(
        DEBUG="false",
        SECRET_KEY="live-test-" + uuid.uuid4().hex * 2,
        DATABASE_URL=database_url,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_COOKIES="false",
        PARLEY_REDIS_PREFIX=f"parleylive{uuid.uuid4().hex[:8]}",
        HUB_SWEEP_INTERVAL="1",
        PARLEY_DATA_DIR=tempfile.mkdtemp(prefix="parley-data-"),
        # Live servers run no Celery worker or beat unless a test asks (PARLEY_JOBS=1).
        PARLEY_JOBS="0",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(extra)
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=180,
    )


class ServerProcess:
    """One `python -m parley.serve` process (what `make serve` runs).

    It binds port 0 and writes the port it got to a file (parley.serve's PARLEY_PORT_FILE),
    so servers started side by side never race for a port. `port` is known once `start`
    returns; pass `port` to start again on the port of a server that was stopped."""

    def __init__(self, env: dict[str, str], port: int | None = None):
        self.port = port or 0
        self.port_file = Path(tempfile.mkdtemp(prefix="parley-port-")) / "port"
        self.env = {
            **env,
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "PARLEY_PORT_FILE": str(self.port_file),
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives as long as the process
            prefix="parley-uvicorn-", suffix=".log", delete=False
        )
        # After each test, an ERROR or traceback in this log fails it (parley/testing/logguard.py).
        self.log_watch = logguard.watch(self.log.name, f"server log {Path(self.log.name).name}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/"

    def start(self, timeout: float = 30) -> ServerProcess:
        self.port_file.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "parley.serve"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        try:
            self.port = wait_until(self._bound_port, timeout=timeout, what="the server's port file")
            wait_until(
                self._healthy, timeout=max(deadline - time.monotonic(), 1), what="/healthz to answer 200"
            )
        except AssertionError as exc:
            raise RuntimeError(f"server did not start ({exc}): {self.output()[-2000:]}") from None
        return self

    def _alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"server exited: {self.output()[-2000:]}")

    def _bound_port(self) -> int:
        self._alive()
        try:
            return int(self.port_file.read_text())
        except (FileNotFoundError, ValueError):
            return 0

    def _healthy(self) -> bool:
        self._alive()
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log_watch.close()  # the guard still checks what it logged last
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)
        shutil.rmtree(self.port_file.parent, ignore_errors=True)


# The documented variables (docs/jobs.md, .env.example) that make each periodic job fire every
# second: the one list for every test that waits until all of them have run (a job added to
# the schedule is added here, or those tests wait for it in vain).
SHORT_JOB_INTERVALS = {
    "MAIL_DIGEST_DELAY": "1",
    "MAIL_DIGEST_INTERVAL": "1",
    "STATS_INTERVAL": "1s",
    "STATS_SETTLE": "1s",
    "GUEST_CLEANUP_INTERVAL": "1",
    "UPLOAD_CLEANUP_INTERVAL": "1s",
    "PURGE_INTERVAL": "1",
    "SCHEDULED_INTERVAL": "1s",
    "PRESENCE_EXPIRE_INTERVAL": "1s",
    "THREAD_SUMMARY_FLUSH_INTERVAL": "1s",
    "SEARCH_INDEX_SWEEP_INTERVAL": "1s",
}
