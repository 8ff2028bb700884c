"""Bots against real server processes: a hanging and a raising bot leave delivery alone
(embedded default), and /roll is answered through a real Celery worker on Redis+PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

from parley.testing import logguard
from parley.testing.live import ROOT, ServerProcess, base_env, migrate, private_database, services_or_skip
from parley.testing.remote import RemoteUser

pytestmark = [pytest.mark.processes]

MISBEHAVING = "sleepy=parley.bots.tests.bots.SleepyBot,boom=parley.bots.tests.bots.RaisingBot"


@pytest.fixture(scope="module")
def embedded_with_bad_bots() -> Iterator[ServerProcess]:
    with private_database("sqlite") as db:
        env = base_env(db, BOTS_EXTRA=MISBEHAVING, BOT_TIMEOUT="3", BOT_RUNNING_PER_BOT="2", BOT_WORKERS="2")
        migrate(env)
        server = ServerProcess(env).start()
        try:
            yield server
        finally:
            server.stop()


def _pair(server: ServerProcess) -> tuple[RemoteUser, RemoteUser, int]:
    alice, bob = RemoteUser.register(server.url), RemoteUser.register(server.url)
    room = alice.create_room()["id"]
    bob.join(room)
    return alice, bob, room


def _send(room: int, body: str, cid: str) -> dict[str, Any]:
    return {"type": "send", "room": room, "body": body, "client_id": cid}


# The raising bot's traceback is logged for its author (and kept out of the room).
@pytest.mark.embedded_only
@pytest.mark.server_log_expects(r"ERROR parley\.bots\.services: bot boom failed on /boom(.|\n)*RuntimeError")
async def test_a_hanging_and_a_raising_bot_do_not_hold_up_anyone(
    embedded_with_bad_bots: ServerProcess,
) -> None:
    alice, bob, room = _pair(embedded_with_bad_bots)
    a, b = await alice.socket(), await bob.socket()
    # Three sleepers for a bot allowed two at once: two hang, the third is turned away.
    for i in range(3):
        await a.send(_send(room, "/sleepy", f"s-{i}"))
        await a.recv_type("ack")
    await a.send(_send(room, "/boom", "boom-1"))
    await a.recv_type("ack")
    await a.send(_send(room, "/roll 1d6", "roll-1"))
    await a.recv_type("ack")
    # Bob's messages keep flowing while both sleepers hang (their limit is 3 s away).
    for i in range(20):
        await b.send(_send(room, f"still here {i}", f"b-{i}"))
        await b.recv_type("ack")
    seen: list[tuple[str, str]] = []
    while len([s for s in seen if s[0] == "bot"]) < 5:
        m = (await a.recv_type("message", timeout=30))["message"]
        seen.append(("bot" if m["sender"]["is_bot"] else m["sender"]["username"], m["body"]))
    bot_answers = [body for who, body in seen if who == "bot"]
    people = [body for who, body in seen if who == bob.username]
    assert people == [f"still here {i}" for i in range(20)]
    # Everything Bob sent arrived before the sleepers were given up.
    first_timeout = next(i for i, (_w, body) in enumerate(seen) if "took too long" in body)
    assert all(i < first_timeout for i, (who, _b) in enumerate(seen) if who == bob.username)
    assert "Sorry, /boom failed." in bot_answers
    assert "Sorry, Sleepy is busy; try /sleepy again in a moment." in bot_answers
    assert bot_answers.count("Sorry, /sleepy took too long and was given up.") == 2
    assert any(body.startswith("🎲 ") for body in bot_answers)
    # The failure is logged with its exception, and never shown in the room.
    assert "bot boom failed on /boom" in embedded_with_bad_bots.output()
    assert "the secret internals of the bot" in embedded_with_bad_bots.output()
    assert all("secret internals" not in body for body in bot_answers)
    for s in (a, b):
        await s.close()


@pytest.fixture
def worker_site() -> Iterator[ServerProcess]:
    _db, redis_url = services_or_skip()
    with private_database("postgres") as db:
        env = base_env(db, redis_url)
        migrate(env)
        server = ServerProcess(env).start()
        log = tempfile.NamedTemporaryFile(prefix="parley-celery-", suffix=".log", delete=False)  # noqa: SIM115
        watched = logguard.watch(log.name, "celery worker")  # its errors fail the test too
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=info"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield server
        finally:
            worker.terminate()
            try:
                worker.wait(15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(5)
            watched.close()
            server.stop()


@pytest.mark.services
async def test_roll_is_answered_by_a_real_celery_worker(worker_site: ServerProcess) -> None:
    alice, bob, room = _pair(worker_site)
    a, b = await alice.socket(), await bob.socket()
    await a.send(_send(room, "/roll 2d6", "roll-1"))
    ack = await a.recv_type("ack")
    asked = await b.recv_type("message")
    assert asked["message"]["id"] == ack["id"]
    answer = (await b.recv_type("message", timeout=60))["message"]
    assert answer["sender"]["is_bot"] is True and answer["sender"]["username"] == "dice"
    assert answer["body"].startswith(f"🎲 {alice.username} rolled 2d6: ")
    assert answer["reply_to"]["id"] == ack["id"]
    for s in (a, b):
        await s.close()
