"""SPUBLISH throughput per shard of a Redis Cluster at Parley's frame sizes (docs/scaling.md,
"Redis Cluster").

    python -m bench.cluster_publish --sizes 451,938 --subscribers 0,1,4 --n 100000

Starts a private cluster (three masters with a replica each, as the failover test does:
parley.testing.rediscluster), then for each master a room channel whose slot it serves
(`parley:{r:<id>}`), S subscribers on that channel (`redis-cli ssubscribe`, reading as fast
as the shard writes, as a Parley process's shard subscriber does), and `redis-benchmark`
with SPUBLISH of a payload of each size: 50 clients, no pipelining (a service thread
publishes one event per call), and 16-deep pipelines. Each shard is measured alone (its
capacity) and then all three at once (what the machine gives the cluster together). The
replica of each master receives every sharded message too (Redis 7 replicates SPUBLISH),
so the figures include that cost. On a shared 2-core machine these are floors.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

from parley.testing.rediscluster import ClusterNode, RedisCluster
from parley.testing.waits import wait_until


def channel_on(cluster: RedisCluster, node: ClusterNode) -> str:
    """A room channel whose hash slot `node` serves."""
    for room in range(1, 100_000):
        channel = f"parley:{{r:{room}}}"
        if cluster.master_of(channel).port == node.port:
            return channel
    raise LookupError(node.port)


def bench(port: int, channel: str, size: int, n: int, pipeline: int) -> float:
    payload = "@0123456789ab|r|1|1|" + "x" * max(0, size - 20)  # origin tag + envelope, `size` bytes
    out = subprocess.run(
        ["redis-benchmark", "-p", str(port), "-c", "50", "-n", str(n), "-P", str(pipeline), "--csv",
         "SPUBLISH", channel, payload],
        check=True,
        capture_output=True,
        text=True,
    ).stdout  # fmt: skip
    line = [x for x in out.splitlines() if x.startswith('"SPUBLISH')][-1]
    return float(re.findall(r'"([0-9.]+)"', line)[0])


def numsub(port: int, channel: str) -> int:
    out = subprocess.run(
        ["redis-cli", "-p", str(port), "pubsub", "shardnumsub", channel], capture_output=True, text=True
    ).stdout.split()
    return int(out[1]) if len(out) > 1 else 0


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.cluster_publish")
    ap.add_argument("--sizes", default="451,938")
    ap.add_argument("--subscribers", default="0,1,4")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    for tool in ("redis-server", "redis-cli", "redis-benchmark"):
        if not shutil.which(tool):
            raise SystemExit(f"needs {tool} on PATH")
    cluster = RedisCluster(masters=3, replicas=1).start()
    subs: list[subprocess.Popen[bytes]] = []
    results = []
    try:
        masters = cluster.masters()
        channels = {m.port: channel_on(cluster, m) for m in masters}
        version = subprocess.run(
            ["redis-server", "--version"], capture_output=True, text=True
        ).stdout.split()[2]
        for nsub in [int(x) for x in a.subscribers.split(",")]:
            while len(subs) < nsub * len(masters):
                for m in masters:
                    subs.append(
                        subprocess.Popen(
                            ["redis-cli", "-p", str(m.port), "ssubscribe", channels[m.port]],
                            stdout=subprocess.DEVNULL,
                        )
                    )
            for m in masters:
                wait_until(
                    lambda m=m, nsub=nsub: numsub(m.port, channels[m.port]) >= nsub,  # type: ignore[misc]
                    timeout=30,
                    what=f"{nsub} shard subscribers on {m.port}",
                )
            for size in [int(x) for x in a.sizes.split(",")]:
                for pipeline in (1, 16):
                    n = a.n if pipeline == 1 else a.n * 4
                    alone = sorted(
                        bench(masters[0].port, channels[masters[0].port], size, n, pipeline)
                        for _ in range(a.repeats)
                    )
                    together = []
                    for _ in range(a.repeats):
                        with ThreadPoolExecutor(len(masters)) as pool:
                            rates = list(
                                pool.map(
                                    lambda m, size=size, n=n, pipeline=pipeline: bench(  # type: ignore[misc]
                                        m.port, channels[m.port], size, n, pipeline
                                    ),
                                    masters,
                                )
                            )
                        together.append(sum(rates))
                    together.sort()
                    row = {
                        "subscribers": nsub,
                        "bytes": size,
                        "pipeline": pipeline,
                        "one_shard_s": alone[len(alone) // 2],
                        "one_shard_runs": alone,
                        "three_shards_s": together[len(together) // 2],
                        "three_shards_runs": together,
                    }
                    results.append(row)
                    print(
                        f"subs {nsub:2d}  {size:5d} B  -P {pipeline:2d}  one shard {row['one_shard_s']:10,.0f} "
                        f"SPUBLISH/s  three at once {row['three_shards_s']:10,.0f} /s",
                        flush=True,
                    )
    finally:
        for p in subs:
            p.terminate()
        for p in subs:
            p.wait(5)
        cluster.stop()
    print(json.dumps({"redis": version, "cpus": os.cpu_count(), "results": results}))


if __name__ == "__main__":
    main()
