"""The read replica's figures for docs/scaling.md (issue 33): replay lag under the bench's
send rates, what the read-your-writes rule costs a send, and where reads went.

    python -m bench.replica_lag                    # 50 and 200 sends/s, 15 s each
    python -m bench.replica_lag --rates 50 --seconds 10

Starts its own PostgreSQL primary and streaming replica (parley.testing.pgreplica, no
replay delay) and, with REDIS_URL from the environment (the cache holds the marks), one
`parley.serve` with DATABASE_REPLICA_URL, then one without it on the same primary. Per rate: `senders` people send over WebSocket at rate/senders each, waiting for
each ack (its latency is measured), while 5 readers who write nothing and each sender
after every 5th ack read history over REST; the primary's `pg_stat_replication` is sampled
every 50 ms (replay lag in time and WAL bytes). Prints one JSON line per run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import threading
import time
import uuid
from typing import Any

import httpx
import psycopg

from parley.testing.live import ServerProcess, base_env, migrate
from parley.testing.pgreplica import ReplicaPair, replica_pair
from parley.testing.remote import RemoteUser

READS = re.compile(r'^parley_replica_reads_total\{db="(\w+)",reason="(\w+)"\} ([0-9.e+]+)$')


def _pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def _reads(url: str) -> dict[str, float]:
    text = httpx.get(url + "/metrics", timeout=10).text
    out: dict[str, float] = {}
    for line in text.splitlines():
        m = READS.match(line)
        if m:
            out[f"{m[1]}/{m[2]}"] = float(m[3])
    return out


class LagSampler(threading.Thread):
    def __init__(self, primary_url: str):
        super().__init__(daemon=True)
        self.url = primary_url
        self.seconds: list[float] = []
        self.bytes: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.is_set():
                row = conn.execute(
                    "SELECT COALESCE(EXTRACT(EPOCH FROM replay_lag), 0), "
                    "pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) FROM pg_stat_replication"
                ).fetchone()
                if row:
                    self.seconds.append(float(row[0]))
                    self.bytes.append(float(row[1]))
                time.sleep(0.05)


async def _sender(user: RemoteUser, room_id: int, rate: float, until: float, acks: list[float]) -> None:
    sock = await user.socket()
    try:
        n = 0
        next_at = time.monotonic()
        while time.monotonic() < until:
            started = time.monotonic()
            client_id = uuid.uuid4().hex
            await sock.send({"type": "send", "room": room_id, "body": f"load {n}", "client_id": client_id})
            await sock.recv_type("ack")
            acks.append(time.monotonic() - started)
            n += 1
            if n % 5 == 0:
                await asyncio.to_thread(user.history, room_id, limit=50)
            next_at += 1 / rate
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    finally:
        await sock.close()


async def _reader(user: RemoteUser, room_id: int, until: float) -> None:
    while time.monotonic() < until:
        await asyncio.to_thread(user.history, room_id, limit=50)
        await asyncio.sleep(0.2)


def run(pair: ReplicaPair, env: dict[str, str], rate: float, seconds: float, senders: int) -> dict[str, Any]:
    server = ServerProcess(env).start(timeout=90)
    try:
        people = [RemoteUser.register(server.url) for _ in range(senders + 5)]
        room = people[0].create_room()
        for p in people[1:]:
            p.join(room["id"])
        pair.wait_caught_up()
        before = _reads(server.url)
        sampler = LagSampler(pair.primary_url)
        sampler.start()
        acks: list[float] = []
        until = time.monotonic() + seconds

        async def load() -> None:
            await asyncio.gather(
                *(_sender(p, room["id"], rate / senders, until, acks) for p in people[:senders]),
                *(_reader(p, room["id"], until) for p in people[senders:]),
            )

        asyncio.run(load())
        sampler.stop.set()
        sampler.join()
        after = _reads(server.url)
        return {
            "replica": "DATABASE_REPLICA_URL" in env,
            "rate_target": rate,
            "sends_per_s": round(len(acks) / seconds, 1),
            "ack_ms_p50": round(statistics.median(acks) * 1000, 2),
            "ack_ms_p99": round(_pct(acks, 99) * 1000, 2),
            "replay_lag_ms_p50": round(_pct(sampler.seconds, 50) * 1000, 2),
            "replay_lag_ms_p99": round(_pct(sampler.seconds, 99) * 1000, 2),
            "replay_lag_ms_max": round(max(sampler.seconds or [0]) * 1000, 2),
            "lag_bytes_p50": _pct(sampler.bytes, 50),
            "lag_bytes_p99": _pct(sampler.bytes, 99),
            "lag_bytes_max": max(sampler.bytes or [0]),
            "reads": {k: v - before.get(k, 0.0) for k, v in after.items() if v - before.get(k, 0.0)},
        }
    finally:
        server.stop()


def check_cost(pair: ReplicaPair, redis_url: str, n: int = 2000) -> dict[str, float]:
    """What one write's note and one read's choice cost, in this process (Django set up on the pair)."""
    os.environ.update(
        DATABASE_URL=pair.primary_url,
        DATABASE_REPLICA_URL=pair.replica_url,
        REDIS_URL=redis_url,
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY="bench-" + uuid.uuid4().hex * 2,
    )
    import django

    django.setup()
    from parley.common import replica

    tracker = replica.tracker()
    assert tracker is not None
    out: dict[str, float] = {}
    from django.core.cache import cache
    from django.db import connections

    def select_1() -> None:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")

    for name, call in (
        ("primary_select_1_us", select_1),
        ("cache_get_us", lambda: cache.get("replica:bench")),
        ("note_write_us", lambda: tracker.note_write(1)),
        ("choose_us", lambda: tracker.choose(1)),
        ("replica_position_query_us", tracker.read_position),
    ):
        call()
        started = time.perf_counter()
        for _ in range(n):
            call()
        out[name] = round((time.perf_counter() - started) / n * 1e6, 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", default="50,200")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--senders", type=int, default=10)
    args = parser.parse_args()
    redis_url = os.environ["REDIS_URL"]
    with replica_pair() as pair:
        common = {"WS_SEND_RATE": "1000", "WS_SEND_BURST": "1000", "REPLICA_MAX_LAG": "600"}
        common.update(THROTTLE_REGISTER="100000/minute", THROTTLE_ROOM_CREATE="100000/minute")
        env = base_env(pair.primary_url, redis_url, DATABASE_REPLICA_URL=pair.replica_url, **common)
        migrate(env)
        plain = base_env(pair.primary_url, redis_url, **common)
        for rate in (float(r) for r in args.rates.split(",") if r):
            for which in (env, plain):
                print(json.dumps(run(pair, which, rate, args.seconds, args.senders)), flush=True)
        print(json.dumps(check_cost(pair, redis_url)), flush=True)


if __name__ == "__main__":
    main()
