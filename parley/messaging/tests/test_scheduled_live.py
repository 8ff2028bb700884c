"""Issue 30's acceptance for scheduled messages and reminders, on real processes: each
arrives at its time, exactly once, on the embedded default (SQLite, the in-process beat)
and across two `parley.serve` processes on PostgreSQL + Redis (each with its Celery worker
and beat, so two beats and two workers race for every due row), also when every process
was stopped over the time it was due and started again (it goes out late, once, saying
when it was meant for)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from parley.testing import logguard
from parley.testing.live import ROOT, ServerProcess, base_env, migrate, private_database, services_or_skip
from parley.testing.remote import RemoteUser
from parley.testing.waits import wait_until

pytestmark = [pytest.mark.processes]

JOBS = {
    "PARLEY_JOBS": "1",
    "SCHEDULED_INTERVAL": "1",
    "CELERY_CONCURRENCY": "2",
    "CELERY_LOG_LEVEL": "warning",
}


def _at(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Site:
    """Web servers sharing one database, and (with Redis) Celery workers each running a beat
    (`worker -B`, its own schedule file), all started and stopped by the test itself so a
    restart leaves no process behind. `stop` stops every one; `start` starts them again."""

    def __init__(self, envs: list[dict[str, str]], workers: int = 0):
        self.envs = envs
        self.worker_count = workers
        self.servers: list[ServerProcess] = []
        self.workers: list[tuple[subprocess.Popen[bytes], Any, Path]] = []
        try:
            self.start()
        except BaseException:
            self.stop()
            raise

    def start(self) -> None:
        for env in self.envs:
            self.servers.append(ServerProcess(env).start(timeout=90))
        for i in range(self.worker_count):
            env = self.envs[i % len(self.envs)]
            log = tempfile.NamedTemporaryFile(prefix="parley-celery-", suffix=".log", delete=False)  # noqa: SIM115
            watched = logguard.watch(log.name, f"celery worker {i}")
            schedule = Path(tempfile.mkdtemp(prefix="parley-beat-")) / "schedule"
            proc = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-B",
                 "-s", str(schedule), "--loglevel=warning", "-n", f"w{i}-{uuid.uuid4().hex[:6]}@%h"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            self.workers.append((proc, watched, Path(log.name)))

    def stop(self) -> None:
        self.stop_workers()
        for server in self.servers:
            server.stop()
        self.servers = []

    def stop_workers(self) -> None:
        for proc, watched, log in self.workers:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
            watched.close()
            log.unlink(missing_ok=True)
        self.workers = []

    @property
    def urls(self) -> list[str]:
        return [s.url for s in self.servers]


def _reminder_dm(user: RemoteUser) -> dict[str, Any] | None:
    rooms = user.http.get("rooms", params={"joined": "true"}).json()
    rooms = rooms if isinstance(rooms, list) else rooms.get("rooms", rooms.get("results", []))
    for room in rooms:
        if room.get("kind") == "direct" and any(
            m["username"] == "reminder" for m in room.get("dm_members", [])
        ):
            return room  # type: ignore[no-any-return]
    return None


def _bodies(user: RemoteUser, room_id: int) -> list[str]:
    return [m["body"] for m in user.history(room_id, limit=100)]


def _warm_up(user: RemoteUser) -> None:
    """Wait until the jobs run at all (workers and beats start slowly on a busy machine):
    a message scheduled one second ahead in a room of its own has gone out."""
    room = user.create_room()
    made = user.http.post(
        f"rooms/{room['id']}/scheduled", json={"body": "warm-up", "send_at": _at(1).isoformat()}
    )
    assert made.status_code == 201, made.text
    wait_until(lambda: user.history(room["id"]), timeout=120, what="the jobs to run")


def _scenario(site: Site) -> None:
    a_url, b_url = site.urls[0], site.urls[-1]
    ada = RemoteUser.register(a_url)
    bob = RemoteUser.register(b_url)
    room = ada.create_room()
    bob.join(room["id"])
    _warm_up(ada)

    # 1. While the servers run: a message due in 4 s, and a reminder due in 4 s.
    first_at = _at(4)
    made = ada.http.post(
        f"rooms/{room['id']}/scheduled", json={"body": "on time", "send_at": first_at.isoformat()}
    )
    assert made.status_code == 201, made.text
    asked = RemoteUser(b_url, ada.username, ada.token, ada.user).http.post(
        f"rooms/{room['id']}/messages", json={"body": "/remind me in 4 seconds water the plants"}
    )
    assert asked.status_code == 202 and asked.json()["level"] == "info", asked.text
    reminded_after = datetime.now(UTC) + timedelta(seconds=4)

    seen = wait_until(
        lambda: [m for m in bob.history(room["id"]) if m["body"] == "on time"], timeout=40, what="the message"
    )
    created = _parse(seen[0]["created_at"])
    assert created >= first_at - timedelta(milliseconds=5), (created, first_at)
    assert created - first_at < timedelta(seconds=15), "it went out long after its time"
    assert seen[0]["sender"]["username"] == ada.username
    dm = wait_until(lambda: _reminder_dm(ada), timeout=40, what="the reminder bot's DM")
    reminder = wait_until(lambda: ada.history(dm["id"]), timeout=40, what="the reminder")
    assert [m["body"] for m in reminder] == ["⏰ Reminder: water the plants"]
    assert _parse(reminder[0]["created_at"]) >= reminded_after - timedelta(seconds=1)

    # 2. Due while every process is down: stored, so it goes out once they are back, late.
    # (The workers stop first: stopping one can take longer than the 3 s to the due time.)
    site.stop_workers()
    late_at = _at(3)
    made = ada.http.post(
        f"rooms/{room['id']}/scheduled", json={"body": "after the restart", "send_at": late_at.isoformat()}
    )
    assert made.status_code == 201, made.text
    asked = ada.http.post(f"rooms/{room['id']}/messages", json={"body": "/remind me in 3 seconds call back"})
    assert asked.status_code == 202 and asked.json()["level"] == "info", asked.text
    site.stop()
    time.sleep(max(0.0, (late_at - datetime.now(UTC)).total_seconds()) + 3)
    site.start()
    ada = RemoteUser(site.urls[0], ada.username, ada.token, ada.user)
    bob = RemoteUser(site.urls[-1], bob.username, bob.token, bob.user)
    seen = wait_until(
        lambda: [m for m in bob.history(room["id"]) if m["body"] == "after the restart"],
        timeout=60,
        what="the message due while down",
    )
    assert seen[0]["scheduled_for"] is not None
    assert _parse(seen[0]["created_at"]) - _parse(seen[0]["scheduled_for"]) > timedelta(
        seconds=2
    )  # late, said so
    wait_until(lambda: len(ada.history(dm["id"])) == 2, timeout=60, what="the second reminder")

    # 3. Exactly once each, after several more runs of every beat.
    time.sleep(4)
    assert _bodies(bob, room["id"]) == ["on time", "after the restart"]  # a /remind is no message
    assert _bodies(ada, dm["id"]) == ["⏰ Reminder: water the plants", "⏰ Reminder: call back"]
    states = [(r["kind"], r["state"]) for r in ada.http.get("scheduled").json()["results"]]
    assert sorted(states) == [("message", "sent")] * 3 + [("reminder", "sent")] * 2  # with the warm-up


@pytest.fixture
def embedded() -> Iterator[Site]:
    with private_database("sqlite") as db:
        env = base_env(db, **JOBS)
        migrate(env)
        site = Site([env])  # PARLEY_JOBS=1 without Redis: the in-process beat
        try:
            yield site
        finally:
            site.stop()


@pytest.mark.embedded_only
def test_on_the_embedded_default_each_arrives_once_at_its_time_and_after_a_restart(embedded: Site) -> None:
    _scenario(embedded)


@pytest.fixture
def cluster() -> Iterator[Site]:
    _db, redis_url = services_or_skip()
    with private_database("postgres") as db:
        # Two web processes that run no jobs, and two workers each with a beat of its own:
        # every due row is raced for by two beats' tasks on two workers.
        env = base_env(db, redis_url, **{**JOBS, "PARLEY_JOBS": "0"})
        migrate(env)
        site = Site([env, env], workers=2)
        try:
            yield site
        finally:
            site.stop()


@pytest.mark.services
def test_across_two_processes_on_postgresql_and_redis_each_arrives_once_also_after_a_restart(
    cluster: Site,
) -> None:
    _scenario(cluster)
