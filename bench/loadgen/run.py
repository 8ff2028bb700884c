"""Run one load spec with N generator processes and merge their results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

import numpy as np

from bench.loadgen.protocols import EDIT_SID

# a run is INVALID when the generator, not the server, is the bottleneck:
LAG_P99_LIMIT_MS = 100.0  # event-loop lag p99 of any generator process
CPU_LIMIT = 0.90  # generator process busy fraction over the phase
LAG_WARN_MS = 25.0  # above this the run is flagged "gen loaded" (still valid)


def percentiles(lat) -> dict:
    pct = {f"p{q}": float(np.percentile(lat, q)) if lat.size else None for q in (50, 90, 99, 99.9)}
    pct["max"] = float(lat.max()) if lat.size else None
    return pct


def run_spec(
    spec: dict,
    nworkers: int = 1,
    python: str = sys.executable,
    on_ready=None,
    timeout: float = 900.0,
    tick=None,
) -> dict:
    tmp = tempfile.mkdtemp(prefix="parley-bench-")
    spec_path = os.path.join(tmp, "spec.json")
    with open(spec_path, "w") as fh:
        json.dump(spec, fh)
    procs = []
    outs = []
    for w in range(nworkers):
        out = os.path.join(tmp, f"w{w}.json")
        outs.append(out)
        procs.append(
            subprocess.Popen(
                [
                    python,
                    "-m",
                    "bench.loadgen.worker",
                    "--spec",
                    spec_path,
                    "--windex",
                    str(w),
                    "--nworkers",
                    str(nworkers),
                    "--out",
                    out,
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
            )
        )
    t_conn = time.monotonic()
    for p in procs:
        line = p.stdout.readline()
        if not line.startswith("READY"):
            for q in procs:
                q.kill()
            raise RuntimeError(f"generator failed to start: {line!r}")
    connect_s = time.monotonic() - t_conn
    extra = on_ready() if on_ready else None
    t0 = time.monotonic_ns() + 500_000_000
    for p in procs:
        p.stdin.write(f"GO {t0}\n")
        p.stdin.flush()
    deadline = time.monotonic() + timeout
    while any(p.poll() is None for p in procs):
        if time.monotonic() > deadline:
            for p in procs:
                p.kill()
            raise RuntimeError("generator timed out")
        if tick:
            tick(t0)
        time.sleep(0.25)  # between polls of the generators (the condition) and progress ticks
    results = []
    for p, out in zip(procs, outs):
        if p.returncode != 0:
            raise RuntimeError(f"generator exited {p.returncode}")
        with open(out) as fh:
            results.append(json.load(fh))
    merged = merge(spec, results, outs)
    merged["connect_s"] = connect_s
    merged["extra"] = extra
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)
    return merged


def merge(spec: dict, results: list[dict], outs: list[str]) -> dict:
    failed = set()
    for r in results:
        failed.update(r["failed"])
    stable = defaultdict(int)  # room -> stable receivers
    sender_room = {}
    for c in spec["clients"]:
        if c.get("role") in (None, "sender") and c["i"] not in failed:
            stable[str(c["room"])] += 1
        if c.get("sid") is not None:
            sender_room[c["sid"]] = str(c["room"])
    phases = []
    for k, p in enumerate(spec["phases"]):
        sent = defaultdict(int)
        uniq = 0
        got: dict[int, int] = defaultdict(int)  # unique deliveries per sender id
        agg = defaultdict(float)
        lags_p99, lags_max, busy, span = [], [], [], [0.0]
        for r in results:
            ph = r["phases"][k]
            for sid, n in ph["sent"].items():
                sent[int(sid)] += n
            uniq += sum(ph["unique"].values())
            for sid, n in ph["unique"].items():
                got[int(sid)] += n
            for key in (
                "dup",
                "reorder",
                "errors",
                "closed",
                "churn_connects",
                "churn_fail",
                "flood_sent",
                "flood_refused",
                "edits",
                "reactions",
                "action_errors",
            ):
                agg[key] += ph.get(key) or 0
            if ph["slow_closed"] is not None:
                agg["slow_closed"] += ph["slow_closed"]
            span.append(ph["rx_span_s"])
            lags_p99.append(ph["lag_p99_ms"])
            lags_max.append(ph["lag_max_ms"])
            busy.append(ph["cpu_s"] / ph["wall_s"] if ph["wall_s"] else 0)
        # an edit counts under its sender's id + EDIT_SID (mixed workloads)
        expected = sum(n * stable[sender_room[sid % EDIT_SID]] for sid, n in sent.items())
        # messages' deliveries; an edit's frame is timed from before its REST request, a round
        # trip no send makes, so the edits have percentiles of their own
        lat = np.concatenate([np.fromfile(f"{o}.p{k}.lat", dtype=np.int64) for o in outs]) / 1000.0
        pct = percentiles(lat)
        elat = np.concatenate([np.fromfile(f"{o}.p{k}.elat", dtype=np.int64) for o in outs]) / 1000.0
        invalid = []
        if max(lags_p99) > LAG_P99_LIMIT_MS:
            invalid.append(f"generator loop lag p99 {max(lags_p99):.0f} ms")
        if max(busy) > CPU_LIMIT:
            invalid.append(f"generator CPU {max(busy) * 100:.0f}%")
        if not invalid and max(lags_p99) > LAG_WARN_MS:
            warn = f"gen loaded: lag p99 {max(lags_p99):.0f} ms"
        else:
            warn = None
        phases.append(
            {
                "warn": warn,
                "name": p.get("name", f"phase{k}"),
                "senders": len({sid % EDIT_SID for sid in sent}),
                "rate": p.get("rate", 0),
                "count": p["count"],
                "offered_msgs": sum(sent.values()),
                "offered_msg_s": (p.get("rate", 0) * len({sid % EDIT_SID for sid in sent})) or None,
                "expected": expected,
                "delivered": uniq,
                "lost": expected - uniq,
                # where the losses were: sender id (edits: + EDIT_SID) -> deliveries missing
                "lost_by_sender": {
                    str(sid): n * stable[sender_room[sid % EDIT_SID]] - got[sid]
                    for sid, n in sent.items()
                    if n * stable[sender_room[sid % EDIT_SID]] != got[sid]
                },
                "dup": int(agg["dup"]),
                "reorder": int(agg["reorder"]),
                "errors": int(agg["errors"]),
                "closed": int(agg["closed"]),
                "churn_connects": int(agg["churn_connects"]),
                "churn_fail": int(agg["churn_fail"]),
                "slow_closed": int(agg["slow_closed"]),
                "flood_sent": int(agg["flood_sent"]),
                "flood_refused": int(agg["flood_refused"]),
                "edits": int(agg["edits"]),
                "reactions": int(agg["reactions"]),
                "action_errors": int(agg["action_errors"]),
                "latency_ms": pct,
                "samples": int(lat.size),
                "edit_latency_ms": percentiles(elat) if elat.size else None,
                "deliveries_s": uniq / max(span) if max(span) else None,
                "gen_lag_p99_ms": max(lags_p99),
                "gen_lag_max_ms": max(lags_max),
                "gen_busy": max(busy),
                "invalid": "; ".join(invalid) or None,
            }
        )
    return {"connected": sum(r["connected"] for r in results), "connect_fail": len(failed), "phases": phases}
