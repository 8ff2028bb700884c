"""Start/stop the servers under test and create their fixtures.

Servers: `relay` (bare websockets), `socketio` (Socket.IO 4 on Node, bench/socketio/:
issue 18's peer; its node_modules are installed from the committed lock on first use),
`socketio-durable` (the same with an INSERT into PostgreSQL before each emit, issue 34),
`baseline` (seed design under uvicorn with Parley's flags), `baseline-daphne` (same app
under daphne, as the seeds run it),
`synapse` (Matrix Synapse on PostgreSQL, bench/synapse.py: the durable Python server people
run today), `parley` (`python -m parley.serve`, PostgreSQL + Redis as shipped), `parley-embedded`
(the same without REDIS_URL: the in-memory hub of a one-process install), and `parley-ref`: the same server from
another checkout (`BENCH_PARLEY_REF`, e.g. a `git worktree` of an older commit)
on the same database and fixtures, so a change is measured before/after in one
interleaved run.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

from bench import synapse
from bench.util import children, cpu_seconds, rss_kib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PG = dict(
    host=os.environ.get("BENCH_PG_HOST", "127.0.0.1"),
    port=os.environ.get("BENCH_PG_PORT", "5432"),
    user=os.environ.get("BENCH_PG_USER", "postgres"),
)
REDIS_HOST = os.environ.get("BENCH_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("BENCH_REDIS_PORT", "6379"))
BASELINE_DB = "parley_bench_baseline"
SOCKETIO_DB = "parley_bench_socketio"
# Overridable so that two checkouts on one machine can benchmark without sharing a database.
PARLEY_DB = os.environ.get("BENCH_PARLEY_DB", "parley_bench")
BASELINE_REDIS_DB = 13
PARLEY_REDIS_DB = int(os.environ.get("BENCH_PARLEY_REDIS_DB", "12"))
# Redis pub/sub channels are not per database: two benchmarks on one Redis with the same
# prefix would deliver each other's room events (same room ids, other databases). The
# prefix follows the database, so each checkout's benchmark hears only its own server.
PARLEY_REDIS_PREFIX = os.environ.get("BENCH_PARLEY_REDIS_PREFIX", f"pbench-{PARLEY_DB}")
# BENCH_PORT_OFFSET moves them all, so two checkouts can benchmark side by side without one's
# generator reaching the other's server (the fixtures' tokens are the same in both).
_PORT_OFFSET = int(os.environ.get("BENCH_PORT_OFFSET", "0"))
PORTS = {
    name: port + _PORT_OFFSET
    for name, port in {
        "relay": 8102,
        "baseline": 8103,
        "baseline-daphne": 8104,
        "parley": 8105,
        "parley-ref": 8106,
        "socketio": 8107,
        "parley-embedded": 8108,
        "synapse": 8109,
        "socketio-durable": 8110,
    }.items()
}
SOCKETIO_DIR = os.path.join(ROOT, "bench", "socketio")
PARLEY_REF = os.path.abspath(os.environ["BENCH_PARLEY_REF"]) if os.environ.get("BENCH_PARLEY_REF") else ""
# The reference's own database when its schema is older (a copy of parley_bench migrated
# back by the newer code: same users, tokens and rooms, the schema the old code expects).
PARLEY_REF_DB = os.environ.get("BENCH_PARLEY_REF_DB", "")
SECRET = "bench-secret-" + "0123456789abcdefghijklmnopqrstuvwxyzABCDEF"  # benchmark-only Django secret


def pg_dsn(db: str) -> str:
    return f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{db}"


def ensure_database(db: str) -> None:
    import psycopg

    with psycopg.connect(
        host=PG["host"], port=PG["port"], user=PG["user"], dbname="postgres", autocommit=True
    ) as conn:
        if not conn.execute("select 1 from pg_database where datname=%s", (db,)).fetchone():
            conn.execute(f'create database "{db}"')


def fresh_table(db: str, table: str) -> None:
    """The database, and `table` in it emptied (the server that fills it makes it)."""
    import psycopg

    ensure_database(db)
    with psycopg.connect(
        host=PG["host"], port=PG["port"], user=PG["user"], dbname=db, autocommit=True
    ) as conn:
        conn.execute(f'drop table if exists "{table}"')


def flush_redis(db: int) -> None:
    import redis

    redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db).flushdb()


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)  # between polls of the port (the condition)
    raise RuntimeError(f"server did not listen on {port} in {timeout}s")


def baseline_env() -> dict:
    env = dict(os.environ)
    env.update(
        BASELINE_DB_NAME=BASELINE_DB,
        BASELINE_DB_HOST=PG["host"],
        BASELINE_DB_PORT=PG["port"],
        BASELINE_DB_USER=PG["user"],
        BASELINE_REDIS_URL=f"redis://{REDIS_HOST}:{REDIS_PORT}/{BASELINE_REDIS_DB}",
        DJANGO_SETTINGS_MODULE="bench.baseline.seedchat.settings",
        PYTHONPATH=ROOT,
    )
    return env


def parley_env(port: int, workers: int, queue_max: int | None = None) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=pg_dsn(PARLEY_DB),
        REDIS_URL=f"redis://{REDIS_HOST}:{REDIS_PORT}/{PARLEY_REDIS_DB}",
        PORT=str(port),
        WORKERS=str(workers),
        SECRET_KEY=SECRET,
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        WS_SEND_RATE="100000",
        WS_SEND_BURST="100000",
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONPATH=ROOT,
        PARLEY_REDIS_PREFIX=PARLEY_REDIS_PREFIX,
    )
    if queue_max:
        env["WS_QUEUE_MAX"] = str(queue_max)
    return env


@dataclass
class Server:
    kind: str
    python: str = sys.executable
    workers: int = 1
    proc: subprocess.Popen | None = None
    port: int = 0
    log: object = None
    env_extra: dict = field(default_factory=dict)
    # BENCH_PARLEY_API_APART=1: the REST API served by a process of its own (what the deploy
    # kit's proxy does with /api/), the sockets by this one; both count in CPU and memory.
    api_apart: bool = os.environ.get("BENCH_PARLEY_API_APART", "") == "1"
    api_proc: subprocess.Popen | None = None

    @property
    def proto(self) -> str:
        return {
            "relay": "relay",
            "socketio": "socketio",
            "socketio-durable": "socketio",
            "parley": "parley",
            "parley-ref": "parley",
            "parley-embedded": "parley",
            "synapse": "matrix",
        }.get(self.kind, "baseline")

    def start(self) -> None:
        self.port = PORTS[self.kind]
        uv = [
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--ws-per-message-deflate",
            "false",
            "--log-level",
            "warning",
            "--no-access-log",
            "--backlog",
            "4096",
            "--ws",
            "websockets",
            "--ws-max-size",
            "1048576",
            "--ws-ping-interval",
            "20",
            "--ws-ping-timeout",
            "20",
        ]
        if self.kind == "relay":
            cmd, env = [self.python, "-m", "bench.relay.server", "--port", str(self.port)], dict(os.environ)
            env["PYTHONPATH"] = ROOT
        elif self.kind in ("socketio", "socketio-durable"):
            ensure_socketio()
            cmd, env = (
                ["node", os.path.join(SOCKETIO_DIR, "server.js"), "--port", str(self.port)],
                dict(os.environ),
            )
            if self.kind == "socketio-durable":  # an INSERT before each emit (issue 34)
                fresh_table(SOCKETIO_DB, "messages")
                cmd += ["--durable", pg_dsn(SOCKETIO_DB)]
            env["NODE_ENV"] = "production"
        elif self.kind == "baseline":
            flush_redis(BASELINE_REDIS_DB)
            cmd = [self.python, "-m", "uvicorn", "bench.baseline.seedchat.asgi:application", *uv]
            if self.workers > 1:
                cmd += ["--workers", str(self.workers)]
            env = baseline_env()
        elif self.kind == "baseline-daphne":
            flush_redis(BASELINE_REDIS_DB)
            cmd = [
                self.python,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                "bench.baseline.seedchat.asgi:application",
            ]
            env = baseline_env()
        elif self.kind == "synapse":
            cmd = [synapse.PYTHON, "-m", "synapse.app.homeserver", "-c", synapse.config(self.port, PG)]
            env = dict(os.environ)
        elif self.proto == "parley":
            flush_redis(PARLEY_REDIS_DB)
            cmd = [self.python, "-m", "parley.serve"]
            env = parley_env(self.port, self.workers)
            if self.kind == "parley-ref":
                if not PARLEY_REF:
                    raise RuntimeError(
                        "parley-ref needs BENCH_PARLEY_REF=<a checkout of the reference commit>"
                    )
                env["PYTHONPATH"] = PARLEY_REF
                if PARLEY_REF_DB:
                    env["DATABASE_URL"] = pg_dsn(PARLEY_REF_DB)
            if self.kind == "parley-embedded":  # one process, in-memory hub, no Redis at all
                env.pop("REDIS_URL", None)
        else:
            raise ValueError(self.kind)
        env.update(self.env_extra)
        logdir = os.path.join(ROOT, "bench", "results", "logs")
        os.makedirs(logdir, exist_ok=True)
        self.log = open(os.path.join(logdir, f"{self.kind}.log"), "ab")
        cwd = PARLEY_REF if self.kind == "parley-ref" else ROOT
        self.proc = subprocess.Popen(
            cmd, env=env, cwd=cwd, stdout=self.log, stderr=self.log, start_new_session=True
        )
        wait_port(self.port, self.proc)
        if self.proto == "parley" and self.api_apart:
            api_env = dict(env, PORT=str(self.api_port), PARLEY_JOBS="0")
            self.api_proc = subprocess.Popen(
                cmd, env=api_env, cwd=cwd, stdout=self.log, stderr=self.log, start_new_session=True
            )
            wait_port(self.api_port, self.api_proc)
        # Listening is not serving: the port answers as soon as it is bound, before every
        # worker of a multi-process server (or of another project's server) has loaded its
        # app, and none of them reports that. A settle time, as in every recorded run.
        time.sleep(0.5 if self.workers == 1 else 2.0)

    @property
    def api_port(self) -> int:
        return self.port + 100

    def api_origin(self) -> str | None:
        """Where the generator sends REST actions, when not to the sockets' server."""
        return f"http://127.0.0.1:{self.api_port}" if self.api_proc else None

    def pids(self) -> list[int]:
        procs = [p for p in (self.proc, self.api_proc) if p]
        return [pid for p in procs for pid in (p.pid, *children(p.pid))]

    def rss_kib(self) -> int:
        return sum(rss_kib(p) for p in self.pids())

    def cpu_s(self) -> float:
        return sum(cpu_seconds(p) for p in self.pids())

    def stop(self) -> None:
        for proc in (self.api_proc, self.proc):
            if proc and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=5)
        if self.log:
            self.log.close()
        self.proc = self.api_proc = None

    # ---------- addressing
    def url(self, user_index: int, room) -> str:
        if self.kind == "relay":
            return f"ws://127.0.0.1:{self.port}/{room}"
        if self.proto == "socketio":
            return f"ws://127.0.0.1:{self.port}/socket.io/?EIO=4&transport=websocket&room={room}"
        if self.proto == "parley":  # the compact message frames, as the web client asks for them
            wire = os.environ.get("BENCH_PARLEY_WIRE", "compact")
            return f"ws://127.0.0.1:{self.port}/ws/?token={FIXTURES.parley_tokens[user_index]}&wire={wire}"
        if self.kind == "synapse":  # the client's base URL; its token goes in the client's `token`
            return f"http://127.0.0.1:{self.port}"
        return f"ws://127.0.0.1:{self.port}/ws/chat/{room}/?token=bench-{user_index}"

    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def ensure_socketio() -> None:
    """The Socket.IO peer's node_modules, from its committed lock, when they are missing."""
    modules = os.path.join(SOCKETIO_DIR, "node_modules")
    if all(os.path.isdir(os.path.join(modules, m)) for m in ("socket.io", "pg")):
        return
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=SOCKETIO_DIR,
        check=True,
        stdout=subprocess.DEVNULL,
    )


class _Fixtures:
    parley_tokens: list[str] = []
    parley_rooms: dict[str, int] = {}
    synapse_tokens: list[str] = []
    synapse_rooms: dict[str, str] = {}


FIXTURES = _Fixtures()


def setup_baseline(python: str, users: int) -> None:
    ensure_database(BASELINE_DB)
    env = baseline_env()
    subprocess.run([python, "-m", "django", "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True)
    subprocess.run(
        [python, "-m", "bench.baseline.fixtures", "--users", str(users)],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
