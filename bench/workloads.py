"""The workloads: each builds a load spec for one server and runs it."""

from __future__ import annotations

import http.client
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time

from bench.loadgen.run import run_spec
from bench.servers import FIXTURES, Server

RAMP_P99_LIMIT_MS = 250.0


def room_ref(server: Server, name: str):
    """Parley sends use the room id, Synapse its room id; the baseline and relay use a name in the URL."""
    if server.proto == "parley":
        return FIXTURES.parley_rooms[f"bench-{name}"]
    if server.proto == "matrix":
        return FIXTURES.synapse_rooms[name]
    return name


def client(server: Server, i: int, room: str, **kw) -> dict:
    extra = {"token": FIXTURES.synapse_tokens[i]} if server.proto == "matrix" else {}
    return {"i": i, "url": server.url(i, room), "room": room_ref(server, room), **extra, **kw}


def spec(server: Server, clients: list[dict], phases: list[dict]) -> dict:
    return {
        "proto": server.proto,
        "origin": server.origin(),
        "api": server.api_origin(),  # None unless a Parley server runs its API apart
        "nonce": f"{time.time_ns():x}",
        "clients": clients,
        "phases": phases,
        "connect_concurrency": 64,
    }


def one_room(server: Server, members: int, senders: int, room: str) -> list[dict]:
    return [client(server, i, room, sid=i if i < senders else None) for i in range(members)]


def gen_workers(members: int) -> int:
    return 1


# ------------------------------------------------------------------ workloads
def w_room(server: Server, p: dict, size: int, python: str, rate: int = 5) -> dict:
    """Fixed offered load (10 senders x `rate` msg/s) into one room of `size`. `room-light`
    is the 100-member room at 10 msg/s in all: a load Synapse still carries (issue 34)."""
    room = "r100" if size <= 100 else "r1000"
    secs = p["room_secs"]
    ph = {
        "name": f"{size}@{rate * 10}",
        "rate": rate,
        "count": rate * secs,
        "warm_n": rate,
        "drain": p["drain"],
        "senders": 10,
    }
    return with_server_cpu(
        server,
        f"room{size}",
        p["room_secs"],
        lambda ready: run_spec(
            spec(server, one_room(server, size, 10, room), [ph]),
            python=python,
            nworkers=gen_workers(size),
            on_ready=ready,
        ),
    )


def with_server_cpu(server: Server, label: str, secs: float, run) -> dict:
    """Runs `run(on_ready)` and adds the server's CPU from the moment every socket is
    connected to the end of the drain, per delivered frame. CPU time, unlike latency,
    barely moves when something else shares the cores, so it compares two servers (or
    two commits) even on a busy machine.

    With BENCH_PYSPY=<folder> (Python servers only) py-spy also samples the server's main
    process over the measured window, every thread, idle time included, into
    `<folder>/<server>-<label>-<n>.txt` (collapsed stacks): the connects before it would
    otherwise swamp the profile."""
    start: list[float] = []
    spy: list[subprocess.Popen] = []

    def ready() -> None:
        start.append(server.cpu_s())
        folder = os.environ.get("BENCH_PYSPY")
        if folder and server.proc is not None and server.proto in ("parley", "baseline"):
            os.makedirs(folder, exist_ok=True)
            n = len(os.listdir(folder))
            out = os.path.join(folder, f"{server.kind}-{label}-{n}.txt")
            cmd = ["py-spy", "record", "--pid", str(server.proc.pid), "--idle", "--threads", "--nonblocking"]
            cmd += ["-r", "250", "-d", str(int(secs)), "-f", "raw", "-o", out]
            spy.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    r = run(ready)
    for proc in spy:
        proc.wait(timeout=secs + 30)
    cpu = server.cpu_s() - start[0]
    delivered = sum(ph["delivered"] for ph in r["phases"])
    r["server_cpu_s"] = cpu
    r["server_rss_kib"] = server.rss_kib()  # every process of the server, at the end of the drain
    r["server_cpu_us_per_delivery"] = cpu * 1e6 / delivered if delivered else None
    return r


def w_room_mixed(server: Server, p: dict, python: str) -> dict:
    """The 100-member room (10 senders x 5 msg/s) in alternating phases of plain sends and
    of a mix where 10 % of each sender's slots are actions on its newest message: an edit
    (its `message.updated` is timed at every receiver like a message) or a 👍 added or
    taken back. Over the sender's socket as the web client sends them, or over REST with
    BENCH_PARLEY_ACTIONS=rest. Same server process, same sockets, so the p99 ratio isolates
    the mix's cost."""
    rate, secs = 5, p["room_secs"]
    phases = []
    for k in range(2 * p["mixed_pairs"]):
        mixed = k % 2 == 1
        phases.append(
            {
                "name": f"{'mixed' if mixed else 'plain'}{k // 2}",
                "rate": rate,
                "count": rate * secs,
                "warm_n": rate,
                "drain": p["drain"],
                "senders": 10,
                **({"mix": 0.1} if mixed else {}),
            }
        )
    sp = spec(server, one_room(server, 100, 10, "r100"), phases)
    # parley-ref, an earlier commit, may predate the `edit` and `react` frames.
    sp["actions"] = os.environ.get("BENCH_PARLEY_ACTIONS", "ws") if server.kind == "parley" else "rest"
    r = run_spec(sp, python=python)
    r["actions"] = sp["actions"]
    return r


def w_room_threads(server: Server, p: dict, python: str) -> dict:
    """The 100-member room (10 senders x 5 msg/s) in alternating phases of plain sends and of
    sends where a third are thread replies (issue 29): each such reply goes into the thread
    of its sender's first message, so every one also updates a root's summary (its
    `message.updated` reaches every member; not counted as a delivery). A reply reaches every
    member like a message and is timed like one. Same server process; each phase connects
    its sockets anew so that the server's CPU per delivered message is measured per phase
    (`with_server_cpu`): on a shared machine latency measures the queue for the cores, CPU
    time what each kind of phase costs."""
    rate, secs = 5, p["room_secs"]
    phases = []
    for k in range(2 * p["thread_pairs"]):
        threaded = k % 2 == 1
        ph = {
            "name": f"{'threads' if threaded else 'plain'}{k // 2}",
            "rate": rate,
            "count": rate * secs,
            "warm_n": rate,
            "drain": p["drain"],
            "senders": 10,
            **({"threads": 1 / 3} if threaded else {}),
        }
        r = with_server_cpu(
            server,
            f"threads-{ph['name']}",
            secs,
            lambda ready, ph=ph: run_spec(
                spec(server, one_room(server, 100, 10, "r100"), [ph]), python=python, on_ready=ready
            ),
        )
        phase = r["phases"][0]
        phase["server_cpu_us_per_delivery"] = r["server_cpu_us_per_delivery"]
        phases.append(phase)
    return {"phases": phases}


def w_ramp(server: Server, p: dict, size: int, python: str) -> dict:
    """Step the per-sender rate up until p99 passes 250 ms (one connection set per step)."""
    room = "r100" if size <= 100 else "r1000"
    steps = []
    for rate in p["ramp_rates"]:
        ph = {
            "name": f"{size}@{rate * 10}",
            "rate": rate,
            "count": rate * p["ramp_secs"],
            "warm_n": rate,
            "drain": p["drain"],
            "senders": 10,
        }
        r = run_spec(
            spec(server, one_room(server, size, 10, room), [ph]), python=python, nworkers=gen_workers(size)
        )
        steps.append(r["phases"][0])
        if (r["phases"][0]["latency_ms"]["p99"] or 1e9) > RAMP_P99_LIMIT_MS:
            break
    ok = [
        s["offered_msg_s"]
        for s in steps
        if (s["latency_ms"]["p99"] or 1e9) <= RAMP_P99_LIMIT_MS and s["lost"] == 0
    ]
    return {"phases": steps, "max_ok_msg_s": max(ok) if ok else 0}


def w_burst(server: Server, p: dict, python: str) -> dict:
    ph = {
        "name": "burst",
        "rate": 0,
        "count": 20,
        "warm_n": 0,
        "drain": p["burst_drain"],
        "senders": 10,
        "window": 1.0,
    }
    return run_spec(spec(server, one_room(server, 100, 10, "r100"), [ph]), python=python)


def w_many_rooms(server: Server, p: dict, python: str) -> dict:
    """N rooms x 10 members, one sender per room."""
    n = p["many_rooms"]
    clients = [
        client(server, i, f"m{i // 10}", sid=(i // 10) if i % 10 == 0 else None) for i in range(n * 10)
    ]
    rate = p["many_rate"]  # per room
    ph = {
        "name": f"{n}x10",
        "rate": rate,
        "count": max(2, int(rate * p["room_secs"])),
        "warm_n": 1,
        "drain": p["drain"],
    }
    return run_spec(spec(server, clients, [ph]), python=python)


def w_idle(server: Server, p: dict, python: str) -> dict:
    """N idle authenticated sockets: the server's RSS growth per socket.

    50 sockets (users 0-49, who connect again with the others) connect and close first, so what the first sockets of a fresh
    process set up once (thread pool, database and Redis connections, lazy imports) is
    not counted per socket; the growth from the fresh process is reported beside it."""
    n = p["idle"]
    start = server.rss_kib()
    ph = {"name": "idle", "rate": 1, "count": 1, "warm_n": 0, "drain": 0.5, "senders": 0}
    run_spec(spec(server, [client(server, i, "r1000") for i in range(50)], [ph]), python=python)
    # The server frees the warm-up's memory lazily and no event says when: the same 2 s as
    # every recorded run, so the figures stay comparable.
    time.sleep(2.0)
    before = server.rss_kib()
    room = "r1000"
    clients = [client(server, i, room) for i in range(n)]

    def measure():
        time.sleep(2.0)  # the sockets' first frames settle; no event says when (as above)
        return {"rss_start_kib": start, "rss_before_kib": before, "rss_after_kib": server.rss_kib()}

    r = run_spec(spec(server, clients, [ph]), python=python, on_ready=measure)
    x = r["extra"]
    conns = max(1, r["connected"])
    r["rss_per_conn_kib"] = (x["rss_after_kib"] - x["rss_before_kib"]) / conns
    r["rss_per_conn_from_start_kib"] = (x["rss_after_kib"] - x["rss_start_kib"]) / conns
    return r


def w_churn(server: Server, p: dict, python: str) -> dict:
    """100 stable members (10 senders x 5 msg/s) while 50 others connect/disconnect."""
    clients = [client(server, i, "r1000", sid=i if i < 10 else None) for i in range(100)]
    clients += [client(server, i, "r1000", role="churn") for i in range(100, 150)]
    ph = {
        "name": "churn",
        "rate": 5,
        "count": 5 * p["room_secs"],
        "warm_n": 5,
        "drain": p["drain"],
        "senders": 10,
        "churn": True,
    }
    return run_spec(spec(server, clients, [ph]), python=python)


def w_slow(server: Server, p: dict, python: str) -> dict:
    """100 members, 10 senders x 10 msg/s with 2 KB bodies, plus one client that never reads."""
    clients = [client(server, i, "r1000", sid=i if i < 10 else None) for i in range(100)]
    clients.append(client(server, 100, "r1000", role="slow"))
    rss = {"start": 0, "max": 0}

    def ready():
        rss["start"] = rss["max"] = server.rss_kib()
        return rss

    def tick(_t0):
        rss["max"] = max(rss["max"], server.rss_kib())

    ph = {
        "name": "slow",
        "rate": 10,
        "count": 10 * p["slow_secs"],
        "warm_n": 10,
        "pad": 2000,
        "drain": p["drain"],
        "senders": 10,
        "slow": True,
    }
    r = run_spec(spec(server, clients, [ph]), python=python, on_ready=ready, tick=tick)
    r["rss_growth_kib"] = rss["max"] - rss["start"]
    r["rss_start_kib"] = rss["start"]
    return r


# The flood workload runs Parley with its shipped send limit instead of the benchmark's
# unlimited one (the other workloads must not be throttled).
SEND_RATE, SEND_BURST = 8, 30
# The upload workload's files go to a folder of their own (removed after each phase) and
# are not throttled: the point is one client uploading back to back.
UPLOAD_DIR = os.path.join(tempfile.gettempdir(), "parley-bench-uploads")
UPLOAD_BYTES = 10 * 1024 * 1024
WORKLOAD_ENV = {
    "flood": {"WS_SEND_RATE": str(SEND_RATE), "WS_SEND_BURST": str(SEND_BURST)},
    "upload": {"THROTTLE_UPLOAD": "1000000/hour", "UPLOAD_DIR": UPLOAD_DIR},
}


def w_flood(server: Server, p: dict, python: str) -> dict:
    """100 members, 10 senders x 5 msg/s, and one member (user 99) who sends at the limit,
    then at 10x the limit, alternately. The refused 90 % is the flood; what any user may send
    (the limit) is the baseline, so the ratio of the others' p99 isolates the flood's cost.

    "At the limit" is the most the limiter lets through: the burst allowance at once, then
    the rate. A flood phase spends the same burst the same way, so both phase kinds put the
    same accepted messages into the room and differ only by the refused frames. Each phase
    starts with a full bucket: the quiet drain plus the gap outlast a refill (burst / rate)."""
    clients = [client(server, i, "r100", sid=i if i < 10 else None) for i in range(99)]
    clients.append(client(server, 99, "r100", role="flood"))
    gap = SEND_BURST / SEND_RATE
    phases = [  # warms the server up; not counted
        {
            "name": "warm-up",
            "rate": 5,
            "count": 10,
            "warm_n": 0,
            "drain": p["drain"],
            "senders": 10,
            "gap": gap,
        }
    ]
    for k in range(2 * p["flood_pairs"]):
        factor = 10 if k % 2 else 1
        phases.append(
            {
                "name": f"{'flood' if factor > 1 else 'limit'}{k // 2}",
                "rate": 5,
                "count": 5 * p["flood_secs"],
                "warm_n": 0,
                "drain": p["drain"],
                "senders": 10,
                "flood_rate": factor * SEND_RATE,
                "flood_burst": SEND_BURST,
                "flood_burst_rate": 10 * SEND_RATE,
                "gap": gap,
            }
        )
    return run_spec(spec(server, clients, phases), python=python)


def w_history(server: Server, p: dict, python: str) -> dict:
    """GET newest page vs page 10,000 (before_seq) in a room of 1,000,000 messages."""
    rid = FIXTURES.parley_rooms["bench-hist"]
    last = FIXTURES.history
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    hdr = {"Authorization": "Token pbench-0", "Host": f"127.0.0.1:{server.port}"}
    deep = last - 100 * 9999 + 1  # page 10,000 of 100-message pages

    def get(q: str) -> float:
        t = time.perf_counter()
        conn.request("GET", f"/api/v1/rooms/{rid}/messages?{q}", headers=hdr)
        resp = conn.getresponse()
        body = resp.read()
        dt = (time.perf_counter() - t) * 1000
        if resp.status != 200 or b'"messages"' not in body:
            raise RuntimeError(f"history {q}: {resp.status} {body[:200]!r}")
        return dt

    qs = {"page1": "limit=100", "page10000": f"before_seq={deep}&limit=100"}
    for q in qs.values():
        for _ in range(5):
            get(q)
    times: dict[str, list[float]] = {k: [] for k in qs}
    for _ in range(p["history_n"]):
        for k, q in qs.items():
            times[k].append(get(q))
    conn.close()
    out = {}
    for k, v in times.items():
        v.sort()
        out[k] = {"p50": statistics.median(v), "p99": v[min(len(v) - 1, int(len(v) * 0.99))]}
    out["ratio_p50"] = out["page10000"]["p50"] / out["page1"]["p50"]
    return out


def w_scaling(server: Server, p: dict, python: str) -> dict:
    """Saturation: 1000-member room, offered well above capacity; deliveries/s achieved."""
    rate = p["sat_rate"]
    ph = {
        "name": f"sat-w{server.workers}",
        "rate": rate,
        "count": rate * p["sat_secs"],
        "warm_n": 0,
        "drain": p["sat_drain"],
        "senders": 10,
    }
    cpu0 = server.cpu_s()
    r = run_spec(spec(server, one_room(server, 1000, 10, "r1000"), [ph]), python=python)
    r["server_cpu_s"] = server.cpu_s() - cpu0
    return r


SEARCH_SQLITE = "data/bench-search.sqlite3"


def w_search(p: dict, python: str) -> dict:
    """Search in a room of `search_messages` messages in four languages (bench/search.py),
    on PostgreSQL (the benchmark database) and on SQLite (a file of its own): the index's
    p99 for rare and common terms beside the old LIKE scan's, and the send's p99 with the
    index kept current and without. Issue 34: also over HTTP (`GET /api/v1/search` as the
    room's member, a server of its own per database) and the send with the terms in its own
    INSERT beside the shipped deferred fill. The fixture is built on first use and kept."""
    import json
    import os
    import subprocess

    from bench.servers import ROOT, parley_env

    out = {}
    sqlite_url = f"sqlite:///{os.path.join(ROOT, SEARCH_SQLITE)}"
    for name, url in (("postgresql", None), ("sqlite", sqlite_url)):
        env = parley_env(0, 1)
        env.pop("REDIS_URL", None)  # in process: the send publishes to the in-memory hub
        if url:
            env["DATABASE_URL"] = url
            subprocess.run(
                [python, "-m", "django", "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True
            )
        args = ["--messages", str(p["search_messages"]), "--searches", str(p["search_n"])]
        run = subprocess.run(
            [python, "-m", "bench.search", *args],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        out[name] = json.loads(run.stdout.strip().splitlines()[-1])
    return out


def w_slack_import(p: dict, python: str) -> dict:
    """Issue 32: `manage.py import_slack` of an export of `slack_messages` messages in
    Slack's format (bench/slack_import.py), run twice (the second must import nothing), on
    a fresh SQLite file and on a fresh PostgreSQL database (dropped and made anew)."""
    import json
    import os
    import subprocess

    import psycopg

    from bench.servers import PARLEY_DB, PG, ROOT, pg_dsn

    out = {}
    fresh = f"{PARLEY_DB}_slack"
    with psycopg.connect(
        host=PG["host"], port=PG["port"], user=PG["user"], dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f'drop database if exists "{fresh}" with (force)')
        conn.execute(f'create database "{fresh}"')
    for name, url in (("sqlite", None), ("postgresql", pg_dsn(fresh))):
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        if url:
            env["DATABASE_URL"] = url  # without: the command's own temporary SQLite file
        run = subprocess.run(
            [python, "-m", "bench.slack_import", "--messages", str(p["slack_messages"])],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        out[name] = json.loads(run.stdout.strip().splitlines()[-1])
    return out


class Uploader(threading.Thread):
    """One member (user 99 of the 100-member room) uploading a 10 MiB file over REST, one
    after another with `gap_s` seconds between them (0: back to back), until stopped; it
    counts answers and times each upload."""

    def __init__(self, server: Server, room_id: int, gap_s: float = 0.0):
        super().__init__(daemon=True)
        self.port, self.room_id, self.gap_s = server.port, room_id, gap_s
        self.stop = threading.Event()
        self.ok = self.failed = 0
        self.ms: list[float] = []
        boundary = f"parleybench{time.time_ns():x}"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        self.body = head + os.urandom(UPLOAD_BYTES) + f"\r\n--{boundary}--\r\n".encode()
        self.headers = {
            "Authorization": "Token pbench-99",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Host": f"127.0.0.1:{self.port}",
        }

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        while not self.stop.is_set():
            t = time.perf_counter()
            try:
                conn.request("POST", f"/api/v1/rooms/{self.room_id}/uploads", self.body, self.headers)
                resp = conn.getresponse()
                resp.read()
                if resp.status == 201:
                    self.ok += 1
                    self.ms.append((time.perf_counter() - t) * 1000)
                else:
                    self.failed += 1
            except OSError:
                self.failed += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            if self.gap_s:
                self.stop.wait(self.gap_s)
        conn.close()

    def summary(self) -> dict:
        v = sorted(self.ms)
        return {
            "uploads_ok": self.ok,
            "uploads_failed": self.failed,
            "upload_ms_p50": statistics.median(v) if v else None,
            "upload_mib_s": (self.ok * UPLOAD_BYTES / 2**20) / (sum(v) / 1000) if v else None,
        }


def w_upload(server: Server, p: dict, python: str, gap_s: float | None = None) -> dict:
    """The 100-member room (10 senders x 5 msg/s, as in `room`), in alternating phases of the
    same server process: alone ("plain"), and while member 99 uploads 10 MiB files over REST
    ("upload"), one a second by default (`upload_gap`), back to back in `upload-stress`.
    The others' p99 of the two phase kinds are compared; an upload must add no
    per-recipient work to anyone's send. The uploaded files are removed after each phase
    (they are never attached)."""
    gap = p.get("upload_gap", 1.0) if gap_s is None else gap_s
    rid = FIXTURES.parley_rooms["bench-r100"]
    phases = []
    for k in range(2 * p["upload_pairs"]):
        uploading = k % 2 == 1
        ph = {
            "name": f"{'upload' if uploading else 'plain'}{k // 2}",
            "rate": 5,
            "count": 5 * p["upload_secs"],
            "warm_n": 5,
            "drain": p["drain"],
            "senders": 10,
        }
        uploader = Uploader(server, rid, gap) if uploading else None
        r = run_spec(
            spec(server, one_room(server, 100, 10, "r100"), [ph]),
            python=python,
            on_ready=(lambda u=uploader: u.start()) if uploader else None,
        )
        phase = r["phases"][0]
        if uploader:
            uploader.stop.set()
            uploader.join(timeout=120)
            phase.update(uploader.summary())
        shutil.rmtree(UPLOAD_DIR, ignore_errors=True)
        phases.append(phase)
    return {"phases": phases, "upload_bytes": UPLOAD_BYTES, "upload_gap_s": gap}


def w_upload_stress(server: Server, p: dict, python: str) -> dict:
    return w_upload(server, p, python, gap_s=0.0)
