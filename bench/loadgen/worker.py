"""One load-generator process. Reads a spec (JSON) and owns the clients whose
index % nworkers == windex. Protocol with the parent:

    worker -> stdout  "READY <connected> <failed>"
    parent -> stdin   "GO <t0_monotonic_ns>"
    worker -> writes  <out> (JSON) and <out>.p<k>.lat (int64 microseconds)

Phases are timed from t0 (CLOCK_MONOTONIC is system-wide, so all generator
processes share it). In a phase, senders send `count` messages at `rate` msg/s
each (rate 0 = back to back), then everyone keeps reading for `drain` s.

Every delivery at every stable receiver is checked: per (receiver, sender) a
bitmap of seen sequence numbers gives duplicates, a running max gives
reordering, and the parent turns per-sender sent counts into lost deliveries.
Latency = receive time - send time embedded in the body, sampled at every
receiver. A lag monitor (10 ms ticks) and the process CPU time tell whether
the generator itself was the bottleneck.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import sys
import time
from array import array
from urllib.parse import parse_qs, urlsplit

from bench.loadgen.fastws import FastWS, HandshakeError, fast_connect
from bench.loadgen.http import Http
from bench.loadgen.matrix import MatrixConn
from bench.loadgen.protocols import EDIT_SID, send_frame
from bench.util import raise_nofile

DEBUG = bool(os.environ.get("BENCH_DEBUG"))
MARK = re.compile(rb'"p(\d+):(\d+):(\d+):(\d+):')
ACK_ID = re.compile(rb'"type":\s*"ack".*?"id":\s*(\d+)')
UPDATED = b'{"type":"message.updated"'
# A refused socket action of a mixed phase: `act-e-<edit sid>-<n>` or `act-r-<sid>-<n>`.
ACT_REFUSED = re.compile(rb'"ref":"act-(e|r)-(\d+)-')
mono = time.monotonic_ns
REACTION = "%F0%9F%91%8D"  # 👍, as it goes in the URL


class PhaseStats:
    def __init__(self, count: int, warm_n: int):
        self.count = count
        self.lat = array("q")
        self.lat_edit = array("q")  # mixed workloads: the edits' `message.updated` frames
        self.unique: dict[int, int] = {}
        self.dup = 0
        self.reorder = 0
        self.errors = 0
        self.sent: dict[int, int] = {}
        self.warm_n = warm_n
        self.state: dict[tuple[int, int], list] = {}  # (receiver, sender) -> [max_n, bitmap]
        self.lag = array("d")
        self.cpu0 = self.cpu1 = 0.0
        self.closed = 0
        self.churn_connects = 0
        self.churn_fail = 0
        self.slow_closed = None
        self.send_buffer_max = 0
        self.last_rx = 0
        self.flood_sent = 0
        self.flood_refused = 0
        self.edits = 0
        self.reactions = 0
        self.action_errors = 0


class Worker:
    def __init__(self, spec: dict, windex: int, nworkers: int):
        self.spec = spec
        self.proto = spec["proto"]
        self.origin = spec.get("origin")
        self.phases = spec["phases"]
        self.mine = [c for i, c in enumerate(spec["clients"]) if i % nworkers == windex]
        self.stats = [PhaseStats(int(p["count"]), int(p.get("warm_n", 0))) for p in self.phases]
        self.socks: dict[int, FastWS] = {}
        self.failed: list[int] = []
        self.bounds: list[tuple[int, int, int]] = []  # (start, send_end, end) ns
        self.finished = False
        # mixed workloads: each sender's newest acknowledged message, its 👍, its REST connection
        self.last_ack: dict[int, int] = {}
        # thread phases: each sender's first acknowledged message, the root it replies under
        self.thread_root: dict[int, int] = {}
        self.reacted: dict[int, set[int]] = {}
        self.http: dict[int, Http] = {}

    def current_phase(self):
        now = mono()
        for k, (a, _, b) in enumerate(self.bounds):
            if a <= now < b:
                return k
        return None

    # ---------------------------------------------------------------- receive
    def make_flood_reader(self):
        def on_message(data: bytes) -> None:
            if b'"rate_limited"' in data:
                ph = self.current_phase()
                if ph is not None:
                    self.stats[ph].flood_refused += 1

        return on_message

    def make_reader(self, rid: int, counted: bool, acks: bool = False):
        stats = self.stats
        nph = len(stats)
        search = MARK.search
        last_ack = self.last_ack
        thread_root = self.thread_root

        def on_message(data: bytes) -> None:
            if DEBUG:
                print(rid, counted, data[:100], file=sys.stderr)
            m = search(data)
            # A `message.updated` is a delivery only as an edit's (its marked body's sender is
            # sid + EDIT_SID). Any other repeats a message's marked body unchanged: a thread
            # root's new reply count or a link preview, possibly of a message of an earlier run
            # whose summary event this run's first send logs (same room, same markers).
            if m is not None and data.startswith(UPDATED) and int(m.group(2)) < EDIT_SID:
                return
            if m is None:
                if acks and (a := ACK_ID.search(data)) is not None:
                    last_ack[rid] = int(a.group(1))
                    thread_root.setdefault(rid, last_ack[rid])
                    return
                if acks and (r := ACT_REFUSED.search(data)) is not None:
                    ph = self.current_phase()
                    if ph is not None:
                        stats[ph].action_errors += 1
                        if r.group(1) == b"e":  # no receiver owes a refused edit
                            stats[ph].sent[int(r.group(2))] -= 1
                    return
                if b'"error"' in data:
                    ph = self.current_phase()
                    if ph is not None:
                        stats[ph].errors += 1
                return
            if not counted:
                return
            now = mono()
            g_ph, g_sid, g_n, g_t = m.groups()
            ph = int(g_ph)
            if ph >= nph:
                return
            st = stats[ph]
            sid = int(g_sid)
            n = int(g_n)
            key = (rid, sid)
            s = st.state.get(key)
            if s is None:
                s = st.state[key] = [-1, bytearray(st.count + 1)]
            bm = s[1]
            if n >= len(bm):
                return
            if bm[n]:
                st.dup += 1
                return
            bm[n] = 1
            st.last_rx = now
            st.unique[sid] = st.unique.get(sid, 0) + 1
            if n < s[0]:
                st.reorder += 1
            else:
                s[0] = n
            if n >= st.warm_n:
                (st.lat_edit if sid >= EDIT_SID else st.lat).append((now - int(g_t)) // 1000)

        return on_message

    async def open(self, c: dict, counted: bool):
        acks = c.get("sid") is not None and any(p.get("mix") or p.get("threads") for p in self.phases)
        reader = (
            self.make_flood_reader() if c.get("role") == "flood" else self.make_reader(c["i"], counted, acks)
        )
        if self.proto == "matrix":
            for attempt in range(4):
                try:
                    return await MatrixConn(c["url"], c["token"], c["room"], reader).start()
                except OSError:
                    await asyncio.sleep(0.2 * (attempt + 1))  # a client's back-off between attempts
            return None
        for attempt in range(4):
            try:
                return await fast_connect(
                    c["url"],
                    reader,
                    origin=self.origin,
                    timeout=60,
                    engineio=self.proto == "socketio",
                    answer_pings=self.proto == "parley",
                )
            except (TimeoutError, OSError, HandshakeError):
                await asyncio.sleep(0.2 * (attempt + 1))  # a client's back-off between connect attempts
        return None

    async def connect_all(self):
        sem = asyncio.Semaphore(int(self.spec.get("connect_concurrency", 64)))

        async def one(c):
            if c.get("role") == "churn":
                return
            async with sem:
                ws = await self.open(c, counted=c.get("role") in (None, "sender"))
            if ws is None:
                self.failed.append(c["i"])
                return
            self.socks[c["i"]] = ws
            if c.get("role") == "slow":
                ws.pause_reading()
            ws.closed.add_done_callback(lambda _f: self.on_closed(c))

        await asyncio.gather(*(one(c) for c in self.mine))

    def on_closed(self, c):
        if self.finished or c.get("role") not in (None, "sender"):
            return
        ph = self.current_phase()
        if ph is not None:
            self.stats[ph].closed += 1

    # ---------------------------------------------------------------- send
    async def sender(self, k: int, p: dict, c: dict, ws: FastWS) -> None:
        st = self.stats[k]
        sid = c["sid"]
        start = self.bounds[k][0]
        rate = float(p.get("rate", 0))
        count = int(p["count"])
        pad = "x" * int(p.get("pad", 0))
        room = c["room"]
        nonce = self.spec["nonce"]
        interval = int(1e9 / rate) if rate else 0
        offset = int(interval * ((sid * 0.618) % 1.0)) if interval else 0  # no lockstep
        sent = 0
        # mixed phase: one slot in `every` is an edit of the sender's newest message or a
        # 👍 added to / taken from it instead of a send, over the socket as the web client
        # does (or over REST: spec "actions")
        every = round(1 / float(p["mix"])) if p.get("mix") else 0
        # thread phase: one send in `in_thread` is a reply in the thread of the sender's
        # first acknowledged message (protocol 3)
        in_thread = round(1 / float(p["threads"])) if p.get("threads") else 0
        actions: list[asyncio.Task] = []
        for n in range(count):
            if interval:
                d = start + offset + n * interval - mono()
                if d > 0:
                    await asyncio.sleep(d / 1e9)  # the schedule: the next send is due then
            if every and n % every == every // 2 and c["i"] in self.last_ack:
                kind = "edit" if (n // every) % 2 == 0 else "react"
                actions.append(asyncio.create_task(self.act(k, c, kind, n)))
                continue
            thread = self.thread_root.get(c["i"]) if in_thread and n % in_thread == 1 else None
            frame = send_frame(
                self.proto, room, f"p{k}:{sid}:{n}:{mono()}:{pad}", f"b{nonce}-{k}-{sid}-{n}", thread
            )
            if not ws.send_text(frame):
                break
            sent += 1
            st.send_buffer_max = max(st.send_buffer_max, ws.write_buffer_size())
            if not interval and n % 20 == 19:
                await asyncio.sleep(0)  # a turn of the loop for the readers
        st.sent[sid] = sent
        await asyncio.gather(*actions, return_exceptions=True)

    async def act(self, k: int, c: dict, kind: str, n: int) -> None:
        """One action of a mixed phase, over the sender's socket (an `edit` or `react` frame,
        as the web client sends them) or, with spec `"actions": "rest"`, over REST. An edit's
        new body carries the mark, so its `message.updated` frame is timed and checked at
        every receiver like a message."""
        st = self.stats[k]
        mid = self.last_ack[c["i"]]
        esid = c["sid"] + EDIT_SID
        if kind == "edit":
            st.sent[esid] = st.sent.get(esid, 0) + 1
            st.edits += 1
            body = f"p{k}:{esid}:{n}:{mono()}:"
        else:
            mine = self.reacted.setdefault(c["i"], set())
            op = "remove" if mid in mine else "add"
            mine.symmetric_difference_update({mid})
            st.reactions += 1
        if self.spec.get("actions", "ws") == "ws":
            ref = f"act-e-{esid}-{n}" if kind == "edit" else f"act-r-{c['sid']}-{n}"
            frame = (
                {"type": "edit", "message": mid, "body": body, "client_id": ref}
                if kind == "edit"
                else {"type": "react", "message": mid, "emoji": "\U0001f44d", "op": op, "client_id": ref}
            )
            ws = self.socks.get(c["i"])
            if ws is None or not ws.send_text(json.dumps(frame)):
                st.action_errors += 1
                if kind == "edit":
                    st.sent[esid] -= 1
            return
        http = self.http.get(c["i"])
        if http is None:
            u = urlsplit(c["url"])
            token = parse_qs(u.query)["token"][0]
            api = urlsplit(self.spec.get("api") or c["url"])  # the API's own process, if apart
            http = self.http[c["i"]] = Http(api.hostname or "127.0.0.1", api.port or 80, token)
        if kind == "edit":
            status, _ = await http.request(
                "PATCH", f"/api/v1/messages/{mid}", json.dumps({"body": body}).encode()
            )
            if status >= 300:  # refused or never made: no receiver owes it (it shows as failed)
                st.sent[esid] -= 1
        else:
            method = "DELETE" if op == "remove" else "POST"
            status, _ = await http.request(method, f"/api/v1/messages/{mid}/reactions/{REACTION}")
        if status >= 300:
            st.action_errors += 1

    async def flooder(self, k: int, p: dict, c: dict, ws: FastWS) -> None:
        """Sends unmarked messages at `flood_rate` for the phase's send window: what is
        accepted reaches the room like anyone's message, the rest should be refused.
        The first `flood_burst` frames go at `flood_burst_rate`: a client at the limit may
        spend its burst allowance too, so both phase kinds get the same accepted stream."""
        st = self.stats[k]
        start, send_end, _ = self.bounds[k]
        interval = int(1e9 / float(p["flood_rate"]))
        burst = int(p.get("flood_burst", 0))
        burst_iv = int(1e9 / float(p.get("flood_burst_rate", p["flood_rate"])))
        nonce = self.spec["nonce"]
        n = 0
        while True:
            due = start + n * burst_iv if n < burst else start + burst * burst_iv + (n - burst) * interval
            if due >= send_end:
                break
            d = due - mono()
            if d > 0:
                await asyncio.sleep(d / 1e9)  # the schedule: the next send is due then
            if not ws.send_text(send_frame(self.proto, c["room"], "flood", f"f{nonce}-{k}-{n}")):
                break
            n += 1
        st.flood_sent = n

    async def churner(self, k: int, p: dict, c: dict) -> None:
        st = self.stats[k]
        start, send_end, _ = self.bounds[k]
        rnd = random.Random(c["i"])
        await asyncio.sleep(
            max(0, start - mono()) / 1e9 + rnd.random()
        )  # the schedule: the phase starts then (plus a jitter)
        while mono() < send_end:
            ws = await self.open(c, counted=False)
            if ws is None:
                st.churn_fail += 1
                await asyncio.sleep(0.5)  # a client's back-off after a failed connect
                continue
            st.churn_connects += 1
            try:
                await asyncio.wait_for(asyncio.shield(ws.closed), rnd.uniform(0.3, 1.5))
            except TimeoutError:
                pass
            ws.close()

    async def lagmon(self) -> None:
        iv = 0.01
        while not self.finished:
            t = mono()
            await asyncio.sleep(iv)  # the event-loop lag probe: the lag is how late this wakes
            lag = (mono() - t) / 1e6 - iv * 1e3
            ph = self.current_phase()
            if ph is not None:
                self.stats[ph].lag.append(lag)

    # ---------------------------------------------------------------- main
    async def run(self) -> dict:
        await self.connect_all()
        print(f"READY {len(self.socks)} {len(self.failed)}", flush=True)
        line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        t = int(line.split()[1])
        for p in self.phases:
            send_s = p["count"] / p["rate"] if p.get("rate") else float(p.get("window", 1.0))
            p["duration"] = send_s
            end = t + int((send_s + p["drain"]) * 1e9)
            self.bounds.append((t, t + int(send_s * 1e9), end))
            t = end + int(p.get("gap", 0.3) * 1e9)
        mon = asyncio.create_task(self.lagmon())
        for k, p in enumerate(self.phases):
            start, _, end = self.bounds[k]
            await asyncio.sleep(max(0, start - mono()) / 1e9)  # the schedule: the phase starts then
            st = self.stats[k]
            ru = resource.getrusage(resource.RUSAGE_SELF)
            st.cpu0 = ru.ru_utime + ru.ru_stime
            tasks = []
            for c in self.mine:
                ws = self.socks.get(c["i"])
                if (
                    c.get("sid") is not None
                    and c["sid"] < p.get("senders", 1 << 30)
                    and ws is not None
                    and c.get("role") in (None, "sender")
                ):
                    tasks.append(asyncio.create_task(self.sender(k, p, c, ws)))
                if c.get("role") == "flood" and p.get("flood_rate") and ws is not None:
                    tasks.append(asyncio.create_task(self.flooder(k, p, c, ws)))
                if c.get("role") == "churn" and p.get("churn"):
                    tasks.append(asyncio.create_task(self.churner(k, p, c)))
            # drain: until every generator-side delivery has gone quiet for `quiet` s after
            # the send window, or the phase's maximum drain has passed (bounded either way)
            send_end = self.bounds[k][1]
            quiet = int(float(p.get("quiet", 1.5)) * 1e9)
            while mono() < end:
                now = mono()
                if (
                    now > send_end + quiet
                    and now - max(st.last_rx, send_end) > quiet
                    and all(t.done() for t in tasks if not p.get("churn"))
                ):
                    break
                await asyncio.sleep(0.1)  # between polls of the phase's end (the condition)
            end = mono()
            self.bounds[k] = (start, send_end, end)
            for tk in tasks:
                tk.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            ru = resource.getrusage(resource.RUSAGE_SELF)
            st.cpu1 = ru.ru_utime + ru.ru_stime
            if p.get("slow"):
                st.slow_closed = sum(
                    1
                    for c in self.mine
                    if c.get("role") == "slow" and c["i"] in self.socks and self.socks[c["i"]].closed.done()
                )
        self.finished = True
        mon.cancel()
        for ws in self.socks.values():
            ws.abort()
        for http in self.http.values():
            http.close()
        await asyncio.gather(mon, return_exceptions=True)
        return self.result()

    def result(self) -> dict:
        out = {"connected": len(self.socks), "failed": self.failed, "phases": []}
        for k, st in enumerate(self.stats):
            a, _, b = self.bounds[k]
            lag = sorted(st.lag)
            out["phases"].append(
                {
                    "sent": st.sent,
                    "unique": st.unique,
                    "dup": st.dup,
                    "reorder": st.reorder,
                    "errors": st.errors,
                    "closed": st.closed,
                    "nlat": len(st.lat),
                    "lag_p99_ms": lag[int(len(lag) * 0.99)] if lag else 0.0,
                    "lag_max_ms": lag[-1] if lag else 0.0,
                    "cpu_s": st.cpu1 - st.cpu0,
                    "wall_s": (b - a) / 1e9,
                    "churn_connects": st.churn_connects,
                    "churn_fail": st.churn_fail,
                    "slow_closed": st.slow_closed,
                    "send_buffer_max": st.send_buffer_max,
                    "rx_span_s": (st.last_rx - a) / 1e9 if st.last_rx else 0.0,
                    "flood_sent": st.flood_sent,
                    "flood_refused": st.flood_refused,
                    "edits": st.edits,
                    "reactions": st.reactions,
                    "action_errors": st.action_errors,
                }
            )
        return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", required=True)
    ap.add_argument("--windex", type=int, default=0)
    ap.add_argument("--nworkers", type=int, default=1)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    raise_nofile()
    with open(a.spec) as fh:
        spec = json.load(fh)
    w = Worker(spec, a.windex, a.nworkers)
    try:
        import uvloop

        res = uvloop.run(w.run())
    except ImportError:
        res = asyncio.run(w.run())
    for k, st in enumerate(w.stats):
        with open(f"{a.out}.p{k}.lat", "wb") as fh:
            st.lat.tofile(fh)
        with open(f"{a.out}.p{k}.elat", "wb") as fh:
            st.lat_edit.tofile(fh)
    with open(a.out, "w") as fh:
        json.dump(res, fh)


if __name__ == "__main__":
    main()
