"""Where an idle socket's bytes go in Parley (issue 18).

    python -m bench.memory --server parley --n 2000

Starts the server with PARLEY_MEMPROBE (parley/serve.py: tracemalloc from the start, a
dump on SIGUSR2), opens 50 sockets and closes them (imports, pools and caches that the
first sockets fill are not per-socket costs), dumps, opens N idle authenticated sockets,
dumps again, and prints per socket: the allocation sites that grew most (tracemalloc,
by line), and the gc-tracked objects that appeared (count and `sys.getsizeof` by type).
Tracing costs memory and time of its own, so the RSS per socket quoted in
docs/performance.md comes from the `idle` workload, not from here. Needs the Parley
fixtures (any `python -m bench` run creates them).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
import tracemalloc

from bench import workloads as W
from bench.__main__ import setup_parley
from bench.loadgen.run import run_spec
from bench.servers import Server
from bench.util import raise_nofile
from parley.testing.waits import wait_until


def _dump(server: Server, prefix: str, n: int) -> tuple[tracemalloc.Snapshot, dict]:
    assert server.proc is not None
    os.kill(server.proc.pid, signal.SIGUSR2)
    types_path = f"{prefix}.{n}.types.json"

    def written() -> dict | None:
        """The dump's JSON once it parses whole (it is written last, after the snapshot)."""
        try:
            with open(types_path) as fh:
                return dict(json.load(fh))
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    try:
        types = wait_until(written, timeout=300, interval=0.5)
    except AssertionError:
        raise RuntimeError("the server wrote no memory dump (is PARLEY_MEMPROBE honoured?)") from None
    return tracemalloc.Snapshot.load(f"{prefix}.{n}.snap"), types


def idle_clients(server: Server, n: int, offset: int = 0) -> dict:
    return W.spec(
        server,
        [W.client(server, offset + i, "r1000") for i in range(n)],
        [{"name": "idle", "rate": 1, "count": 1, "warm_n": 0, "drain": 0.5, "senders": 0}],
    )


def profile(kind: str, n: int, python: str, top: int) -> dict:
    prefix = os.path.join(tempfile.mkdtemp(prefix="parley-memprobe-"), "dump")
    srv = Server(kind, python=python, env_extra={"PARLEY_MEMPROBE": prefix})
    srv.start()
    out: dict = {"server": kind, "n": n}
    try:
        run_spec(idle_clients(srv, 50, offset=n), python=python)  # warm-up, closed again
        # The server frees the warm-up's memory lazily and no event says when: the same 2 s
        # as every recorded run, so the figures stay comparable.
        time.sleep(2.0)
        before, types0 = _dump(srv, prefix, 0)
        rss0 = srv.rss_kib()
        snaps: dict = {}

        def ready() -> None:
            time.sleep(2.0)  # the sockets' first frames settle; no event says when (as above)
            snaps["rss"] = srv.rss_kib()
            snaps["after"] = _dump(srv, prefix, 1)

        r = run_spec(idle_clients(srv, n), python=python, on_ready=ready)
        after, types1 = snaps["after"]
        conns = max(1, r["connected"])
        out["connected"] = r["connected"]
        out["rss_per_socket_kib_traced"] = (snaps["rss"] - rss0) / conns
        stats = after.compare_to(before, "lineno")
        out["traced_per_socket_bytes"] = sum(s.size_diff for s in stats) / conns
        out["sites"] = [
            {
                "bytes": s.size_diff / conns,
                "blocks": s.count_diff / conns,
                "where": f"{s.traceback[0].filename.split('site-packages/')[-1]}:{s.traceback[0].lineno}",
            }
            for s in stats[:top]
        ]
        grown = []
        for name, (count, size) in types1.items():
            c0, s0 = types0.get(name, (0, 0))
            if count - c0 > 0:
                grown.append((name, (count - c0) / conns, (size - s0) / conns))
        grown.sort(key=lambda g: -g[2])
        out["objects_per_socket"] = sum(g[1] for g in grown)
        out["types"] = [{"type": g[0], "per_socket": g[1], "getsizeof_bytes": g[2]} for g in grown[:top]]
    finally:
        srv.stop()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.memory")
    ap.add_argument("--server", default="parley", help="parley (PostgreSQL + Redis) or parley-embedded")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--python", default=sys.executable)
    a = ap.parse_args()
    raise_nofile()
    if not setup_parley(a.python, max(10000, a.n + 50), 0):
        sys.exit("Parley fixtures could not be made")
    res = profile(a.server, a.n, a.python, a.top)
    print(f"{res['server']}: {res['connected']} idle sockets")
    print(
        f"traced: {res['traced_per_socket_bytes'] / 1024:.1f} KiB/socket, "
        f"RSS under tracing {res['rss_per_socket_kib_traced']:.1f} KiB/socket, "
        f"{res['objects_per_socket']:.0f} gc objects/socket"
    )
    print("\nallocation sites (bytes / socket):")
    for s in res["sites"]:
        print(f"  {s['bytes']:8.0f}  {s['blocks']:6.2f} blocks  {s['where']}")
    print("\nobjects by type (per socket: count, getsizeof bytes):")
    for t in res["types"]:
        print(f"  {t['per_socket']:6.2f}  {t['getsizeof_bytes']:8.0f}  {t['type']}")
    print(json.dumps(res))


if __name__ == "__main__":
    main()
