"""Parley's whole footprint: every process of a deployment, at idle and under load (issue 34).

    python -m bench.footprint                          # embedded, shipped, small; 1,000 idle sockets
    python -m bench.footprint --modes small --idle 0   # one mode, no idle-socket run

Modes (MODES below), each started through `python -m parley.serve` as `make serve` does,
which starts the deployment's Celery processes as its children with the same commands as
the deploy kit (parley.serve.job_commands), so one process tree holds the whole deployment:

- `embedded`: no REDIS_URL, `make run`'s serve path: one process, jobs on its threads;
- `shipped`: PostgreSQL + Redis as docker-compose.yml ships it: uvicorn with WORKERS=2, a
  Celery worker (prefork, concurrency 2) and a Celery beat;
- `shipped-w1`: the same with one web process (the Procfile's and systemd's WORKERS default);
- `threads-B`: one web process and one Celery worker with a thread pool and beat forked off
  it (`--pool=threads -B`): the smallest split the deploy kit's commands allow;
- `small`: the small-install mode (docs/deploy.md, "Small install"): JOBS_IN_WEB=true,
  WORKERS=1: jobs in the one web process, as in the embedded mode, with Redis.

For each: the fresh processes after a warm-up (50 sockets connected and closed, then a
settle time: what the first sockets set up once is not a per-socket cost), then the
100-member room workload (10 senders x 5 msg/s, bench.workloads.w_room) with the memory
sampled every 0.5 s (its peak is reported), again 5 s after it ("after"), then, on a
fresh server, N idle sockets (bench.workloads.w_idle, the idle-socket cost). Per process: RSS, which counts a page
shared by several processes (a forked child's copy-on-write pages, shared libraries) once
in each, and PSS from /proc/<pid>/smaps_rollup, which divides a shared page among those
that share it: the PSS total is what the processes take from the machine together.
PostgreSQL and Redis are not counted unless `--services` names a private PostgreSQL's
postmaster and a private redis-server to count with the deployment (the machine's own are
shared with other work): `BENCH_PG_PORT` and `BENCH_REDIS_PORT` point the servers at
them. Needs the Parley fixtures (made here, as by any `python -m bench` run).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from typing import Any

from bench import workloads as W
from bench.__main__ import setup_parley
from bench.servers import ROOT, Server, parley_env
from bench.util import children, raise_nofile
from parley.testing.waits import wait_until

# Per mode: the server kind (bench.servers), its environment on top of bench.servers.parley_env
# (PostgreSQL + Redis), and Celery commands started beside it (bench only: the alternatives the
# small-install mode was chosen against; docs/performance.md, "Issue 34: footprint").
CELERY = ["-m", "celery", "-A", "config", "worker", "--loglevel=warning"]
MODES: dict[str, tuple[str, dict[str, str], list[list[str]]]] = {
    "embedded": ("parley-embedded", {}, []),
    "shipped": ("parley", {"WORKERS": "2", "CELERY_CONCURRENCY": "2"}, []),
    "shipped-w1": ("parley", {"WORKERS": "1", "CELERY_CONCURRENCY": "2"}, []),
    # one Celery process: a thread pool, and beat in it (`-B` forks beat off the worker)
    "threads-B": (
        "parley",
        {"WORKERS": "1", "PARLEY_JOBS": "0"},
        [[*CELERY, "--pool=threads", "--concurrency=2", "-B"]],
    ),
    "small": ("parley", {"WORKERS": "1", "JOBS_IN_WEB": "true"}, []),
}
# The processes each mode runs once every one has started (the Celery ones start after the
# web's port answers, and `-B` forks its beat later still, more so on a loaded machine):
# uvicorn's supervisor, its workers and multiprocessing's resource tracker; Celery's worker,
# its pool's children and the beat.
PROCESSES = {"embedded": 1, "shipped": 8, "shipped-w1": 5, "threads-B": 3, "small": 1}
DEFAULT_MODES = "embedded,shipped,small"
SETTLE_S = 5.0  # after the warm-up: the processes free what it used lazily; no event says when


def _read(path: str) -> str:
    try:
        with open(path) as fh:
            return fh.read()
    except OSError:
        return ""


def _kib(text: str, key: str) -> int:
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def label(pid: int) -> str:
    """What a process of the tree is, from its command line."""
    argv = _read(f"/proc/{pid}/cmdline").split("\0")
    line = " ".join(argv)
    if "celery" in line and " beat" in line:
        return "celery beat"
    if "celery" in line and " worker" in line:
        return "celery worker"
    if "parley.serve" in line:
        return "web (parley.serve)"
    if "resource_tracker" in line:
        return "multiprocessing resource tracker"
    if "multiprocessing" in line:
        return "child (multiprocessing)"
    if argv[0].startswith("postgres:") and "(" in argv[0]:
        return "postgres: backend (a connection)"
    return os.path.basename(argv[0]) if argv and argv[0] else "?"


def processes(root: int) -> list[dict[str, Any]]:
    """RSS and PSS (KiB) of root and every descendant; a descendant named after its parent
    ("celery worker" -> "celery worker: child") when its own command line is the parent's
    (a fork: prefork's children, the beat that `celery worker -B` forks)."""
    out = []
    names: dict[int, str] = {}
    for pid in [root, *children(root)]:
        status = _read(f"/proc/{pid}/status")
        if not status:
            continue
        parent = _kib(status, "PPid")
        name = label(pid)
        if parent in names and names[parent].split(":")[0] == name:
            name = f"{name}: child"
        elif name == "child (multiprocessing)" and parent in names:
            name = f"{names[parent]}: child"
        names[pid] = name
        rollup = _read(f"/proc/{pid}/smaps_rollup")
        out.append(
            {
                "pid": pid,
                "name": name,
                "rss_kib": _kib(status, "VmRSS"),
                "pss_kib": _kib(rollup, "Pss"),
                "uss_kib": _kib(rollup, "Private_Clean") + _kib(rollup, "Private_Dirty"),
            }
        )
    return out


def totals(procs: list[dict[str, Any]]) -> dict[str, int]:
    return {k: sum(p[k] for p in procs) for k in ("rss_kib", "pss_kib", "uss_kib")} | {
        "processes": len(procs)
    }


class Sampler:
    """The deployment's memory every `interval` s on a thread; keeps the sample of highest PSS."""

    def __init__(self, dep: Deployment, interval: float = 0.5) -> None:
        self.dep, self.interval = dep, interval
        self.peak: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            now = self.dep.processes()
            if totals(now)["pss_kib"] > (totals(self.peak)["pss_kib"] if self.peak else -1):
                self.peak = now

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


class Deployment:
    """A mode's server and the Celery processes started beside it, measured as one tree."""

    def __init__(self, mode: str, python: str, services: tuple[int, ...] = ()) -> None:
        kind, env, extra = MODES[mode]
        self.services = services
        self.server = Server(kind, python=python, workers=int(env.get("WORKERS", "1")), env_extra=env)
        self.extra_cmds = [[python, *cmd] for cmd in extra]
        self.extra: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> Deployment:
        self.server.start()
        env = {**parley_env(self.server.port, 1), **self.server.env_extra}
        self.extra = [
            subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=self.server.log, stderr=self.server.log)
            for cmd in self.extra_cmds
        ]
        return self

    def __exit__(self, *_exc: object) -> None:
        for proc in self.extra:
            proc.terminate()
        for proc in self.extra:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.server.stop()

    def processes(self) -> list[dict[str, Any]]:
        assert self.server.proc is not None
        roots = (self.server.proc.pid, *(q.pid for q in self.extra), *self.services)
        return [p for root in roots for p in processes(root)]


def _warm(srv: Server, python: str) -> None:
    ph = {"name": "warm", "rate": 1, "count": 1, "warm_n": 0, "drain": 0.5, "senders": 0}
    W.run_spec(W.spec(srv, [W.client(srv, i, "r1000") for i in range(50)], [ph]), python=python)
    time.sleep(SETTLE_S)


def measure(
    mode: str, python: str, room_secs: int, idle: int, services: tuple[int, ...] = ()
) -> dict[str, Any]:
    out: dict[str, Any] = {"mode": mode}
    base = sum(len(processes(root)) for root in services)
    with Deployment(mode, python, services) as dep:
        srv = dep.server
        wait_until(
            lambda: len(dep.processes()) >= PROCESSES[mode] + base,
            timeout=120,
            interval=0.5,
            what=f"{mode}'s processes",
        )
        out["fresh"] = dep.processes()
        _warm(srv, python)
        out["idle"] = dep.processes()
        with Sampler(dep) as sampler:
            r = W.w_room(srv, {"room_secs": room_secs, "drain": 5}, 100, python)
        out["load"] = sampler.peak
        time.sleep(SETTLE_S)
        out["after"] = dep.processes()
        ph = r["phases"][0]
        out["room"] = {
            "delivered": ph.get("delivered"),
            "latency_ms": ph.get("latency_ms"),
            "server_cpu_s": r.get("server_cpu_s"),
        }
    if idle:
        with Deployment(mode, python, services) as dep:
            r = W.w_idle(dep.server, {"idle": idle}, python)
            out["idle_sockets"] = {
                "n": r["connected"],
                "rss_per_conn_kib": r["rss_per_conn_kib"],
                "rss_per_conn_from_start_kib": r["rss_per_conn_from_start_kib"],
            }
    return out


def _mb(kib: int) -> str:
    return f"{kib / 1024:.0f}"


def table(results: list[dict[str, Any]]) -> str:
    """Markdown: per mode and state, each process and the total (MB: RSS / PSS)."""
    rows = ["| mode | state | process | RSS MB | PSS MB |", "|---|---|---|---:|---:|"]
    for res in results:
        for state in ("idle", "load", "after"):
            procs = res.get(state) or []
            for p in procs:
                rows.append(
                    f"| {res['mode']} | {state} | {p['name']} | {_mb(p['rss_kib'])} | {_mb(p['pss_kib'])} |"
                )
            t = totals(procs)
            rows.append(
                f"| **{res['mode']}** | **{state}** | **all {t['processes']}** | "
                f"**{_mb(t['rss_kib'])}** | **{_mb(t['pss_kib'])}** |"
            )
    sock = [
        f"{r['mode']}: {r['idle_sockets']['rss_per_conn_kib']:.1f} KiB per idle socket "
        f"({r['idle_sockets']['n']} sockets)"
        for r in results
        if r.get("idle_sockets")
    ]
    return "\n".join(rows + ([""] + sock if sock else []))


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.footprint")
    ap.add_argument("--modes", default=DEFAULT_MODES, help=f"of {', '.join(MODES)}")
    ap.add_argument("--room-secs", type=int, default=12)
    ap.add_argument("--idle", type=int, default=1000, help="idle sockets (0: no idle-socket run)")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--json", help="also write the raw results here")
    ap.add_argument(
        "--services",
        default="",
        help="pids of a private PostgreSQL's postmaster and redis-server (BENCH_PG_PORT, "
        "BENCH_REDIS_PORT point the servers at them), counted with every mode, their children too",
    )
    a = ap.parse_args()
    raise_nofile()
    if not setup_parley(a.python, max(1000, a.idle + 50), 0):
        sys.exit("Parley fixtures could not be made")
    services = tuple(int(pid) for pid in a.services.split(",") if pid)
    results = [measure(mode, a.python, a.room_secs, a.idle, services) for mode in a.modes.split(",")]
    load = os.getloadavg()
    print(table(results))
    print(f"\nload average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"results": results, "loadavg": load}, fh, indent=1)


if __name__ == "__main__":
    main()
