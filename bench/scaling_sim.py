"""Scale-out on paper, from measured inputs (issue 18, docs/scaling.md).

    python -m bench.redis_publish > redis.txt           # the measured PUBLISH rates
    python -m bench.scaling_sim --redis redis.txt --bytes 437

Model: one Redis does one thing at a time. A PUBLISH costs `a` seconds of it, plus `b` for
every subscribed connection it is delivered to; a Parley process subscribes a room's
topic once, whatever the number of its sockets in the room. `a` and `b` are fitted
(least squares) to the measured rate with 0, 1, 4, 16 subscribers at the frame size
asked for. A message to a room whose members are spread at random over P processes
reaches E[k] = P (1 - (1 - 1/P)^members) of them. One Redis is "enough" while the
messages/s of the whole deployment keep it below `--util` busy (the rest is headroom for
rate-limit scripts, socket counts, presence, Celery and bursts); N shards (rooms hashed
over N Redis instances) multiply that by N.
"""

from __future__ import annotations

import argparse
import json


def fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least squares of seconds per PUBLISH = a + b * subscribers."""
    n = len(points)
    xs = [float(s) for s, _ in points]
    ys = [1.0 / r for _, r in points]
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0
    return my - b * mx, b


def reach(processes: int, members: int) -> float:
    return processes * (1.0 - (1.0 - 1.0 / processes) ** members)


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.scaling_sim")
    ap.add_argument("--redis", required=True, help="output of python -m bench.redis_publish")
    ap.add_argument("--bytes", type=int, default=437, help="the PUBLISH size to model")
    ap.add_argument("--pipeline", type=int, default=1)
    ap.add_argument("--util", type=float, default=0.5, help="how busy one Redis may get")
    ap.add_argument("--processes", default="1,2,4,8,16,32,64")
    ap.add_argument("--rooms", default="10,100,1000")
    ap.add_argument("--shards", type=int, default=1)
    a = ap.parse_args()
    with open(a.redis) as fh:
        data = json.loads(fh.read().strip().splitlines()[-1])
    pts = [
        (r["subscribers"], r["publish_s"])
        for r in data["results"]
        if r["bytes"] == a.bytes and r["pipeline"] == a.pipeline
    ]
    if len(pts) < 2:
        raise SystemExit(f"no measurements at {a.bytes} bytes, pipeline {a.pipeline}")
    pa, pb = fit(pts)
    print(
        f"{a.bytes} B, pipeline {a.pipeline}: PUBLISH {pa * 1e6:.2f} µs + {pb * 1e6:.2f} µs per subscriber "
        f"(fitted to {', '.join(f'{s} subs {r:,.0f}/s' for s, r in pts)})"
    )
    sizes = [int(x) for x in a.rooms.split(",")]
    print(
        f"\nmessages/s one Redis carries at {a.util:.0%} busy"
        + (f", x{a.shards} shards" if a.shards > 1 else "")
        + " (and deliveries/s to sockets that makes)"
    )
    print("processes | " + " | ".join(f"room of {m}" for m in sizes))
    for p in [int(x) for x in a.processes.split(",")]:
        cells = []
        for m in sizes:
            k = reach(p, m)
            msgs = a.shards * a.util / (pa + pb * k)
            cells.append(f"{msgs:,.0f} msg/s ({msgs * m:,.0f} deliv/s, {k:.1f} procs/msg)")
        print(f"{p:9d} | " + " | ".join(cells))


if __name__ == "__main__":
    main()
