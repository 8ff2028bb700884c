"""A real Celery worker (and beat) on Redis mails the verification link and a digest, end to end."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from parley.testing import logguard
from parley.testing.live import ROOT, ServerProcess, base_env, migrate, private_database, services_or_skip
from parley.testing.remote import RemoteUser

pytestmark = [pytest.mark.processes, pytest.mark.services]


def _mail_text(folder: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted(folder.glob("*.log")))


def _wait_for(folder: Path, pattern: str, timeout: float = 60) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(pattern, _mail_text(folder))
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"no mail matching {pattern!r}; mail so far:\n{_mail_text(folder)[-3000:]}")


@pytest.fixture
def worker_site() -> Iterator[tuple[ServerProcess, Path]]:
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
            yield server, outbox
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
    worker_site: tuple[ServerProcess, Path],
) -> None:
    server, outbox = worker_site
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
    time.sleep(1.5)  # the first scan after verification starts the user's digest clock
    for i in range(3):
        talker.http.post(f"rooms/{room['id']}/messages", json={"body": f"news {i}", "client_id": f"n{i}"})
    _wait_for(outbox, r"3 new messages on Parley")
    time.sleep(3)  # more scans: still one digest for the three messages
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
