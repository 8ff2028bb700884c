"""Run Parley under uvicorn with the flags it is tuned for.

`make run`, `make serve`, the multi-process tests and the benchmarks all start
the server through here, so they measure and test the same thing.
Environment: PORT (8000), HOST (127.0.0.1), WORKERS (1), DEBUG, plus the settings' own.
PORT=0 lets the system choose a free port; PARLEY_PORT_FILE names a file that receives the
port once the socket listens (how tests and the benchmark learn it, race-free).

Background jobs start with it (PARLEY_JOBS=0 turns that off): with a broker
(CELERY_BROKER_URL, by default REDIS_URL), a Celery worker and a Celery beat as child
processes that stop with the server; without, or with JOBS_IN_WEB=true (the small-install
mode, one process), the periodic jobs on a thread of this process (config/celery.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from parley.realtime.internals import websocket_protocol

# How uvicorn speaks HTTP and WebSocket. The raw frame writer
# (parley.realtime.internals.RawWriter) needs the sans-I/O WebSocket protocol (or a subclass)
# and uncompressed frames; its test starts a server with these same options.
PROTOCOL_OPTIONS: dict[str, Any] = {
    "http": "httptools",
    # uvicorn's "websockets-sansio" protocol with a lighter receive queue (issue 18: an
    # idle socket's memory), or uvicorn's own when its class changed (with a warning);
    # see parley.realtime.internals.
    "ws": websocket_protocol(),
    "ws_per_message_deflate": False,
    # Frames over 64 KiB get an error frame from the consumer; past 1 MiB the
    # connection is closed (1009) before anything is buffered.
    "ws_max_size": 1024 * 1024,
    # No protocol-level pings: the one keepalive is the hub's JSON ping, answered by the
    # client (docs/protocol.md, "Keepalive"); a browser cannot see protocol pings, and each
    # socket's ping timers would add to an idle socket's memory.
    "ws_ping_interval": None,
}


def _shared_metrics_dir() -> None:
    """Several workers share one port, so a scrape reaches any one of them: they keep their
    metrics in files under PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess
    mode) and /metrics adds them up. Set before a worker imports prometheus_client;
    emptied at start, as prometheus-client requires, so counters begin at zero."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        folder = tempfile.mkdtemp(prefix="parley-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()


def _broker(env: dict[str, str]) -> str:
    """Celery's broker as the settings choose it: CELERY_BROKER_URL, else REDIS_URL."""
    return env.get("CELERY_BROKER_URL") or env.get("REDIS_URL") or ""


# What django-environ's env.bool reads as true (config/settings.py reads the same variables).
_TRUE = {"true", "on", "ok", "y", "yes", "1"}


def _jobs_on(env: dict[str, str]) -> bool:
    return env.get("PARLEY_JOBS", "1").lower() not in {"0", "false", "off", "no"}


def jobs_in_web(env: dict[str, str]) -> bool:
    """Whether the jobs run in the web process: without a broker, or when JOBS_IN_WEB asks for
    it with one (the small-install mode; settings.CELERY_TASK_ALWAYS_EAGER is then true)."""
    return not _broker(env) or env.get("JOBS_IN_WEB", "").lower() in _TRUE


def job_commands(env: dict[str, str]) -> list[list[str]]:
    """The Celery processes to run beside the web server (none when the jobs run in it)."""
    if jobs_in_web(env) or not _jobs_on(env):
        return []
    celery = [sys.executable, "-m", "celery", "-A", "config"]
    level = env.get("CELERY_LOG_LEVEL", "warning")
    worker = [*celery, "worker", f"--loglevel={level}", f"--concurrency={env.get('CELERY_CONCURRENCY', '2')}"]
    return [worker, [*celery, "beat", f"--loglevel={level}"]]


def start_jobs(env: dict[str, str], *, reload: bool = False) -> list[subprocess.Popen[bytes]]:
    """Start the jobs (docs/jobs.md). Without REDIS_URL, or with JOBS_IN_WEB, the periodic ones
    run on a thread of the process that serves: this one, or under --reload the served child,
    which starts them when it loads the app (config/asgi.py, `PARLEY_BEAT_IN_APP`)."""
    children = [subprocess.Popen(cmd, env=env) for cmd in job_commands(env)]
    if not children and jobs_in_web(env) and _jobs_on(env):
        if reload:
            os.environ["PARLEY_BEAT_IN_APP"] = "1"
            return children
        import django

        django.setup()
        from config.celery import start_inprocess_beat

        start_inprocess_beat()
    return children


def stop_jobs(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(5)


def _memory_probe(prefix: str) -> None:
    """Benchmark only (PARLEY_MEMPROBE=<file prefix>, set by `python -m bench.memory`, never
    by default): trace allocations from the start, and on SIGUSR2 write a tracemalloc
    snapshot (<prefix>.<n>.snap) and a count and `sys.getsizeof` total of the live
    gc-tracked objects by type (<prefix>.<n>.types.json). Two dumps, before and after
    opening N idle sockets, say where each socket's bytes go. Tracing slows the server
    and costs memory of its own: the probe attributes bytes, the RSS figures come from a
    run without it."""
    import gc
    import itertools
    import json
    import tracemalloc

    tracemalloc.start(int(os.environ.get("PARLEY_MEMPROBE_FRAMES", "8")))
    counter = itertools.count()

    def dump(_signum: int, _frame: Any) -> None:
        n = next(counter)
        gc.collect()
        types: dict[str, list[int]] = {}
        for obj in gc.get_objects():
            kind = type(obj)
            entry = types.setdefault(f"{kind.__module__}.{kind.__qualname__}", [0, 0])
            entry[0] += 1
            entry[1] += sys.getsizeof(obj)
        tracemalloc.take_snapshot().dump(f"{prefix}.{n}.snap")
        with open(f"{prefix}.{n}.types.json", "w") as fh:
            json.dump(types, fh)

    signal.signal(signal.SIGUSR2, dump)


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    if os.environ.get("PARLEY_MEMPROBE"):
        _memory_probe(os.environ["PARLEY_MEMPROBE"])

    # The event loop hands work to database threads and back many times per
    # message; Python's default 5 ms GIL switch interval turns each hand-off
    # into a wait of up to 5 ms under load. 1 ms keeps that latency small.
    sys.setswitchinterval(float(os.environ.get("PARLEY_SWITCH_INTERVAL", "0.001")))
    args = argv if argv is not None else sys.argv[1:]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    workers = int(os.environ.get("WORKERS", "1"))
    if workers > 1 and not (os.environ.get("REDIS_URL") or os.environ.get("REDIS_CLUSTER_URL")):
        sys.exit(
            "WORKERS > 1 needs REDIS_URL or REDIS_CLUSTER_URL: processes reach each other's sockets "
            "through Redis."
        )
    if workers > 1 and _broker(dict(os.environ)) and jobs_in_web(dict(os.environ)):
        sys.exit(
            "JOBS_IN_WEB runs the jobs in the one web process (the small-install mode): it needs "
            "WORKERS=1. With more web processes, run a Celery worker and beat (docs/jobs.md)."
        )
    if workers > 1 or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        _shared_metrics_dir()
    debug = os.environ.get("DEBUG", "").lower() in {"1", "true", "yes", "on"}
    reload = "--reload" in args
    children = start_jobs(dict(os.environ), reload=reload)
    try:
        _serve(uvicorn, workers=workers, reload=reload, debug=debug)
    finally:
        stop_jobs(children)


def _serve(uvicorn: Any, *, workers: int, reload: bool, debug: bool) -> None:
    from parley.common.logs import uvicorn_log_config

    log_level = os.environ.get("UVICORN_LOG_LEVEL", "info" if debug else "warning")
    options: dict[str, Any] = {
        "host": os.environ.get("HOST", "127.0.0.1"),
        "port": int(os.environ.get("PORT", "8000")),
        "workers": workers,
        "reload": reload,
        "loop": "uvloop",
        **PROTOCOL_OPTIONS,
        "proxy_headers": False,
        "access_log": debug,
        "log_level": log_level,
        "log_config": uvicorn_log_config(os.environ.get("LOG_FORMAT", "plain"), log_level),
        "timeout_graceful_shutdown": 5,
    }
    port_file = os.environ.get("PARLEY_PORT_FILE")
    if not port_file or reload:
        uvicorn.run("config.asgi:application", **options)
        return
    _serve_reporting_port(uvicorn, options, Path(port_file))


def _serve_reporting_port(uvicorn: Any, options: dict[str, Any], port_file: Path) -> None:
    """Bind and listen first, write the port the socket got, then serve on that socket: what
    `uvicorn.run` does for several workers, done for one too. A test that starts servers side
    by side gives PORT=0 and reads the file: no port is picked in advance, so none can be
    taken by another process between the pick and the bind."""
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config("config.asgi:application", **options)
    sock = config.bind_socket()
    sock.listen(config.backlog)  # connections queue from here on, before the app is loaded
    write_port(port_file, sock.getsockname()[1])
    if config.workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])


def write_port(path: Path, port: int) -> None:
    """Whole or not at all: a reader polling for the file never sees half a number."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(f"{port}\n")
    partial.replace(path)


if __name__ == "__main__":
    main()
