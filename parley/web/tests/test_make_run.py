"""`make run` as a person starts it: every periodic job runs in the web process, and its effects show.

The server is started with the commands of the Makefile's `run` recipe (migrate, then
`python -m parley.serve`, both with DEBUG=true), on the embedded defaults: SQLite in a
data folder of its own, no Redis, mail to the console. Only the documented interval
variables are shortened, so every entry of the beat schedule fires within seconds. The
tests then look for what each job does: a digest in the console output (with links to
the port the server listens on), the statistics filled for a staff account made with
the README's `manage.py createsuperuser`, an idle guest and an unattached upload removed,
old messages purged; and the server's log holds no error (parley/testing/logguard.py).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from parley.testing import logguard
from parley.testing.live import ROOT, SHORT_JOB_INTERVALS, free_port
from parley.testing.remote import PASSWORD, RemoteUser

pytestmark = [pytest.mark.processes, pytest.mark.embedded_only]

T = TypeVar("T")

# Every periodic job every second (parley.testing.live), and the ages they act on short too.
SHORT_INTERVALS = {
    **SHORT_JOB_INTERVALS,
    "GUEST_IDLE_DAYS": "0.00002",  # under two seconds
    "UPLOAD_UNATTACHED_TTL": "1s",
    # Long enough for the digest and the statistics to see a message before it goes.
    "PURGE_OLDER_THAN": "10s",
}
# Variables a developer's shell would not have set (the test runner's own are dropped too).
UNSET = (
    "DATABASE_URL",
    "REDIS_URL",
    "REDIS_CLUSTER_URL",
    "CELERY_BROKER_URL",
    "CACHE_URL",
    "SECRET_KEY",
    "DEBUG",
    "SITE_URL",
    "EMAIL_URL",
    "PORT",
    "HOST",
    "PARLEY_JOBS",
)


def recipe(target: str) -> list[tuple[dict[str, str], list[str]]]:
    """The Python commands of a Makefile target's recipe: each one's leading VAR=value words
    and its argv (up to a `&` or `;`), with `$(BIN)/python` as this interpreter."""
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    commands = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        words = shlex.split(line.strip(), posix=False)
        assigned = {}
        while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
            name, _, value = words.pop(0).partition("=")
            assigned[name] = value
        cut = next((i for i, w in enumerate(words) if w in {"&", ";", "\\"}), len(words))
        if words and words[0] == "$(BIN)/python":
            commands.append((assigned, [sys.executable, *words[1:cut]]))
    return commands


def shell_env(data_dir: Path) -> dict[str, str]:
    """A developer's shell: nothing configured, the data folder of this checkout (here a private one)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PYTEST", "PARLEY_TEST", "THROTTLE_"))
    }
    for name in UNSET:
        env.pop(name, None)
    env["PARLEY_DATA_DIR"] = str(data_dir)
    return env


@dataclass
class MakeRun:
    port: int
    env: dict[str, str]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def wait_for(probe: Callable[[], T | None], what: str, server: MakeRun, timeout: float = 60) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"no {what} within {timeout} s; the server's output:\n{server.output()[-4000:]}")


@contextmanager
def started(target: str, serve: list[str]) -> Iterator[MakeRun]:
    """Migrate and serve as the Makefile's `target` does (its Python commands must be
    migrate and then `serve`), on a free port, with the periodic jobs due every second."""
    commands = recipe(target)
    assert [argv[1:] for _env, argv in commands] == [["manage.py", "migrate", "--noinput", "-v0"], serve], (
        f"the test follows `make {target}`: update it with the Makefile"
    )
    data_dir = Path(tempfile.mkdtemp(prefix=f"parley-make-{target}-"))
    port = free_port()
    env = {**shell_env(data_dir), "PORT": str(port), **SHORT_INTERVALS}
    log = data_dir / "server.log"
    (migrate_env, migrate_argv), (serve_env, serve_argv) = commands
    subprocess.run(migrate_argv, cwd=ROOT, env={**env, **migrate_env}, check=True, timeout=180)
    watch = logguard.watch(log, f"make {target}")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            serve_argv, cwd=ROOT, env={**env, **serve_env}, stdout=out, stderr=subprocess.STDOUT
        )
    server = MakeRun(port=port, env=env, log=log)
    try:

        def healthy() -> bool:
            assert proc.poll() is None, f"make {target} exited: {server.output()[-3000:]}"
            try:
                with urllib.request.urlopen(server.url + "/healthz", timeout=1) as r:
                    return bool(r.status == 200)
            except OSError:
                return False

        wait_for(healthy, "answer on /healthz", server, timeout=60)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        watch.close()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def make_run() -> Iterator[MakeRun]:
    with started("run", ["-m", "parley.serve"]) as server:
        yield server


def beat_schedule(env: dict[str, str]) -> dict[str, str]:
    """The schedule the server runs under this environment: entry name -> task."""
    code = (
        "import json, django; django.setup(); from config.celery import app; "
        "print(json.dumps({n: e['task'] for n, e in app.conf.beat_schedule.items()}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def every_job_runs(server: MakeRun) -> None:
    schedule = beat_schedule(server.env)
    assert set(schedule) == {
        "mail-digests",
        "stats-aggregate",
        "guests-remove-idle",
        "uploads-remove-unattached",
        "messages-purge",
        "scheduled-send",
        "presence-expire",
        "thread-summaries-flush",
        "search-index-sweep",
    }

    def all_ran() -> bool:
        out = server.output()
        return all(re.search(rf"Task {re.escape(task)}\[\S+\] succeeded", out) for task in schedule.values())

    wait_for(all_ran, "run of every periodic job", server, timeout=30)
    assert "NotRegistered" not in server.output()


def test_every_entry_of_the_beat_schedule_runs_in_the_web_process(make_run: MakeRun) -> None:
    every_job_runs(make_run)


def test_make_dev_runs_them_in_the_reloading_server_too() -> None:
    """`make dev` serves from a child process that restarts on each change: the jobs run there."""
    with started("dev", ["-m", "parley.serve", "--reload"]) as server:
        every_job_runs(server)


def test_a_digest_arrives_on_the_console_with_links_to_the_servers_port(make_run: MakeRun) -> None:
    r = httpx.post(
        f"{make_run.url}/api/v1/auth/register",
        json={"username": "away", "password": PASSWORD, "email": "away@example.org"},
    )
    assert r.status_code == 201, r.text
    away = RemoteUser(make_run.url, "away", r.json()["token"], r.json()["user"])
    # SITE_URL is not set: mailed links follow PORT.
    site = re.escape(make_run.url)
    token = wait_for(
        lambda: re.search(rf"{site}/verify-email\?token=(\S+)", make_run.output()),
        "verification mail",
        make_run,
    ).group(1)
    verified = httpx.post(f"{make_run.url}/api/v1/auth/verify-email", json={"token": token})
    assert verified.json()["email_verified"] is True
    talker = RemoteUser.register(make_run.url, "talker")
    room = talker.create_room("digest-room")
    away.join(room["id"])

    # The first scan after verification starts the digest clock; a message after it is
    # mailed once it has waited MAIL_DIGEST_DELAY. Say something (each scan's interval)
    # until the digest comes.
    said = 0
    last_said = 0.0

    def digest() -> re.Match[str] | None:
        nonlocal said, last_said
        found = re.search(r"new messages? on Parley", make_run.output())
        if not found and time.monotonic() - last_said > 1:
            said += 1
            last_said = time.monotonic()
            talker.http.post(
                f"rooms/{room['id']}/messages", json={"body": f"news {said}", "client_id": f"n{said}"}
            )
        return found

    wait_for(digest, "digest in the console output", make_run)
    text = make_run.output()
    assert "To: away@example.org" in text
    assert "# digest-room" in text and re.search(r"talker: news \d+", text)
    assert re.search(rf"Stop these mails: {site}/api/v1/mail/unsubscribe\?token=", text)
    assert "127.0.0.1:8000" not in text


def test_the_readme_createsuperuser_then_the_statistics_fill(make_run: MakeRun) -> None:
    # As the README says, in a shell of its own: no DEBUG, no SECRET_KEY, after `make run`.
    env = {
        **shell_env(Path(make_run.env["PARLEY_DATA_DIR"])),
        "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
        "DJANGO_SUPERUSER_EMAIL": "staff@example.org",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "createsuperuser", "--noinput", "--username", "staff"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    r = httpx.post(f"{make_run.url}/api/v1/auth/login", json={"username": "staff", "password": PASSWORD})
    assert r.status_code == 200, r.text
    staff = RemoteUser(make_run.url, "staff", r.json()["token"], r.json()["user"])
    room = staff.create_room("counted")
    staff.http.post(
        f"rooms/{room['id']}/messages", json={"body": "count me", "client_id": "c1"}
    ).raise_for_status()

    def counted() -> dict[str, Any] | None:
        stats = staff.http.get("stats")
        assert stats.status_code == 200, stats.text
        body: dict[str, Any] = stats.json()
        rooms = {r["name"]: r["messages"] for r in body["rooms"]}
        return body if body["aggregated_at"] and rooms.get("counted") == 1 else None

    stats = wait_for(counted, "statistics counting the message", make_run)
    assert stats["messages"] >= 1 and stats["active_users"] >= 1
    assert sum(day["messages"] for day in stats["days"]) == stats["messages"]


def test_idle_guests_unattached_uploads_and_old_messages_go(make_run: MakeRun) -> None:
    guest = httpx.post(f"{make_run.url}/api/v1/auth/guest", json={"nickname": "passing"})
    assert guest.status_code == 201, guest.text
    guest_http = httpx.Client(
        base_url=f"{make_run.url}/api/v1/", headers={"Authorization": f"Token {guest.json()['token']}"}
    )
    owner = RemoteUser.register(make_run.url, "keeper")
    room = owner.create_room("short-lived")
    upload = owner.http.post(
        f"rooms/{room['id']}/uploads", files={"file": ("note.txt", b"never sent\n", "text/plain")}
    )
    assert upload.status_code == 201, upload.text
    file_url = httpx.URL(make_run.url).join(upload.json()["url"])
    assert owner.http.get(file_url).status_code == 200
    sent = owner.http.post(f"rooms/{room['id']}/messages", json={"body": "soon gone", "client_id": "g1"})
    assert sent.status_code == 201

    wait_for(lambda: guest_http.get("me").status_code == 401, "removal of the idle guest", make_run)
    wait_for(lambda: owner.http.get(file_url).status_code == 404, "removal of the upload", make_run)
    wait_for(lambda: owner.history(room["id"]) == [], "purge of the old message", make_run)


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_with_debug_off_only_commands_use_the_key_make_run_generated(tmp_path: Path) -> None:
    env = shell_env(tmp_path)
    (tmp_path / "secret_key").write_text("generated-by-make-run-" + "k" * 40)
    command = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert command.returncode == 0, command.stderr
    server = _python("import django; django.setup()", env)  # what a server or worker does
    assert server.returncode != 0 and "SECRET_KEY must be set" in server.stderr


@pytest.mark.parametrize(
    ("host", "site"),
    [("", "http://127.0.0.1:9001"), ("0.0.0.0", "http://127.0.0.1:9001"), ("::1", "http://[::1]:9001")],
)
def test_site_url_defaults_to_the_address_served(tmp_path: Path, host: str, site: str) -> None:
    env = {**shell_env(tmp_path), "DEBUG": "true", "PORT": "9001", **({"HOST": host} if host else {})}
    code = "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)"
    out = _python(code, env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == site
