"""PUBLISH throughput of one Redis at the sizes Parley publishes (issue 18, docs/scaling.md).

    python -m bench.redis_publish --sizes 437,924,749,211,789 --subscribers 0,1,4,16

Starts a private `redis-server` on a spare port (never the shared one: the point is a
Redis with nothing else on it), attaches S subscribers to one channel (`redis-cli
subscribe`, which reads as fast as Redis writes, as a Parley process's subscriber does),
and runs `redis-benchmark` with PUBLISH of a payload of each size: 50 clients, no
pipelining (a Parley service thread publishes one event per call), then 50 clients with
16-deep pipelines (the ceiling when publishers batch). Prints requests/s per case and a
JSON line. Throughput depends on the CPU Redis gets: on a shared machine it is a floor.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile

from parley.testing.waits import wait_until


def free_port() -> int:
    """redis-server must be given its port before it starts (its `--port 0` means no TCP)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench(port: int, size: int, n: int, pipeline: int) -> float:
    payload = "r|1|1|" + "x" * max(0, size - 6)  # the wire envelope's shape, `size` bytes
    out = subprocess.run(
        [
            "redis-benchmark",
            "-p",
            str(port),
            "-c",
            "50",
            "-n",
            str(n),
            "-P",
            str(pipeline),
            "--csv",
            "PUBLISH",
            "parley:r:1",
            payload,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    line = [x for x in out.splitlines() if x.startswith('"PUBLISH')][-1]
    return float(re.findall(r'"([0-9.]+)"', line)[0])


def numsub(port: int) -> int:
    out = subprocess.run(
        ["redis-cli", "-p", str(port), "pubsub", "numsub", "parley:r:1"], capture_output=True, text=True
    ).stdout.split()
    return int(out[1]) if len(out) > 1 else 0


def ping(port: int) -> bool:
    out = subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True).stdout
    return out.strip() == "PONG"


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.redis_publish")
    ap.add_argument("--sizes", default="437,924,749,211,789")
    ap.add_argument("--subscribers", default="0,1,4,16")
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    if not shutil.which("redis-server") or not shutil.which("redis-benchmark"):
        raise SystemExit("needs redis-server and redis-benchmark on PATH")
    port = free_port()
    work = tempfile.mkdtemp(prefix="parley-redis-bench-")
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            # a subscriber that falls behind a pipelined burst is not cut off (its count
            # would silently drop); a Parley process reads as fast as it can, too
            "--client-output-buffer-limit",
            "pubsub 0 0 0",
        ],
        cwd=work,
        stdout=subprocess.DEVNULL,
    )
    results = []
    subs: list[subprocess.Popen] = []
    try:
        wait_until(lambda: ping(port), timeout=30, what="redis-server to answer PING")
        version = subprocess.run(
            ["redis-server", "--version"], capture_output=True, text=True
        ).stdout.split()[2]
        for nsub in [int(x) for x in a.subscribers.split(",")]:
            while len(subs) < nsub:
                subs.append(
                    subprocess.Popen(
                        ["redis-cli", "-p", str(port), "subscribe", "parley:r:1"],
                        stdout=subprocess.DEVNULL,
                    )
                )
            wait_until(lambda: numsub(port) >= nsub, timeout=30, what=f"{nsub} subscribers")  # noqa: B023
            for size in [int(x) for x in a.sizes.split(",")]:
                for pipeline in (1, 16):
                    runs = sorted(
                        bench(port, size, a.n if pipeline == 1 else a.n * 4, pipeline)
                        for _ in range(a.repeats)
                    )
                    rps = runs[len(runs) // 2]
                    listening = numsub(port)
                    results.append(
                        {
                            "subscribers": nsub,
                            "listening": listening,
                            "bytes": size,
                            "pipeline": pipeline,
                            "publish_s": rps,
                            "runs": runs,
                        }
                    )
                    print(
                        f"subs {nsub:3d} ({listening:3d} still there)  {size:5d} B  -P {pipeline:2d}  "
                        f"{rps:12,.0f} PUBLISH/s (median of {', '.join(f'{r:,.0f}' for r in runs)})",
                        flush=True,
                    )
    finally:
        for p in subs:
            p.terminate()
        server.terminate()
        server.wait(10)
        for p in subs:
            p.wait(5)
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({"redis": version, "cpus": os.cpu_count(), "results": results}))


if __name__ == "__main__":
    main()
