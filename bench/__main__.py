"""Parley benchmark harness.

    python -m bench full            # `make bench`: every workload, 3 repeats
    python -m bench quick           # `make bench-quick`: < 2 minutes
    python -m bench full --only room,burst --servers parley,relay --repeats 1
    python -m bench report bench/results/<stamp>.json   # rewrite a run's .md and .png

Servers run one at a time (this is a 2-core machine), interleaved: for every
repeat and workload the servers take turns in a rotated order. Results go to
bench/results/<date>.{json,md,png}.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
import traceback

from bench import report, synapse
from bench import workloads as W
from bench.servers import FIXTURES, PARLEY_DB, PG, ROOT, Server, ensure_database, parley_env, setup_baseline
from bench.util import raise_nofile

PROFILES = {
    "full": dict(
        repeats=3,
        room_secs=12,
        drain=10,
        ramp_rates=[10, 20, 40, 80],
        ramp_secs=6,
        burst_drain=10,
        many_rooms=1000,
        many_rate=0.2,
        idle=10000,
        slow_secs=20,
        history=1_000_000,
        history_n=100,
        sat_rate=20,
        sat_secs=3,
        sat_drain=20,
        flood_secs=8,
        flood_pairs=3,
        upload_secs=12,
        upload_pairs=3,
        upload_gap=1.0,
        mixed_pairs=2,
        thread_pairs=2,
        sizes=[100, 1000],
        users=10000,
        search_messages=1_000_000,
        search_n=100,
        slack_messages=10_000,
        workloads=[
            "room",
            "room-light",
            "room-mixed",
            "room-threads",
            "burst",
            "ramp",
            "many",
            "idle",
            "churn",
            "slow",
            "flood",
            "upload",
            "upload-stress",
            "history",
            "scaling",
            "search",
            "slack-import",
        ],
    ),
    "quick": dict(
        repeats=1,
        room_secs=5,
        drain=5,
        ramp_rates=[],
        ramp_secs=4,
        burst_drain=5,
        many_rooms=100,
        many_rate=1,
        idle=500,
        slow_secs=6,
        history=1_000_000,
        history_n=10,
        sat_rate=10,
        sat_secs=2,
        sat_drain=8,
        flood_secs=4,
        flood_pairs=1,
        upload_secs=5,
        upload_pairs=1,
        mixed_pairs=1,
        thread_pairs=1,
        sizes=[100],
        users=10000,
        search_messages=1_000_000,
        search_n=30,
        slack_messages=2_000,
        workloads=["room", "burst", "flood", "history"],
        servers=["parley", "baseline", "relay", "socketio"],
    ),
}
ALL_SERVERS = [
    "parley",
    "baseline",
    "baseline-daphne",
    "relay",
    "socketio",
]  # add "parley-ref" with --servers
# The durable peer (issue 34): in the room workloads and the ramp, where a Matrix client's
# send and /sync map onto the same checks.
MATRIX_PARTS = ("room", "room-light", "ramp")
# which servers take part in which workload
PARTS = {
    "room": [*ALL_SERVERS, "socketio-durable", "synapse", "parley-ref"],
    "room-light": ["parley", "socketio", "socketio-durable", "synapse", "parley-ref"],
    # edits and reactions: Parley's REST API only (the relay and Socket.IO peers store nothing)
    "room-mixed": ["parley", "parley-ref"],
    # thread replies: protocol 3 (an earlier commit as parley-ref may not know threads)
    "room-threads": ["parley"],
    "burst": [*ALL_SERVERS, "parley-ref"],
    "ramp": ["parley", "baseline", "relay", "socketio", "socketio-durable", "synapse", "parley-ref"],
    "many": ["parley", "baseline", "relay", "socketio", "parley-ref"],
    "idle": ["parley", "parley-embedded", "baseline", "relay", "socketio", "parley-ref"],
    "churn": ["parley", "baseline", "relay", "socketio", "parley-ref"],
    "slow": ["parley", "baseline", "relay", "socketio", "parley-ref"],
    "flood": ["parley", "parley-ref"],
    "upload": ["parley", "parley-ref"],
    "upload-stress": ["parley", "parley-ref"],
    "history": ["parley", "parley-ref"],
    "scaling": ["parley", "parley-ref"],
    "search": ["parley"],
    # issue 32: `manage.py import_slack` on a fresh SQLite file and a fresh PostgreSQL database
    "slack-import": ["parley"],
}


class Progress:
    def __init__(self, total: int):
        self.total, self.done, self.t0 = total, 0, time.monotonic()

    def show(self, label: str) -> None:
        width = 30
        fill = int(width * self.done / max(1, self.total))
        el = time.monotonic() - self.t0
        eta = el / self.done * (self.total - self.done) if self.done else 0
        sys.stderr.write(
            f"\r[{'#' * fill}{'.' * (width - fill)}] {self.done}/{self.total} "
            f"{el:5.0f}s eta {eta:4.0f}s  {label[:50]:<50}"
        )
        sys.stderr.flush()

    def step(self, label: str) -> None:
        self.done += 1
        self.show(label)


def setup_parley(python: str, users: int, history: int) -> bool:
    try:
        ensure_database(PARLEY_DB)
        env = parley_env(0, 1)
        subprocess.run(
            [python, "-m", "django", "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True
        )
        out = subprocess.run(
            [python, "-m", "bench.parley_fixtures", "--users", str(users), "--history", str(history)],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        FIXTURES.parley_rooms = json.loads(out.strip().splitlines()[-1])["rooms"]
        FIXTURES.parley_tokens = [f"pbench-{i}" for i in range(users)]
        FIXTURES.history = history
        return True
    except Exception as e:
        sys.stderr.write(f"\nParley setup failed, benchmarking without it: {e}\n")
        return False


def setup_synapse(sizes: list[int]) -> bool:
    """Synapse's venv, an empty database, and the users and rooms of the room workloads
    (registered and joined over its own API, so its tables hold what they would)."""
    try:
        synapse.ensure_venv()
        synapse.fresh_database(PG)
        srv = Server("synapse")
        srv.start()
        try:
            rooms = {("r100" if n <= 100 else "r1000"): n for n in sizes}
            FIXTURES.synapse_tokens, FIXTURES.synapse_rooms = synapse.fixtures(srv.port, max(sizes), rooms)
        finally:
            srv.stop()
        return True
    except Exception as e:
        sys.stderr.write(f"\nSynapse setup failed, benchmarking without it: {e}\n")
        return False


def run_one(kind: str, wl: str, prof: dict, python: str, workers: int = 1) -> dict:
    if wl == "search":  # in process on each database: no server to start
        return W.w_search(prof, python)
    if wl == "slack-import":  # a management command on fresh databases: no server either
        return W.w_slack_import(prof, python)
    srv = Server(kind, python=python, workers=workers, env_extra=W.WORKLOAD_ENV.get(wl, {}))
    srv.start()
    try:
        if wl == "room":
            return {str(s): W.w_room(srv, prof, s, python) for s in prof["sizes"]}
        if wl == "room-light":
            return W.w_room(srv, prof, 100, python, rate=1)
        if wl == "ramp":
            return {str(s): W.w_ramp(srv, prof, s, python) for s in prof["sizes"]}
        fn = {
            "burst": W.w_burst,
            "many": W.w_many_rooms,
            "idle": W.w_idle,
            "churn": W.w_churn,
            "slow": W.w_slow,
            "flood": W.w_flood,
            "upload": W.w_upload,
            "upload-stress": W.w_upload_stress,
            "room-mixed": W.w_room_mixed,
            "room-threads": W.w_room_threads,
            "history": W.w_history,
            "scaling": W.w_scaling,
        }[wl]
        return fn(srv, prof, python)
    finally:
        srv.stop()


def rewrite_report(path: str) -> None:
    """`python -m bench report <stamp>.json`: the report again from a run's raw results."""
    with open(path) as fh:
        results = json.load(fh)
    print(report.write(results, path.removesuffix(".json")))


def main() -> None:
    if sys.argv[1:2] == ["report"] and len(sys.argv) == 3:
        rewrite_report(sys.argv[2])
        return
    ap = argparse.ArgumentParser(prog="python -m bench")
    ap.add_argument("profile", choices=sorted(PROFILES), nargs="?", default="quick")
    ap.add_argument("--only", help="comma-separated workloads")
    ap.add_argument("--servers", help="comma-separated servers (default: the profile's)")
    ap.add_argument("--repeats", type=int)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    a = ap.parse_args()
    raise_nofile()
    prof = dict(PROFILES[a.profile])
    if a.repeats:
        prof["repeats"] = a.repeats
    wls = a.only.split(",") if a.only else prof["workloads"]
    # parley-embedded (no Redis) takes part in the idle-memory workload only
    default = prof.get("servers", [*ALL_SERVERS, "parley-embedded", "socketio-durable", "synapse"])
    servers = a.servers.split(",") if a.servers else list(default)
    setup_baseline(a.python, prof["users"]) if any(s.startswith("baseline") for s in servers) else None
    # The million-message room is only for the history workload: not made for the others.
    history = prof["history"] if "history" in wls else 0
    # The Slack import makes its own fresh databases: it needs none of the fixtures.
    needs_fixtures = any(wl != "slack-import" for wl in wls)
    parley = any(s.startswith("parley") for s in servers)
    if parley and needs_fixtures and not setup_parley(a.python, prof["users"], history):
        servers = [s for s in servers if not s.startswith("parley")]
    if "synapse" in servers and (
        not any(wl in MATRIX_PARTS for wl in wls) or not setup_synapse(prof["sizes"])
    ):
        servers.remove("synapse")
    plan = []
    for r in range(prof["repeats"]):
        for wl in wls:
            parts = [s for s in PARTS[wl] if s in servers]
            if not parts:
                continue
            k = r % len(parts)
            for kind in parts[k:] + parts[:k]:  # rotate: interleaved runs
                if wl == "scaling":
                    plan += [(r, wl, kind, 1), (r, wl, kind, 2)]
                else:
                    plan.append((r, wl, kind, 1))
    prog = Progress(len(plan))
    results: dict = {
        "profile": a.profile,
        "params": prof,
        "started": dt.datetime.now().isoformat(),
        "machine": {"cpus": os.cpu_count()},
        "runs": [],
    }
    for r, wl, kind, workers in plan:
        label = f"r{r + 1} {wl} {kind}" + (f" w{workers}" if wl == "scaling" else "")
        prog.show(label)
        try:
            res = run_one(kind, wl, prof, a.python, workers)
            results["runs"].append(
                {"repeat": r, "workload": wl, "server": kind, "workers": workers, "result": res}
            )
        except Exception as e:
            results["runs"].append(
                {
                    "repeat": r,
                    "workload": wl,
                    "server": kind,
                    "workers": workers,
                    "error": f"{type(e).__name__}: {e}",
                }
            )
            traceback.print_exc(file=open(os.path.join(a.out, "logs", "errors.log"), "a"))
        prog.step(label)
    sys.stderr.write("\n")
    results["finished"] = dt.datetime.now().isoformat()
    os.makedirs(a.out, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M") + ("" if a.profile == "full" else f"-{a.profile}")
    with open(os.path.join(a.out, f"{stamp}.json"), "w") as fh:
        json.dump(results, fh, indent=1)
    md = report.write(results, os.path.join(a.out, stamp))
    print(md)


if __name__ == "__main__":
    main()
