"""LOG_FORMAT=json turns every log line into one JSON object; the default stays readable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = (
    "import logging; log = logging.getLogger('parley.probe'); log.warning('plain %s', 'words'); "
    "\ntry:\n    1/0\nexcept ZeroDivisionError:\n    log.exception('it broke: 中文')"
)


def run_with(fmt: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PARLEY_TEST", "LOG_"))}
    env.pop("DATABASE_URL", None)
    env.update(DEBUG="true", LOG_LEVEL="INFO")
    if fmt:
        env["LOG_FORMAT"] = fmt
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stderr


@pytest.mark.processes
def test_json_log_lines_parse_and_carry_the_exception() -> None:
    lines = [json.loads(line) for line in run_with("json").splitlines() if line.strip()]
    probe = [line for line in lines if line["logger"] == "parley.probe"]
    assert [(p["level"], p["message"]) for p in probe] == [
        ("WARNING", "plain words"),
        ("ERROR", "it broke: 中文"),
    ]
    assert "ZeroDivisionError" in probe[1]["exception"] and "exception" not in probe[0]
    assert probe[0]["time"].endswith("+00:00")


@pytest.mark.processes
def test_plain_logs_by_default() -> None:
    out = run_with(None)
    assert "WARNING parley.probe: plain words" in out
    assert "Traceback" in out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out.splitlines()[0])


@pytest.mark.processes
@pytest.mark.embedded_only
@pytest.mark.parametrize(
    "mode",
    [{"DEBUG": "true"}, {"DEBUG": "false", "UVICORN_LOG_LEVEL": "info"}],
    ids=["make-run", "make-serve-verbose"],
)
async def test_tokens_in_urls_never_reach_the_server_log(mode: dict[str, str]) -> None:
    """uvicorn logs each request's path with its query string, and "WebSocket /ws/?token=…"
    on connect: the credential must be cut out of both (issue 28, finding 9)."""

    import httpx

    from parley.testing.live import ServerProcess, base_env, migrate, private_database
    from parley.testing.remote import RemoteUser
    from parley.testing.waits import wait_until

    with private_database("sqlite") as db:
        env = base_env(db, **mode)
        migrate(env)
        server = ServerProcess(env).start()
        try:
            user = RemoteUser.register(server.url)
            sock = await user.socket()
            await sock.close()
            httpx.get(f"{server.url}/reset-password?token=MQ.secret-reset-link")
            httpx.get(f"{server.url}/healthz?ticket=another-secret")
            wait_until(lambda: "/ws/" in server.output(), what="the socket's line in the server log")
            log = server.output()
            assert "/ws/?token=[redacted]" in log, log[-2000:]
            assert user.token not in log and "secret-reset-link" not in log and "another-secret" not in log
        finally:
            server.stop()


def test_the_nginx_config_logs_websocket_requests_without_their_query_string() -> None:
    import re

    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    ws = re.search(r"location /ws/ \{(.*?)\n    \}", conf, re.S)
    assert ws is not None
    used = re.search(r"^\s*access_log\s+\S+\s+(\w+);", ws.group(1), re.M)
    assert used is not None, "location /ws/ must log with a format of its own"
    fmt = re.search(rf"log_format {used.group(1)}\s+((?:'[^']*'\s*)+);", conf)
    assert fmt is not None
    variables = set(re.findall(r"\$(\w+)", fmt.group(1)))
    with_query = {"request", "request_uri", "args", "query_string", "arg_token"}
    assert "uri" in variables and not variables & with_query
