"""Turn the raw results into bench/results/<stamp>.md and .png."""

from __future__ import annotations

import os
import statistics
from collections import defaultdict

SERVERS = [
    "parley",
    "parley-embedded",
    "parley-ref",
    "synapse",
    "baseline",
    "baseline-daphne",
    "relay",
    "socketio",
    "socketio-durable",
]


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def spread(xs):
    xs = [x for x in xs if x is not None]
    return (min(xs), max(xs)) if xs else (None, None)


def f(x, nd=1):
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:,.{nd}f}"
    return f"{x:,}"


def phase_rows(runs, workload, key=None):
    """{server: [phase dicts over repeats]} for workloads that return one phase."""
    out = defaultdict(list)
    for r in runs:
        if r["workload"] != workload or "result" not in r:
            continue
        res = r["result"][key] if key is not None else r["result"]
        out[r["server"]].append(
            {
                **res["phases"][0],
                "server_cpu_us": res.get("server_cpu_us_per_delivery"),
                "server_rss_kib": res.get("server_rss_kib"),
            }
        )
    return out


def latency_table(rows: dict, title: str) -> list[str]:
    lines = [
        f"### {title}",
        "",
        "| server | runs | p50 ms | p99 ms (min–max) | p99.9 ms | delivered | lost | dup | reord | deliv/s "
        "| server CPU µs/delivery | gen | ",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in SERVERS:
        ph = rows.get(s)
        if not ph:
            continue
        p99s = [p["latency_ms"]["p99"] for p in ph]
        lo, hi = spread(p99s)
        inval = [p["invalid"] for p in ph if p["invalid"]]
        warn = [p.get("warn") for p in ph if p.get("warn")]
        gen = (
            "INVALID: " + inval[0] if inval else (warn[0] if warn else "ok")
        ) + f" (busy {max(p['gen_busy'] for p in ph) * 100:.0f}%)"
        cpus = [p["server_cpu_us"] for p in ph if p.get("server_cpu_us") is not None]
        cpu = f(med(cpus), 1) if cpus else "–"
        lines.append(
            f"| {s} | {len(ph)} | {f(med([p['latency_ms']['p50'] for p in ph]))} | "
            f"{f(med(p99s))} ({f(lo)}–{f(hi)}) | {f(med([p['latency_ms']['p99.9'] for p in ph]))} | "
            f"{f(med([p['delivered'] for p in ph]))}/{f(med([p['expected'] for p in ph]))} | "
            f"{sum(p['lost'] for p in ph)} | {sum(p['dup'] for p in ph)} | "
            f"{sum(p['reorder'] for p in ph)} | {f(med([p['deliveries_s'] for p in ph]), 0)} | {cpu} | {gen} |"
        )
    return lines + [""]


def synapse_beside(rows: dict, size: int) -> list[str]:
    """Issue 34: the durable Python server people run, beside Parley in every room workload,
    with the ratios stated (latency, and server CPU per delivered message)."""
    mine, theirs = rows.get("parley"), rows.get("synapse")
    if not mine or not theirs:
        return []
    p99 = (med([p["latency_ms"]["p99"] for p in theirs]), med([p["latency_ms"]["p99"] for p in mine]))
    cpu = [
        med([p["server_cpu_us"] for p in ph if p.get("server_cpu_us") is not None]) for ph in (theirs, mine)
    ]
    lost = sum(p["lost"] for p in theirs)
    parts = []
    if p99[0] is not None and p99[1]:
        parts.append(f"p99 {f(p99[0])} ms against Parley's {f(p99[1])} ms ({p99[0] / p99[1]:.1f} ×)")
    elif p99[0] is None:
        parts.append("no delivery after the warm-up (p99 unbounded)")
    if cpu[0] is not None and cpu[1]:
        parts.append(
            f"server CPU per delivery {f(cpu[0], 1)} µs against {f(cpu[1], 1)} µs ({cpu[0] / cpu[1]:.1f} ×)"
        )
    rss = [med([p.get("server_rss_kib") for p in ph]) for ph in (theirs, mine)]
    if rss[0] and rss[1]:
        parts.append(
            f"server RSS after the run {rss[0] / 1024:.0f} MiB against {rss[1] / 1024:.0f} MiB (all processes)"
        )
    parts.append(f"{lost} lost")
    return [f"Synapse ({size}-member room, same clients' schedule): " + "; ".join(parts) + ".", ""]


def write(results: dict, stem: str) -> str:
    runs = results["runs"]
    prof = results["params"]
    L = [
        f"# Parley benchmark — {results['started'][:16]} ({results['profile']})",
        "",
        f"Machine: {results['machine']['cpus']} cores; generator and servers share it. "
        f"Repeats: {prof['repeats']}, servers interleaved. Latency = receive − send "
        "timestamp in the body, at every receiver. Lost/dup/reordered are summed over repeats. "
        "`gen` says whether the load generator stayed below its limits "
        "(INVALID = the generator, not the server, was the bottleneck).",
        "",
    ]
    errors = [r for r in runs if "error" in r]
    summary: dict = {}
    # ---- one room, fixed load
    for size in prof["sizes"]:
        rows = phase_rows(runs, "room", str(size))
        if rows:
            L += latency_table(rows, f"One room of {size} members, 10 senders × 5 msg/s")
            summary[size] = {s: med([p["latency_ms"]["p99"] for p in v]) for s, v in rows.items()}
            summary[f"p50-{size}"] = {s: med([p["latency_ms"]["p50"] for p in v]) for s, v in rows.items()}
            summary[f"loss-{size}"] = {
                s: (sum(p["lost"] for p in v), sum(p["dup"] for p in v), sum(p["reorder"] for p in v))
                for s, v in rows.items()
            }
            summary[f"expected-{size}"] = {s: sum(p["expected"] for p in v) for s, v in rows.items()}
            L += synapse_beside(rows, size)
    rows = phase_rows(runs, "room-light")
    if rows:
        L += latency_table(rows, "One room of 100 members, 10 senders × 1 msg/s (a load Synapse carries)")
        L += synapse_beside(rows, 100)
        summary["light"] = {s: med([p["latency_ms"]["p99"] for p in v]) for s, v in rows.items()}
    rows = phase_rows(runs, "burst")
    if rows:
        L += latency_table(rows, "Burst: 10 senders × 20 messages, no pauses, 100-member room")
        summary["burst"] = {
            s: (sum(p["lost"] for p in v), sum(p["expected"] for p in v)) for s, v in rows.items()
        }
    rows = phase_rows(runs, "many")
    if rows:
        L += latency_table(
            rows, f"{prof['many_rooms']} rooms × 10 members, one sender per room at {prof['many_rate']} msg/s"
        )
        summary[10] = {s: med([p["latency_ms"]["p99"] for p in v]) for s, v in rows.items()}
        summary["p50-10"] = {s: med([p["latency_ms"]["p50"] for p in v]) for s, v in rows.items()}
    rows = phase_rows(runs, "churn")
    if rows:
        L += latency_table(
            rows, "Churn: 100 stable members (10 × 5 msg/s) while 50 clients reconnect every 0.3–1.5 s"
        )
        L += [
            "Churn connects completed: "
            + ", ".join(
                f"{s} {sum(p['churn_connects'] for p in v)} (failed {sum(p['churn_fail'] for p in v)})"
                for s, v in rows.items()
            ),
            "",
        ]
    rows = phase_rows(runs, "slow")
    if rows:
        L += latency_table(rows, "One client stops reading (100 readers, 10 × 10 msg/s, 2 KB bodies)")
        L += [
            "The reader that stopped first fills the kernel's socket buffers (several MB on "
            "loopback, ~50 s of this stream); only then does a server queue grow, and Parley closes "
            "the socket (4008) when its queue is full (`test_abuse.py`). What matters here: the "
            "others' latency and the server's memory.",
            "",
        ]
        for s in SERVERS:
            rs = [r["result"] for r in runs if r["workload"] == "slow" and r["server"] == s and "result" in r]
            if rs:
                L.append(
                    f"- {s}: server RSS growth during the run {f(med([x['rss_growth_kib'] for x in rs]) / 1024)} MiB "
                    f"(from {f(med([x['rss_start_kib'] for x in rs]) / 1024)} MiB); slow socket closed by server "
                    f"in {sum(x['phases'][0]['slow_closed'] for x in rs)}/{len(rs)} runs"
                )
        L.append("")
    # ---- ramp
    ramp = [r for r in runs if r["workload"] == "ramp" and "result" in r]
    if ramp:
        L += [
            "### Ramp: offered load stepped up until p99 > 250 ms",
            "",
            "| server | room | steps (offered msg/s → p99 ms, lost) | max msg/s with p99 ≤ 250 ms and 0 lost (median) |",
            "|---|---|---|---|",
        ]
        for size in prof["sizes"]:
            for s in SERVERS:
                rr = [r["result"][str(size)] for r in ramp if r["server"] == s]
                if not rr:
                    continue
                steps = "; ".join(
                    f"{p['offered_msg_s']:.0f}→{f(p['latency_ms']['p99'], 0)}"
                    f"{'' if not p['lost'] else ' lost ' + str(p['lost'])}"
                    f"{' INVALID' if p['invalid'] else ''}"
                    for p in rr[0]["phases"]
                )
                L.append(f"| {s} | {size} | {steps} | {f(med([x['max_ok_msg_s'] for x in rr]), 0)} |")
        L.append("")
    # ---- idle
    idle = [r for r in runs if r["workload"] == "idle" and "result" in r]
    if idle:
        L += [
            f"### Idle connections ({prof['idle']}): server RSS per connection",
            "",
            "| server | connected | RSS before MiB | after MiB | KiB / connection (median, min–max) "
            "| KiB / connection from a fresh process |",
            "|---|---|---|---|---|---|",
        ]
        summary["idle"] = {}
        for s in SERVERS:
            rs = [r["result"] for r in idle if r["server"] == s]
            if rs:
                per = [x["rss_per_conn_kib"] for x in rs]
                lo, hi = spread(per)
                summary["idle"][s] = med(per)
                L.append(
                    f"| {s} | {med([x['connected'] for x in rs])} | "
                    f"{f(med([x['extra']['rss_before_kib'] for x in rs]) / 1024)} | "
                    f"{f(med([x['extra']['rss_after_kib'] for x in rs]) / 1024)} | "
                    f"{f(med(per))} ({f(lo)}–{f(hi)}) | "
                    f"{f(med([x.get('rss_per_conn_from_start_kib') for x in rs]))} |"
                )
        L += [
            "",
            "Per connection: RSS growth from after 50 sockets opened and closed (a fresh "
            "process's one-time set-up is not a socket's) to N open, over N; all of the "
            "server's processes (Parley with Redis: its Celery worker and beat too).",
            "",
        ]
    L += flood_section(runs, summary)
    L += upload_section(runs, summary)
    L += upload_section(runs, summary, "upload-stress")
    L += mixed_section(runs, summary)
    L += threads_section(runs, summary)
    hist = [r["result"] for r in runs if r["workload"] == "history" and "result" in r]
    if hist:
        summary["history"] = med([h["ratio_p50"] for h in hist])
        L += [
            "### History: page 1 vs page 10,000 (room of 1,000,000 messages, 100 per page)",
            "",
            f"- page 1: p50 {f(med([h['page1']['p50'] for h in hist]), 2)} ms, p99 {f(med([h['page1']['p99'] for h in hist]), 2)} ms",
            f"- page 10,000: p50 {f(med([h['page10000']['p50'] for h in hist]), 2)} ms, p99 {f(med([h['page10000']['p99'] for h in hist]), 2)} ms",
            f"- ratio (p50): {f(summary['history'], 2)}",
            "",
        ]
    L += search_section(runs, summary)
    L += slack_section(runs, summary)
    sc = [r for r in runs if r["workload"] == "scaling" and "result" in r]
    if sc:
        by = defaultdict(list)
        for r in sc:
            by[r["workers"]].append(r["result"]["phases"][0])
        d1 = med([p["deliveries_s"] for p in by.get(1, [])])
        d2 = med([p["deliveries_s"] for p in by.get(2, [])])
        summary["scaling"] = (d2 / d1) if d1 and d2 else None
        L += [
            "### Scaling: Parley WORKERS=1 vs 2 at saturation (1000-member room, "
            f"10 senders × {prof['sat_rate']} msg/s offered)",
            "",
            "| workers | deliveries/s (median) | p99 ms | lost | gen |",
            "|---|---|---|---|---|",
        ]
        for w in sorted(by):
            ph = by[w]
            L.append(
                f"| {w} | {f(med([p['deliveries_s'] for p in ph]), 0)} | "
                f"{f(med([p['latency_ms']['p99'] for p in ph]))} | {sum(p['lost'] for p in ph)} | "
                f"{'INVALID: ' + ph[0]['invalid'] if ph[0]['invalid'] else 'ok'} |"
            )
        L += ["", f"Ratio 2/1: {f(summary['scaling'], 2)}", ""]
    # ---- targets
    summary["cpus"] = results["machine"]["cpus"]
    L += targets(summary)
    if errors:
        L += (
            ["### Errors", ""]
            + [f"- r{e['repeat'] + 1} {e['workload']} {e['server']}: {e['error']}" for e in errors]
            + [""]
        )
    png = plot(summary, stem + ".png")
    if png:
        L += [f"![latency vs room size]({os.path.basename(png)})", ""]
    text = "\n".join(L)
    with open(stem + ".md", "w") as fh:
        fh.write(text)
    return text


def median_p99(phases: list[dict]) -> float | None:
    """The median of per-phase p99s (phases of equal length; the raw samples are not kept)."""
    return med([p["latency_ms"]["p99"] for p in phases])


def flood_section(runs: list[dict], summary: dict) -> list[str]:
    by_server: dict[str, list[dict]] = {}
    for r in runs:
        if r["workload"] == "flood" and "result" in r:
            by_server.setdefault(r["server"], []).append(r["result"])
    if not by_server:
        return []
    lines = [
        "### Flood: one member of a 100-member room sends at 10 × the send limit",
        "",
        "10 senders × 5 msg/s are measured at the other 99 members while member 99 sends at the "
        "limit (8 msg/s, the baseline: what any user may do) and at 10 × the limit "
        "(80 msg/s), in alternating phases of the same server process. Both phase kinds start "
        "by spending the burst allowance (30 frames at 80 msg/s); where `accepted` is the same "
        "for both, they differ only by the refused frames (runs before that change accepted "
        "~30 more of the flooder's messages per flood phase).",
        "",
        "| server | phase | phases | others' p50 ms | others' p99 ms (min–max) | lost "
        "| flooder's frames | accepted | refused | p99 flood / limit |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for server in [s for s in SERVERS if s in by_server]:
        fl = by_server[server]
        # by name: the first phase (a warm-up, or the spent burst of older runs) is not counted
        limit = [p for r in fl for p in r["phases"] if p["name"].startswith("limit")]
        flood = [p for r in fl for p in r["phases"] if p["name"].startswith("flood")]
        b99, f99 = median_p99(limit), median_p99(flood)
        ratio = (f99 / b99) if b99 and f99 else None
        if server == "parley":
            summary["flood"] = ratio
        for name, ph in (("at the limit", limit), ("10 × the limit", flood)):
            lo, hi = spread([p["latency_ms"]["p99"] for p in ph])
            sent_n, refused_n = sum(p["flood_sent"] for p in ph), sum(p["flood_refused"] for p in ph)
            lines.append(
                f"| {server} | {name} | {len(ph)} | {f(med([p['latency_ms']['p50'] for p in ph]))} | "
                f"{f(median_p99(ph))} ({f(lo)}–{f(hi)}) | {sum(p['lost'] for p in ph)} | "
                f"{sent_n} | {sent_n - refused_n} | {refused_n} | "
                f"{f(ratio, 3) if ph is flood else ''} |"
            )
    lines.append("")
    return lines


UPLOAD_KINDS = {
    "upload": (
        "upload",
        "one 10 MiB file a second",
        "uploads a 10 MiB file over REST (`POST rooms/{id}/uploads`), waits a second and uploads "
        "the next: the case the target is about (a person sharing a big file).",
    ),
    "upload-stress": (
        "upload_stress",
        "10 MiB files back to back",
        "uploads 10 MiB files over REST one after another with no pause, as fast as the server "
        "takes them: a stress case with no target, hundreds of MiB a second through a 2-core machine.",
    ),
}


def upload_section(runs: list[dict], summary: dict, workload: str = "upload") -> list[str]:
    key, what, how = UPLOAD_KINDS[workload]
    by_server: dict[str, list[dict]] = {}
    for r in runs:
        if r["workload"] == workload and "result" in r:
            by_server.setdefault(r["server"], []).append(r["result"])
    if not by_server:
        return []
    lines = [
        f"### Upload: one member of a 100-member room uploads {what}",
        "",
        "10 senders × 5 msg/s are measured at the 100 members, in alternating phases of the "
        f"same server process: alone, and while member 99 {how}",
        "",
        "| server | phase | phases | others' p50 ms | others' p99 ms (min–max) | lost "
        "| uploads (failed) | upload p50 ms | p99 upload / plain |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for server in [s for s in SERVERS if s in by_server]:
        res = by_server[server]
        plain = [p for r in res for p in r["phases"] if p["name"].startswith("plain")]
        busy = [p for r in res for p in r["phases"] if p["name"].startswith("upload")]
        p99, u99 = median_p99(plain), median_p99(busy)
        ratio = (u99 / p99) if p99 and u99 else None
        if server == "parley":
            summary[key] = ratio
        for name, ph in (("plain", plain), ("uploading", busy)):
            if not ph:
                continue
            lo, hi = spread([p["latency_ms"]["p99"] for p in ph])
            ups = f"{sum(p.get('uploads_ok', 0) for p in ph)} ({sum(p.get('uploads_failed', 0) for p in ph)})"
            lines.append(
                f"| {server} | {name} | {len(ph)} | {f(med([p['latency_ms']['p50'] for p in ph]))} | "
                f"{f(median_p99(ph))} ({f(lo)}–{f(hi)}) | {sum(p['lost'] for p in ph)} | "
                f"{ups if ph is busy else ''} | "
                f"{f(med([p['upload_ms_p50'] for p in ph if p.get('upload_ms_p50')])) if ph is busy else ''} | "
                f"{f(ratio, 3) if ph is busy else ''} |"
            )
    lines.append("")
    return lines


def edit_latency(phases: list[dict]) -> str:
    """The edits' median p50 / p99 over the phases that timed any."""
    timed = [p["edit_latency_ms"] for p in phases if p.get("edit_latency_ms")]
    if not timed:
        return ""
    return f"{f(med([t['p50'] for t in timed]))} / {f(med([t['p99'] for t in timed]))}"


def mixed_section(runs: list[dict], summary: dict) -> list[str]:
    by_server: dict[str, list[dict]] = {}
    for r in runs:
        if r["workload"] == "room-mixed" and "result" in r:
            by_server.setdefault(r["server"], []).append(r["result"])
    if not by_server:
        return []
    lines = [
        "### Edits and reactions mixed in: 100-member room, 10 senders × 5 msg/s",
        "",
        "Alternating phases of the same server process: plain sends, then a mix where one slot "
        "in ten of each sender is an action on its newest message instead of a send: an "
        "edit (its `message.updated` frame is timed at every receiver, from before it was sent) "
        "or a 👍 added or taken back (not timed; it only loads the room). The actions go as "
        "the web client sends them, `edit` and `react` frames on the sender's socket "
        '("via" ws), or over REST (`BENCH_PARLEY_ACTIONS=rest`; `parley-ref`, an earlier '
        "commit, always over REST). The p50/p99 columns are the messages' deliveries: what the "
        "mix must not slow down. The edits' own latency has a column of its own and is not in "
        "the ratio.",
        "",
        "| server | via | phase | phases | p50 ms | p99 ms (min–max) | lost | edits | edit p50 / p99 ms "
        "| reactions | failed actions | p99 mixed / plain |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for server in [s for s in SERVERS if s in by_server]:
        rs = by_server[server]
        plain = [p for r in rs for p in r["phases"] if p["name"].startswith("plain")]
        mixed = [p for r in rs for p in r["phases"] if p["name"].startswith("mixed")]
        b99, m99 = median_p99(plain), median_p99(mixed)
        ratio = (m99 / b99) if b99 and m99 else None
        if server == "parley":
            summary["mixed"] = ratio
        via = "/".join(sorted({r.get("actions", "rest") for r in rs}))
        for name, ph in (("plain sends", plain), ("10 % edits/reactions", mixed)):
            lo, hi = spread([p["latency_ms"]["p99"] for p in ph])
            lines.append(
                f"| {server} | {via} | {name} | {len(ph)} | {f(med([p['latency_ms']['p50'] for p in ph]))} | "
                f"{f(median_p99(ph))} ({f(lo)}–{f(hi)}) | {sum(p['lost'] for p in ph)} | "
                f"{sum(p.get('edits', 0) for p in ph)} | {edit_latency(ph)} | "
                f"{sum(p.get('reactions', 0) for p in ph)} | "
                f"{sum(p.get('action_errors', 0) for p in ph)} | {f(ratio, 3) if ph is mixed else ''} |"
            )
    lines.append("")
    return lines


def threads_section(runs: list[dict], summary: dict) -> list[str]:
    by_server: dict[str, list[dict]] = {}
    for r in runs:
        if r["workload"] == "room-threads" and "result" in r:
            by_server.setdefault(r["server"], []).append(r["result"])
    if not by_server:
        return []
    lines = [
        "### Thread replies: 100-member room, 10 senders × 5 msg/s, a third of them thread replies",
        "",
        "Alternating phases of the same server process, each with its sockets connected anew: "
        "plain sends, then phases where one send in three of each sender is a reply in the "
        "thread of its first message (each also logs its root's `message.updated`, which "
        "reaches every member but is not counted as a delivery). Replies reach every member "
        "like messages and are timed like them (issue 29: p99 within 1.1 × plain). CPU µs per "
        "delivery is the server's CPU time over the phase per delivered message: on a shared "
        "machine the fairer comparison of what each kind of phase costs.",
        "",
        "| server | phase | phases | p50 ms | p99 ms (min–max) | lost | errors | CPU µs / delivery "
        "| p99 threads / plain | CPU threads / plain |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for server in [s for s in SERVERS if s in by_server]:
        rs = by_server[server]
        plain = [p for r in rs for p in r["phases"] if p["name"].startswith("plain")]
        threaded = [p for r in rs for p in r["phases"] if p["name"].startswith("threads")]
        b99, t99 = median_p99(plain), median_p99(threaded)
        ratio = (t99 / b99) if b99 and t99 else None

        def cpu(ph: list[dict]) -> float | None:
            found = [p["server_cpu_us_per_delivery"] for p in ph if p.get("server_cpu_us_per_delivery")]
            return med(found) if found else None

        b_cpu, t_cpu = cpu(plain), cpu(threaded)
        cpu_ratio = (t_cpu / b_cpu) if b_cpu and t_cpu else None
        if server == "parley":
            summary["threads"] = ratio
            summary["threads_cpu"] = cpu_ratio
        for name, ph in (("plain sends", plain), ("1/3 thread replies", threaded)):
            lo, hi = spread([p["latency_ms"]["p99"] for p in ph])
            last = ph is threaded
            lines.append(
                f"| {server} | {name} | {len(ph)} | {f(med([p['latency_ms']['p50'] for p in ph]))} | "
                f"{f(median_p99(ph))} ({f(lo)}–{f(hi)}) | {sum(p['lost'] for p in ph)} | "
                f"{sum(p.get('errors', 0) for p in ph)} | {f(cpu(ph))} | {f(ratio, 3) if last else ''} | "
                f"{f(cpu_ratio, 3) if last else ''} |"
            )
    lines.append("")
    return lines


def targets(S: dict) -> list[str]:
    L = ["### Targets", "", "| target | measured | met |", "|---|---|---|"]

    def row(name, measured, ok):
        L.append(f"| {name} | {measured} | {'yes' if ok else ('no' if ok is not None else 'n/a')} |")

    big = S.get(1000, {})
    if "parley" in big and "relay" in big:
        r = big["parley"] / big["relay"]
        row(
            "1000-member room p99 ≤ 1.5 × relay",
            f"{big['parley']:.0f} / {big['relay']:.0f} ms = {r:.2f}×",
            r <= 1.5,
        )
    # issue 18: Socket.IO on Node is the peer to match while storing every message
    for size, factor in ((1000, 1.0), (100, 1.2)):
        room = S.get(size, {})
        if room.get("parley") is not None and room.get("socketio") is not None:
            r = room["parley"] / room["socketio"]
            row(
                f"{size}-member room p99 ≤ {'' if factor == 1.0 else f'{factor} × '}Socket.IO on Node's",
                f"{room['parley']:.0f} / {room['socketio']:.0f} ms = {r:.2f}×",
                r <= factor,
            )
    for other, name in (
        ("baseline", "1000-member room p99 ≤ 1/10 baseline (uvicorn)"),
        ("baseline-daphne", "… and vs baseline under daphne"),
    ):
        if big.get("parley") is None or other not in big:
            continue
        if big[other] is None:
            # Nothing after the warm-up arrived: a lost delivery's latency is unbounded.
            lost = S["loss-1000"][other][0]
            expected = S["expected-1000"][other]
            row(
                name,
                f"{other} lost {lost:,} of {expected:,} deliveries ({100 * lost / max(1, expected):.0f} %), "
                "none after the warm-up: p99 unbounded",
                True,
            )
        else:
            r = big[other] / big["parley"]
            row(name, f"{other}/parley = {r:.1f}×", r >= 10)
    if "parley" in S.get("loss-1000", {}):
        l, d, o = S["loss-1000"]["parley"]
        row("1000-member room: 0 lost / dup / reordered", f"{l} / {d} / {o}", l == d == o == 0)
    if "parley" in S.get("burst", {}):
        l, e = S["burst"]["parley"]
        row("burst into 100-member room: 0 lost", f"{l} of {e}", l == 0)
    if "parley" in S.get("idle", {}):
        v = S["idle"]["parley"]
        row("idle connection ≤ 20 KiB RSS (issue 18; was 40)", f"{v:.1f} KiB", v <= 20)
    if S.get("history") is not None:
        row("history page 10,000 ≤ 2 × page 1", f"{S['history']:.2f}×", S["history"] <= 2)
    for db, (worst, ratio) in S.get("search", {}).items():
        row(f"search p99 < 100 ms, rare and common terms ({db})", f"{worst:.1f} ms", worst < 100)
        row(f"send p99 with the index ≤ 1.2 × without ({db})", f"{ratio:.2f}×", ratio <= 1.2)
    if S.get("flood") is not None:
        row("others' p99 under a 10× flood < 1.10 × at the limit", f"{S['flood']:.3f}×", S["flood"] < 1.10)
    if S.get("upload") is not None:
        row(
            "others' p99 while a 10 MiB file a second uploads < 1.10 × plain",
            f"{S['upload']:.3f}×",
            S["upload"] < 1.10,
        )
    if S.get("upload_stress") is not None:
        row(
            "(stress, no target) others' p99 with 10 MiB uploads back to back",
            f"{S['upload_stress']:.3f}×",
            None,
        )
    if S.get("mixed") is not None:
        row(
            "100-member room p99 with 10 % edits/reactions ≤ 1.2 × plain sends",
            f"{S['mixed']:.3f}×",
            S["mixed"] <= 1.2,
        )
    if S.get("threads") is not None:
        row(
            "100-member room p99 with 1/3 thread replies ≤ 1.1 × plain sends",
            f"{S['threads']:.3f}×",
            S["threads"] <= 1.1,
        )
    if S.get("threads_cpu") is not None:
        row(
            "(no target) server CPU per delivery with 1/3 thread replies / plain sends",
            f"{S['threads_cpu']:.3f}×",
            None,
        )
    for db, (n, secs) in S.get("slack", {}).items():
        row(f"Slack import of {n:,} messages < 60 s ({db})", f"{secs:.1f} s", n >= 10_000 and secs < 60)
    if S.get("scaling") is not None:
        row("2 processes ≥ 1.6 × deliveries/s of 1", f"{S['scaling']:.2f}×", S["scaling"] >= 1.6)
    L.append("")
    if S.get("cpus", 0) <= 2:
        L += [
            f"On this {S.get('cpus')}-core machine the load generator, PostgreSQL, Redis and the "
            "server(s) share the cores. A second uvicorn process has no core of its own, so the "
            "scaling ratio measures contention, not Parley; and at 50,000 deliveries/s the "
            "generator needs as much CPU as the server, so 1000-member tail latencies compare the "
            "machine more than the servers (look at `gen`). Those two targets need a machine with "
            "cores to spare (or the generator on another host).",
            "",
        ]
    return L


def plot(S: dict, path: str):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    sizes = [s for s in (10, 100, 1000) if s in S]
    if not sizes:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.5))
    colors = {
        "parley": "tab:blue",
        "parley-ref": "tab:cyan",
        "parley-embedded": "tab:brown",
        "synapse": "tab:gray",
        "baseline": "tab:red",
        "baseline-daphne": "tab:orange",
        "relay": "tab:green",
        "socketio": "tab:purple",
        "socketio-durable": "tab:pink",
    }
    for s in SERVERS:
        xs = [z for z in sizes if S[z].get(s) is not None]
        if not xs:
            continue
        ax.plot(xs, [S[z][s] for z in xs], "o-", color=colors[s], label=f"{s} p99")
        p50 = [S.get(f"p50-{z}", {}).get(s) for z in xs]
        if all(v is not None for v in p50):
            ax.plot(xs, p50, "o--", color=colors[s], alpha=0.6, label=f"{s} p50")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("room size (members)")
    ax.set_ylabel("delivery latency (ms)")
    ax.set_title("Latency vs room size (10 rooms: many-rooms workload; 100/1000: 50 msg/s)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


SEARCH_TERMS = {
    "rare_en": "rare, English (1 in 100,000)",
    "rare_zh": "rare, Chinese bigram (1 in 100,000)",
    "common_en": "common, English (1 in 20)",
    "common_ja": "common, Japanese bigram (1 in 20)",
}


def search_section(runs: list, summary: dict) -> list[str]:
    """Issue 13: search p99 through the index beside the old LIKE scan, and the send's cost."""
    res = [r["result"] for r in runs if r["workload"] == "search" and "result" in r]
    if not res:
        return []
    L = []
    summary["search"] = {}
    for db in ("postgresql", "sqlite"):
        rs = [x[db] for x in res if db in x]
        if not rs:
            continue
        n = rs[0]["messages"]
        L += [
            f"### Search ({db}, a room of {n:,} messages in four languages)",
            "",
            "| term | hits on page 1 | index p50 ms | index p99 ms | LIKE scan p50 ms | LIKE scan p99 ms |",
            "|---|---|---|---|---|---|",
        ]
        for key, label in SEARCH_TERMS.items():
            L.append(
                f"| {label} | {rs[0]['hits'][key]} | {f(med([x['search'][key]['p50'] for x in rs]), 1)} | "
                f"{f(med([x['search'][key]['p99'] for x in rs]), 1)} | {f(med([x['like'][key]['p50'] for x in rs]), 1)} | "
                f"{f(med([x['like'][key]['p99'] for x in rs]), 1)} |"
            )
        send = [x["send"] for x in rs]
        ratio = med([s["ratio_p99"] for s in send])
        L += [
            "",
            f"- send with the index kept current: p50 {f(med([s['indexed']['p50'] for s in send]), 2)} ms, "
            f"p99 {f(med([s['indexed']['p99'] for s in send]), 2)} ms",
            f"- send without (SEARCH_INDEX=false): p50 {f(med([s['unindexed']['p50'] for s in send]), 2)} ms, "
            f"p99 {f(med([s['unindexed']['p99'] for s in send]), 2)} ms",
            f"- ratio (p99): {f(ratio, 2)}",
        ]
        if all("inline" in s for s in send):  # issue 34: the terms written by the send itself
            L.append(
                f"- send with the terms in its own INSERT (SEARCH_INDEX_DEFERRED=false): p50 "
                f"{f(med([s['inline']['p50'] for s in send]), 2)} ms, p99 "
                f"{f(med([s['inline']['p99'] for s in send]), 2)} ms, ratio (p99) "
                f"{f(med([s['inline_ratio_p99'] for s in send]), 2)}"
            )
        if all("index_lag_after_block" in s for s in send):
            L.append(
                f"- indexer lag after a block's last ack: p50 "
                f"{f(med([s['index_lag_after_block']['p50'] for s in send]), 1)} ms, p99 "
                f"{f(med([s['index_lag_after_block']['p99'] for s in send]), 1)} ms"
            )
        L.append("")
        if all("http" in x for x in rs):  # issue 34: GET /api/v1/search as the room's member
            L += [
                "| term, over HTTP | hits on page 1 | p50 ms | p99 ms |",
                "|---|---|---|---|",
            ]
            for key, label in SEARCH_TERMS.items():
                L.append(
                    f"| {label} | {rs[0]['http']['hits'][key]} | "
                    f"{f(med([x['http']['search'][key]['p50'] for x in rs]), 1)} | "
                    f"{f(med([x['http']['search'][key]['p99'] for x in rs]), 1)} |"
                )
            L.append("")
        where = "http" if all("http" in x for x in rs) else None  # the target is over HTTP (issue 34)
        worst = max(med([(x[where] if where else x)["search"][k]["p99"] for x in rs]) for k in SEARCH_TERMS)
        summary["search"][db] = (worst, ratio)
    return L


def slack_section(runs: list, summary: dict) -> list[str]:
    """Issue 32's import from Slack: the whole command's time for an export of N messages,
    each run on a fresh database, and a second run that must import nothing."""
    found = [r["result"] for r in runs if r["workload"] == "slack-import" and "result" in r]
    if not found:
        return []
    lines = [
        "### Import from Slack (`manage.py import_slack`, issue 32)",
        "",
        "An export in Slack's format built by `parley/testing/slack_export.py` (public and "
        "private channels, a group DM, a DM, a thread, reactions, an edit, files), imported "
        "on a fresh database; then the same export again, which must make nothing. `import s` "
        "is the command's own count (from reading the zip to the last commit); `command s` "
        "adds starting Django.",
        "",
        "| database | messages | import s (min–max) | messages/s | command s | second run s |",
        "|---|---|---|---|---|---|",
    ]
    slack: dict = {}
    for db in ("sqlite", "postgresql"):
        rs = [r[db] for r in found if db in r]
        if not rs:
            continue
        secs = [r["import_s"] for r in rs]
        lo, hi = spread(secs)
        n = rs[0]["messages"]
        slack[db] = (n, med([r["command_s"] for r in rs]))
        lines.append(
            f"| {db} | {n:,} | {f(med(secs))} ({f(lo)}–{f(hi)}) | "
            f"{f(med([r['messages_per_s'] for r in rs]), 0)} | {f(med([r['command_s'] for r in rs]))} | "
            f"{f(med([r['second_run_s'] for r in rs]))} |"
        )
    summary["slack"] = slack
    lines.append("")
    return lines
