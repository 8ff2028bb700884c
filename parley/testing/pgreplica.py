"""A PostgreSQL primary and its streaming replica of the test's own, on loopback ports.

The replica tests (parley/web/tests/test_replica_live.py) need a real standby with a replay
delay; the machine's PostgreSQL server is left alone. `ReplicaPair` finds the server's
programs (`pg_config --bindir`, else /usr/lib/postgresql/<newest>/bin), makes a primary
with `initdb` in a temporary folder (wal_level=replica, replication allowed from 127.0.0.1
without a password, fsync off: it lives for one test module), copies it with
`pg_basebackup -R` into a standby, and runs both with `pg_ctl`. PostgreSQL refuses to run
as root: as root, the programs run as the `postgres` user (runuser) and the folder is made
theirs. `pair.replica_delay(s)` sets `recovery_min_apply_delay` (a reload, no restart);
`stop_replica()` / `start_replica()` take the standby away and bring it back.

Missing programs are a visible skip (`live.unavailable`: a failure under
PARLEY_REQUIRE_SERVICES=1).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from parley.testing.live import free_port, unavailable
from parley.testing.waits import wait_until

PROGRAMS = ("initdb", "pg_ctl", "postgres", "pg_basebackup")
DATABASE = "parley"


def server_bindir() -> Path | None:
    """The folder of PostgreSQL's server programs, or None when they are not installed."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10)
            candidates.append(Path(found.stdout.strip()))
        except (OSError, subprocess.SubprocessError):
            pass

    def version(folder: str) -> tuple[int, ...]:
        name = Path(folder).parent.name
        return tuple(int(part) for part in name.split(".") if part.isdigit())

    installed = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    candidates.extend(Path(p) for p in installed)
    for folder in candidates:
        if all((folder / name).is_file() and os.access(folder / name, os.X_OK) for name in PROGRAMS):
            return folder
    return None


class ReplicaPair:
    def __init__(self, *, bindir: Path, apply_delay: float = 0.0):
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="parley-pg-"))
        self.run_as: list[str] = []
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                unavailable("running as root and there is no `postgres` user to run PostgreSQL as")
            runuser = shutil.which("runuser")
            self.run_as = [runuser, "-u", "postgres", "--"] if runuser else ["su", "postgres", "-c"]
            self.root.chmod(0o755)
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        self.primary_dir = self.root / "primary"
        self.replica_dir = self.root / "replica"
        self.primary_port = free_port()
        self.replica_port = free_port()
        self.apply_delay = apply_delay
        self.started: list[Path] = []

    # --- running PostgreSQL's programs --------------------------------------------------
    def _run(self, *args: str, timeout: float = 120) -> str:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.run_as[-1:] == ["-c"]:  # su: one shell command line
            import shlex

            command = [*self.run_as, shlex.join(command)]
        else:
            command = [*self.run_as, *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=self.root)
        if done.returncode != 0:
            raise RuntimeError(
                f"{args[0]} failed ({done.returncode}): {done.stdout[-1500:]}{done.stderr[-1500:]}"
            )
        return done.stdout

    def _write_conf(self, folder: Path, text: str) -> None:
        with (folder / "postgresql.conf").open("a") as fh:
            fh.write(text)

    def url(self, port: int) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/{DATABASE}"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def replica_url(self) -> str:
        return self.url(self.replica_port)

    # --- the two servers ------------------------------------------------------------
    def start(self) -> ReplicaPair:
        self._run("initdb", "-D", str(self.primary_dir), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")  # fmt: skip
        self._write_conf(
            self.primary_dir,
            f"""
port = {self.primary_port}
listen_addresses = '127.0.0.1'
unix_socket_directories = '{self.root}'
wal_level = replica
max_wal_senders = 4
max_connections = 60
shared_buffers = 16MB
fsync = off
full_page_writes = off
hot_standby = on
hot_standby_feedback = on
""",
        )
        with (self.primary_dir / "pg_hba.conf").open("a") as fh:
            fh.write("host replication all 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 trust\n")
        self._start(self.primary_dir)
        import psycopg

        with psycopg.connect(
            self.url(self.primary_port).rsplit("/", 1)[0] + "/postgres", autocommit=True
        ) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")
        self._run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres",
                  "-D", str(self.replica_dir), "-R", "-X", "stream", "-c", "fast", "--no-sync")  # fmt: skip
        self._write_conf(
            self.replica_dir,
            f"\nport = {self.replica_port}\nrecovery_min_apply_delay = '{int(self.apply_delay * 1000)}ms'\n",
        )
        self._start(self.replica_dir)
        return self

    def _start(self, folder: Path) -> None:
        log = folder.parent / f"{folder.name}.log"
        self._run("pg_ctl", "-D", str(folder), "-l", str(log), "-w", "-t", "60", "start")
        if folder not in self.started:
            self.started.append(folder)

    def _stop(self, folder: Path) -> None:
        if folder in self.started:
            self._run("pg_ctl", "-D", str(folder), "-m", "fast", "-w", "-t", "30", "stop")
            self.started.remove(folder)

    def stop_replica(self) -> None:
        self._stop(self.replica_dir)

    def start_replica(self) -> None:
        self._start(self.replica_dir)

    def replica_delay(self, seconds: float) -> None:
        """Replay each commit `seconds` after the primary made it (0: at once)."""
        import psycopg

        with psycopg.connect(self.replica_url, autocommit=True) as conn:
            conn.execute(f"ALTER SYSTEM SET recovery_min_apply_delay = '{int(seconds * 1000)}ms'")
            conn.execute("SELECT pg_reload_conf()")
        self.apply_delay = seconds

    def caught_up(self) -> bool:
        """The replica has replayed everything the primary has written."""
        import psycopg

        with psycopg.connect(self.primary_url, autocommit=True) as conn:
            written = conn.execute("SELECT pg_current_wal_lsn()").fetchone()
        with psycopg.connect(self.replica_url, autocommit=True) as conn:
            replayed = conn.execute(
                "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [written[0] if written else "0/0"]
            ).fetchone()
        return bool(replayed and replayed[0])

    def wait_caught_up(self, timeout: float = 30) -> None:
        wait_until(self.caught_up, timeout=timeout, what="the replica to replay all of the primary's WAL")

    def log(self, which: str = "replica") -> str:
        with contextlib.suppress(OSError):
            return (self.root / f"{which}.log").read_text(errors="replace")
        return ""

    def close(self) -> None:
        for folder in list(reversed(self.started)):
            with contextlib.suppress(Exception):
                self._run("pg_ctl", "-D", str(folder), "-m", "immediate", "-w", "-t", "30", "stop")
            self.started.remove(folder)
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def replica_pair(*, apply_delay: float = 0.0) -> Iterator[ReplicaPair]:
    """A started primary + replica (skip when PostgreSQL's server programs are missing),
    stopped and removed afterwards."""
    bindir = server_bindir()
    if bindir is None:
        unavailable(f"the PostgreSQL server programs ({', '.join(PROGRAMS)}) are not installed")
    assert bindir is not None
    pair = ReplicaPair(bindir=bindir, apply_delay=apply_delay)
    try:
        pair.start()
        yield pair
    finally:
        pair.close()
