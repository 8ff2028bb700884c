"""A real Celery worker (and beat) on Redis mails the verification link and a digest, and
sends a push (retried after the push service's 503), end to end."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from parley.testing import logguard
from parley.testing.live import ROOT, ServerProcess, base_env, migrate, private_database, services_or_skip
from parley.testing.push import LocalPushService
from parley.testing.remote import RemoteUser
from parley.testing.waits import wait_until

pytestmark = [pytest.mark.processes, pytest.mark.services]


def _mail_text(folder: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted(folder.glob("*.log")))


def _wait_for(folder: Path, pattern: str, timeout: float = 60) -> re.Match[str]:
    try:
        return wait_until(lambda: re.search(pattern, _mail_text(folder)), timeout=timeout, interval=0.1)
    except AssertionError:
        raise AssertionError(
            f"no mail matching {pattern!r}; mail so far:\n{_mail_text(folder)[-3000:]}"
        ) from None


def _digest_clock_started(database_url: str, username: str) -> bool:
    import psycopg

    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT digest_through FROM accounts_user WHERE username = %s", (username,)
        ).fetchone()
    return row is not None and row[0] is not None


def _digest_scans(worker_log: Path) -> int:
    """Digest scans the worker finished (its log at info level names each task it ran)."""
    return len(re.findall(r"digests_send_due\[[^]]+\] succeeded", worker_log.read_text(errors="replace")))


@dataclass
class Site:
    server: ServerProcess
    outbox: Path
    database_url: str
    worker_log: Path


@pytest.fixture
def worker_site() -> Iterator[Site]:
    _db, redis_url = services_or_skip()
    outbox = Path(tempfile.mkdtemp(prefix="parley-mail-"))
    with private_database("postgres") as db:
        env = base_env(
            db,
            redis_url,
            EMAIL_URL=f"filemail://{outbox}",
            MAIL_DIGEST_DELAY="2",
            MAIL_DIGEST_INTERVAL="1",
            SITE_URL="http://parley.test",
            # Pushes go to the test's local push service on loopback; a retry waits half a second.
            PUSH_ALLOW_PRIVATE="true",
            PUSH_BACKOFF="0.5",
        )
        migrate(env)
        server = ServerProcess(env).start()
        log = tempfile.NamedTemporaryFile(prefix="parley-celery-", suffix=".log", delete=False)  # noqa: SIM115
        watched = logguard.watch(log.name, "celery worker")  # its errors fail the test too
        # --pool=solo: one process, no forks; -B runs beat inside it. The key prefix
        # (PARLEY_REDIS_PREFIX, fresh per test) keeps its queues private in the shared Redis.
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "-B",
                "--loglevel=info",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield Site(server, outbox, db, Path(log.name))
        finally:
            worker.terminate()
            try:
                worker.wait(15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(5)
            watched.close()
            server.stop()
            lines = Path(log.name).read_text(errors="replace").splitlines()
            print("\n".join(line for line in lines if "digest" not in line)[-4000:])  # shown on failure
            log.close()
            Path(log.name).unlink(missing_ok=True)


def test_a_worker_mails_the_verification_link_and_then_one_digest(
    worker_site: Site,
) -> None:
    server, outbox = worker_site.server, worker_site.outbox
    r = httpx.post(
        f"{server.url}/api/v1/auth/register",
        json={"username": "away", "password": "a-long enough passphrase 42", "email": "away@example.org"},
    )
    assert r.status_code == 201
    away = RemoteUser(server.url, "away", r.json()["token"], r.json()["user"])
    token = _wait_for(outbox, r"http://parley\.test/verify-email\?token=(\S+)").group(1)
    assert httpx.post(f"{server.url}/api/v1/auth/verify-email", json={"token": token}).json()[
        "email_verified"
    ]
    talker = RemoteUser.register(server.url)
    room = talker.create_room("digest-room")
    away.join(room["id"])
    # The first scan after verification starts the user's digest clock; messages before it
    # do not count as missed.
    wait_until(lambda: _digest_clock_started(worker_site.database_url, "away"), timeout=30)
    for i in range(3):
        talker.http.post(f"rooms/{room['id']}/messages", json={"body": f"news {i}", "client_id": f"n{i}"})
    _wait_for(outbox, r"3 new messages on Parley")
    scans = _digest_scans(worker_site.worker_log)
    wait_until(lambda: _digest_scans(worker_site.worker_log) >= scans + 2, timeout=30, what="two more scans")
    # ...and still one digest for the three messages
    text = _wait_for(outbox, r"news 2").string
    assert text.count("while you were away") == 1
    assert "digest-room" in text and "news 0" in text
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in text
    assert "List-Unsubscribe:" in text
    link = re.search(r"Stop these mails: http://parley\.test(\S+)", text)
    assert link
    r = httpx.post(server.url + link.group(1).replace("&amp;", "&"))
    assert r.status_code == 200
    assert away.http.get("me/mail").json()["digest_enabled"] is False


def test_a_worker_sends_a_push_and_retries_it_after_a_503(worker_site: Site) -> None:
    """With Redis the push job runs in the worker, and its retry is Celery's (a countdown)."""
    server = worker_site.server
    with LocalPushService() as service:
        ann, bob = RemoteUser.register(server.url), RemoteUser.register(server.url)
        service.server_key = bob.http.get("push/key").json()["public_key"]
        device = service.device()
        device.answers = [503]
        assert bob.http.post("push/subscriptions", json=device.subscription()).status_code == 201
        dm = ann.http.post("dms", json={"user_ids": [bob.user["id"]]}).json()
        r = ann.http.post(f"rooms/{dm['id']}/messages", json={"body": "via the worker"})
        assert r.status_code == 201
        pushes = service.wait(2, device, timeout=60)
        assert [p.status for p in pushes] == [503, 201]
        assert all(p.problems == [] for p in pushes), [p.problems for p in pushes]
        assert pushes[1].payload is not None and pushes[1].payload["body"] == "via the worker"
        assert "push_deliver" in worker_site.worker_log.read_text(errors="replace")
