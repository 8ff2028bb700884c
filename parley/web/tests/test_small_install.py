"""The small-install mode (issue 34; docs/deploy.md, "Small install") run for real.

The deploy kit offers it three ways (deploy/compose.small.yml over docker-compose.yml,
deploy/Procfile.small, the systemd drop-in deploy/systemd/parley-web.service.d/): the same
variables each time. The test starts `python -m parley.serve` with the compose web's
environment and the small variant's on top, on PostgreSQL and Redis, with the documented
interval variables shortened so that every periodic job fires within seconds, and checks:
one process and no Celery process beside it; an asked-for job (the verification mail)
runs; every entry of the beat schedule runs in that process; and a scheduled message,
posted by the periodic job, reaches a socket held by another web process through Redis.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from parley.testing.live import (
    ROOT,
    SHORT_JOB_INTERVALS,
    ServerProcess,
    base_env,
    migrate,
    private_database,
    services_or_skip,
)
from parley.testing.remote import PASSWORD, RemoteUser
from parley.testing.waits import wait_until

pytestmark = [pytest.mark.processes]

DEPLOY = ROOT / "deploy"


def compose_small() -> dict[str, Any]:
    return dict(yaml.safe_load((DEPLOY / "compose.small.yml").read_text())["services"])


def small_variables() -> dict[str, str]:
    """What the small install sets on the web, as deploy/compose.small.yml says it."""
    return {key: str(value) for key, value in compose_small()["web"]["environment"].items()}


def test_the_kit_offers_one_small_install_three_ways() -> None:
    small = small_variables()
    assert small == {"WORKERS": "1", "PARLEY_JOBS": "1", "JOBS_IN_WEB": "true"}
    services = compose_small()
    # The worker and the beat start only under a profile nobody passes; nothing else changes.
    assert set(services) == {"web", "worker", "beat"}
    assert services["worker"] == services["beat"] == {"profiles": ["split-jobs"]}
    procfile = dict(
        line.split(": ", 1) for line in (DEPLOY / "Procfile.small").read_text().splitlines() if line.strip()
    )
    assert set(procfile) == {"release", "web"}, "no worker or beat in the small Procfile"
    assert procfile["release"] == (ROOT / "Procfile").read_text().splitlines()[0].split(": ", 1)[1]
    words = shlex.split(procfile["web"])
    assert words[-3:] == ["python", "-m", "parley.serve"]
    assert dict(w.split("=", 1) for w in words[:-3]) == {"HOST": "0.0.0.0", **small}
    dropin = (DEPLOY / "systemd" / "parley-web.service.d" / "small-install.conf").read_text().splitlines()
    environment = [line.split("=", 1)[1] for line in dropin if line.startswith("Environment=")]
    assert len(environment) == 1 and dict(w.split("=", 1) for w in environment[0].split()) == small


def descendants(pid: int) -> list[int]:
    out, stack = [], [pid]
    while stack:
        for task in Path(f"/proc/{stack.pop()}/task").iterdir():
            kids = [int(x) for x in (task / "children").read_text().split()]
            out += kids
            stack += kids
    return out


def beat_schedule(env: dict[str, str]) -> set[str]:
    """The tasks of the schedule the server runs under this environment."""
    code = (
        "import django; django.setup(); from config.celery import app; "
        "print(' '.join(sorted({e['task'] for e in app.conf.beat_schedule.values()})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(out.stdout.split())


@pytest.fixture
def small_site() -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """The small install's one web process, and a second web process on the same database and
    Redis with no jobs at all (PARLEY_JOBS=0), where the test holds a socket."""
    _db, redis_url = services_or_skip()
    with private_database("postgres") as db:
        env = base_env(db, redis_url, EMAIL_URL="consolemail://", LOG_LEVEL="INFO", **SHORT_JOB_INTERVALS)
        env.update(small_variables())
        migrate(env)
        other_env = {**env, "PARLEY_JOBS": "0"}
        other_env.pop("JOBS_IN_WEB")
        web = ServerProcess(env)
        other = ServerProcess(other_env)
        try:
            web.start(timeout=90)
            other.start(timeout=90)
            yield web, other
        finally:
            other.stop()
            web.stop()


def test_jobs_run_in_the_one_web_process_with_redis(small_site: tuple[ServerProcess, ServerProcess]) -> None:
    web, other = small_site
    assert web.proc is not None
    # One process: no Celery worker, pool child or beat was started beside the web.
    assert descendants(web.proc.pid) == []

    # An asked-for job (its task's .delay()): the verification mail, sent by the web process.
    email = "small@example.org"
    made = httpx.post(
        f"{web.url}/api/v1/auth/register", json={"username": "small", "password": PASSWORD, "email": email}
    )
    assert made.status_code == 201, made.text
    wait_until(lambda: re.search(r"/verify-email\?token=\S+", web.output()), timeout=30, what="the mail")

    # A periodic job's effect, through Redis to a socket on the other process.
    ada = RemoteUser.register(web.url)
    bob = RemoteUser.register(other.url)
    room = ada.create_room()
    bob.join(room["id"])
    due = datetime.now(UTC) + timedelta(seconds=2)

    async def scheduled_message_arrives() -> dict[str, Any]:
        sock = await bob.socket()
        try:
            made = ada.http.post(
                f"rooms/{room['id']}/scheduled", json={"body": "from the job", "send_at": due.isoformat()}
            )
            assert made.status_code == 201, made.text
            return (await sock.messages(1, timeout=40))[0]
        finally:
            await sock.close()

    frame = asyncio.run(scheduled_message_arrives())
    assert frame["message"]["body"] == "from the job", frame
    assert frame["message"]["sender"]["username"] == ada.username

    # Every entry of the beat schedule ran in the web process (Celery's own trace line).
    tasks = beat_schedule(web.env)
    assert len(tasks) >= 8, tasks

    def all_ran() -> bool:
        out = web.output()
        return all(re.search(rf"Task {re.escape(task)}\[\S+\] succeeded", out) for task in tasks)

    wait_until(all_ran, timeout=30, what="a run of every periodic job")
    assert "NotRegistered" not in web.output()
    # The other process ran none: it has no jobs, and nothing was queued for a worker.
    assert "succeeded" not in other.output()


def test_jobs_in_web_refuses_several_web_processes() -> None:
    """Each would run the periodic jobs: the server says so and does not start."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.update(REDIS_URL="redis://127.0.0.1:1/0", JOBS_IN_WEB="true", WORKERS="2", PORT="0")
    done = subprocess.run(
        [sys.executable, "-m", "parley.serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "JOBS_IN_WEB" in done.stderr and "WORKERS=1" in done.stderr
